package db_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/pgtest"
)

// TestExistsSaysNothingWhenTheDatabaseIsAway: a missing row is false, a query
// that fails is not evidence of one (the write it guards fails on its own).
func TestExistsSaysNothingWhenTheDatabaseIsAway(t *testing.T) {
	g := pgtest.New(t)
	missing := uuid.NewString()
	assert.False(t, db.Exists(g.Table("payers"), missing))
	assert.False(t, db.Exists(g.Table("payers"), "not-a-uuid"))
	require.NoError(t, db.SQL(g).Close())
	assert.True(t, db.Exists(g.Table("payers"), missing), "a failed query must not become 'no such payer'")
	assert.False(t, db.Exists(g.Table("payers"), "not-a-uuid"))
}
