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

func TestPHIKeys(t *testing.T) {
	const (
		codecKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // "0123456789abcdef0123456789abcdef"
		phiKey   = "UEhJUEhJUEhJUEhJUEhJUEhJUEhJUEhJUEhJUEhJUEg="
		lookup   = "TE9PS1VQTE9PS1VQTE9PS1VQTE9PS1VQTE9PS1VQTE8="
		oldKey   = "T0xET0xET0xET0xET0xET0xET0xET0xET0xET0xET0w="
	)
	c, err := FromEnv(env(nil))
	require.NoError(t, err)
	_, err = c.PHIKeyring()
	assert.ErrorContains(t, err, "PHI_KEY and PHI_LOOKUP_KEY are required", "outside dev there is no default PHI key")

	c, err = FromEnv(env(map[string]string{"ENCRYPTION_KEY": codecKey, "PHI_KEY": phiKey, "PHI_KEY_ID": "k2",
		"PHI_LOOKUP_KEY": lookup, "PHI_OLD_KEYS": " k1:" + oldKey + " ,"}))
	require.NoError(t, err)
	k, err := c.PHIKeyring()
	require.NoError(t, err)
	assert.Equal(t, []string{"k2", "k1"}, k.KeyIDs())

	for name, vars := range map[string]map[string]string{
		"phi = codec key":    {"ENCRYPTION_KEY": codecKey, "PHI_KEY": codecKey},
		"lookup = codec key": {"ENCRYPTION_KEY": codecKey, "PHI_LOOKUP_KEY": codecKey},
		"lookup = phi key":   {"PHI_KEY": phiKey, "PHI_LOOKUP_KEY": phiKey},
		"old = phi key":      {"PHI_KEY": phiKey, "PHI_OLD_KEYS": "k0:" + phiKey},
		"old = codec key":    {"ENCRYPTION_KEY": codecKey, "PHI_OLD_KEYS": "k0:" + codecKey},
		"short phi key":      {"PHI_KEY": "c2hvcnQ="},
		"old without id":     {"PHI_OLD_KEYS": oldKey},
	} {
		_, err := FromEnv(env(vars))
		assert.Error(t, err, name)
	}
	_, err = FromEnv(env(map[string]string{"ENCRYPTION_KEY": codecKey, "PHI_KEY": codecKey}))
	assert.ErrorContains(t, err, "ENCRYPTION_KEY and PHI_KEY are the same key")

	c, err = FromEnv(env(map[string]string{"PHI_KEY": phiKey, "PHI_LOOKUP_KEY": lookup, "PHI_KEY_ID": "bad:id"}))
	require.NoError(t, err)
	_, err = c.PHIKeyring()
	assert.Error(t, err, "a key id with a colon cannot be told from the sealed value's layout")
}
