package migrations_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/migrations"
)

// TestUpDownUp applies every migration, rolls each back, and applies them again,
// so every Down section works and leaves nothing behind that breaks the next Up.
func TestUpDownUp(t *testing.T) {
	ctx := context.Background()
	g, err := db.Open(ctx, pgtest.NewDSN(t))
	require.NoError(t, err)
	sqlDB := db.SQL(g)
	defer sqlDB.Close()

	require.NoError(t, migrations.Up(ctx, sqlDB))
	var st bytes.Buffer
	require.NoError(t, migrations.Status(ctx, sqlDB, &st))
	n := strings.Count(st.String(), "applied")
	require.GreaterOrEqual(t, n, 3, st.String())
	for range n {
		require.NoError(t, migrations.Down(ctx, sqlDB))
	}
	var tables int
	require.NoError(t, g.Raw(`SELECT count(*) FROM information_schema.tables
		WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`).Scan(&tables).Error)
	require.Zero(t, tables, "every Down removes what its Up created")
	require.NoError(t, migrations.Up(ctx, sqlDB))
}
