package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := FromEnv(env(nil))
	require.NoError(t, err)
	assert.Equal(t, DefaultDatabaseURL, c.DatabaseURL)
	assert.Empty(t, c.TemporalAddress, "empty means the embedded server")
	assert.Equal(t, 7233, c.TemporalPort)
	assert.Equal(t, 8233, c.TemporalUIPort, "the Temporal UI beside the API, as temporal server start-dev serves it")
	assert.Empty(t, c.TemporalUIURL)
	assert.Equal(t, ":8080", c.HTTPAddr)
	assert.Equal(t, ".data", c.DataDir)
	assert.Equal(t, 24*time.Hour, c.MissingChargesAfter)
	assert.Nil(t, c.EncryptionKey)
	assert.True(t, c.MaxAmount.IsZero(), "unset: the billing default")
}

func TestOverridesAndErrors(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"TEMPORAL_PORT": "17233", "MISSING_CHARGES_AFTER": "90m",
		"ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "LOG_LEVEL": "debug",
		"TEMPORAL_UI_PORT": "0", "TEMPORAL_UI_URL": "https://temporal.example.org/", "MAX_AMOUNT": "250000.00"}))
	require.NoError(t, err)
	assert.Equal(t, 17233, c.TemporalPort)
	assert.Equal(t, 90*time.Minute, c.MissingChargesAfter)
	assert.Len(t, c.EncryptionKey, 32)
	assert.Equal(t, 0, c.TemporalUIPort, "0 turns the UI off")
	assert.Equal(t, "https://temporal.example.org", c.TemporalUIURL)
	assert.Equal(t, "250000", c.MaxAmount.String())

	for name, vars := range map[string]map[string]string{
		"port":     {"TEMPORAL_PORT": "http"},
		"ui port":  {"TEMPORAL_UI_PORT": "-1"},
		"duration": {"MISSING_CHARGES_AFTER": "-1h"},
		"key":      {"ENCRYPTION_KEY": "c2hvcnQ="},
		"level":    {"LOG_LEVEL": "loud"},
		"cap":      {"MAX_AMOUNT": "lots"},
		"cap 0":    {"MAX_AMOUNT": "0"},
		"cap cent": {"MAX_AMOUNT": "10.001"},
		"cap big":  {"MAX_AMOUNT": "1000000000000"},
	} {
		_, err := FromEnv(env(vars))
		assert.Error(t, err, name)
	}
}
