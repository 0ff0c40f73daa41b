package db

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithRole(t *testing.T) {
	got, err := WithRole("postgres://u@h:5432/rcm?sslmode=disable", "rcm_app")
	require.NoError(t, err)
	assert.Equal(t, "postgres://u@h:5432/rcm?options=-c%20role%3Drcm_app&sslmode=disable", got)

	got, err = WithRole("postgres://u@h/rcm?options=-c%20statement_timeout%3D5000", "rcm_app")
	require.NoError(t, err)
	assert.Contains(t, got, "statement_timeout%3D5000%20-c%20role%3Drcm_app")

	got, err = WithRole("host=h dbname=rcm", "rcm_app")
	require.NoError(t, err)
	assert.Equal(t, "host=h dbname=rcm options='-c role=rcm_app'", got)

	got, err = WithRole("postgres://u@h/rcm", "")
	require.NoError(t, err)
	assert.Equal(t, "postgres://u@h/rcm", got)

	_, err = WithRole("postgres://u@h/rcm", "x; DROP TABLE t")
	assert.Error(t, err)
}
