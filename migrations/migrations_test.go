package migrations_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
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

// TestAppRoleOwnsNothing checks what the application's role (as `rcm` runs)
// may and may not do: rows yes; the audit trail, the schema and triggers no.
func TestAppRoleOwnsNothing(t *testing.T) {
	_, app := pgtest.NewPair(t)
	var who string
	require.NoError(t, app.Raw(`SELECT current_user`).Scan(&who).Error)
	require.Equal(t, db.AppRole, who)

	// Ordinary work: write and read rows, use sequences, write audit rows.
	require.NoError(t, app.Exec(`INSERT INTO locations (id, name, address1, city, state, zip)
		VALUES (gen_random_uuid(), 'L', '1 Main St', 'Springfield', 'IL', '62701')`).Error)
	require.NoError(t, app.Exec(`INSERT INTO audit_log (at, action, entity_type, entity_id) VALUES (now(), 'test', 'x', '1')`).Error)
	require.NoError(t, app.Exec(`INSERT INTO patient_access_log (patient_id, route) VALUES (gen_random_uuid(), 'GET /x')`).Error)

	for name, stmt := range map[string]string{
		"truncate the audit log":      `TRUNCATE audit_log`,
		"delete audit rows":           `DELETE FROM audit_log`,
		"update audit rows":           `UPDATE audit_log SET action = 'x'`,
		"disable the audit trigger":   `ALTER TABLE audit_log DISABLE TRIGGER ALL`,
		"delete reads of patients":    `DELETE FROM patient_access_log`,
		"drop a table":                `DROP TABLE journal_lines`,
		"alter a table":               `ALTER TABLE journals ADD COLUMN x int`,
		"create a table":              `CREATE TABLE public.sneaky (id int)`,
		"rewrite migration history":   `DELETE FROM goose_db_version`,
		"truncate the ledger":         `TRUNCATE journal_lines`,
		"disable a trigger elsewhere": `ALTER TABLE patient_access_log DISABLE TRIGGER ALL`,
	} {
		err := app.Exec(stmt).Error
		assert.Error(t, err, "the app role may %s", name)
	}
	// The tables belong to the migrating owner, not to the app role.
	var owner string
	require.NoError(t, app.Raw(`SELECT tableowner FROM pg_tables WHERE tablename = 'audit_log'`).Scan(&owner).Error)
	assert.NotEqual(t, db.AppRole, owner)
}
