package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/migrations"
)

// write appends n audit rows, each in its own transaction, and returns their ids.
func write(t *testing.T, g *gorm.DB, n int) []int64 {
	t.Helper()
	var ids []int64
	for i := range n {
		var id int64
		require.NoError(t, g.Transaction(func(tx *gorm.DB) error {
			actor := audit.Actor{RequestID: fmt.Sprintf("req-%d", i)}
			if i%2 == 0 {
				actor.UserID = uuid.NewString()
			}
			changes := map[string]any{"amount": fmt.Sprintf("%d.00", i), "fields": []string{"status"}}
			if i%3 == 0 {
				changes = nil
			}
			if err := audit.Record(tx, actor, "charge.capture", "charge", uuid.NewString(), changes); err != nil {
				return err
			}
			return tx.Raw(`SELECT max(id) FROM audit_log`).Scan(&id).Error
		}))
		ids = append(ids, id)
	}
	return ids
}

func verify(t *testing.T, g *gorm.DB) audit.Result {
	t.Helper()
	res, err := audit.Verify(context.Background(), g)
	require.NoError(t, err)
	return res
}

// tamper runs sql as the superuser with triggers off (session_replication_role),
// which is what it takes to get past the append-only trigger.
func tamper(t *testing.T, g *gorm.DB, sql string, args ...any) {
	t.Helper()
	require.NoError(t, g.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL session_replication_role = replica`).Error; err != nil {
			return err
		}
		return tx.Exec(sql, args...).Error
	}))
}

func TestAChainOfWritesVerifies(t *testing.T) {
	g := pgtest.New(t)
	res := verify(t, g)
	assert.True(t, res.OK, "an empty log verifies: %+v", res)
	assert.Equal(t, audit.Genesis, res.HeadHash)

	write(t, g, 12)
	res = verify(t, g)
	assert.True(t, res.OK, "%+v", res)
	assert.EqualValues(t, 12, res.Checked)
	assert.EqualValues(t, 12, res.HeadSeq)

	var e []audit.Entry
	require.NoError(t, g.Order("seq").Find(&e).Error)
	require.Len(t, e, 12)
	assert.Equal(t, audit.Genesis, e[0].PrevHash)
	for i := 1; i < len(e); i++ {
		assert.Equal(t, e[i-1].Hash, e[i].PrevHash, "row %d links to the row before", e[i].ID)
	}
}

func TestTheAppendOnlyTriggerStillRefusesEdits(t *testing.T) {
	g := pgtest.New(t)
	write(t, g, 1)
	err := g.Exec(`UPDATE audit_log SET hash = 'x'`).Error
	require.Error(t, err)
	assert.Contains(t, err.Error(), "append-only")
	err = g.Exec(`DELETE FROM audit_log`).Error
	require.Error(t, err)
	assert.Contains(t, err.Error(), "append-only")
}

func TestConcurrentWritersStillMakeOneChain(t *testing.T) {
	g := pgtest.New(t)
	const writers = 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	rollback := errors.New("rolled back on purpose")
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := g.Transaction(func(tx *gorm.DB) error {
				for j := range 3 {
					if err := audit.Record(tx, audit.System, "visit.create", "encounter", fmt.Sprintf("%d-%d", i, j), map[string]any{"n": j}); err != nil {
						return err
					}
				}
				// Every fifth writer rolls back after appending: its rows and links
				// vanish and must leave no hole in the chain.
				if i%5 == 4 {
					return rollback
				}
				return nil
			})
			if err != nil && !errors.Is(err, rollback) {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	res := verify(t, g)
	assert.True(t, res.OK, "%+v", res)
	assert.EqualValues(t, 16*3, res.Checked)
	assert.EqualValues(t, 16*3, res.HeadSeq)
}

func TestVerifyNamesARowEditedBySuperuser(t *testing.T) {
	g := pgtest.New(t)
	ids := write(t, g, 6)
	tamper(t, g, `UPDATE audit_log SET changes = '{"amount": "0.01"}' WHERE id = ?`, ids[3])
	res := verify(t, g)
	assert.False(t, res.OK)
	assert.Equal(t, ids[3], res.BrokenID)
	assert.Equal(t, audit.BrokenContent, res.Reason)
	assert.EqualValues(t, 4, res.Checked)
	assert.NotContains(t, res.Detail, "0.01", "the result does not quote row content")
}

func TestVerifyNamesTheRowAfterARehashedEdit(t *testing.T) {
	g := pgtest.New(t)
	ids := write(t, g, 5)
	// A careful forger also recomputes the edited row's own hash; the next row's
	// link then no longer matches.
	tamper(t, g, `UPDATE audit_log SET action = 'charge.void',
		hash = audit_row_hash(prev_hash, id, seq, at, actor_id, 'charge.void', entity_type, entity_id, request_id, changes)
		WHERE id = ?`, ids[1])
	res := verify(t, g)
	assert.False(t, res.OK)
	assert.Equal(t, ids[2], res.BrokenID)
	assert.Equal(t, audit.BrokenLink, res.Reason)
}

func TestVerifyNamesTheGapWhereARowWasDeleted(t *testing.T) {
	g := pgtest.New(t)
	ids := write(t, g, 5)
	tamper(t, g, `DELETE FROM audit_log WHERE id = ?`, ids[2])
	res := verify(t, g)
	assert.False(t, res.OK)
	assert.Equal(t, ids[3], res.BrokenID, "the first row after the gap")
	assert.EqualValues(t, 4, res.BrokenSeq)
	assert.Equal(t, audit.BrokenMissing, res.Reason)
	assert.Contains(t, res.Detail, "expected seq 3")
}

func TestVerifyNoticesRowsDeletedFromTheEnd(t *testing.T) {
	g := pgtest.New(t)
	ids := write(t, g, 4)
	tamper(t, g, `DELETE FROM audit_log WHERE id >= ?`, ids[2])
	res := verify(t, g)
	assert.False(t, res.OK)
	assert.Zero(t, res.BrokenID)
	assert.Equal(t, audit.BrokenMissing, res.Reason)
	assert.EqualValues(t, 4, res.HeadSeq)
}

func TestTheMigrationChainsExistingRowsInIDOrder(t *testing.T) {
	ctx := context.Background()
	g, err := db.Open(ctx, pgtest.NewDSN(t))
	require.NoError(t, err)
	sqlDB := db.SQL(g)
	defer sqlDB.Close()
	require.NoError(t, migrations.Up(ctx, sqlDB))
	require.NoError(t, migrations.Down(ctx, sqlDB)) // back to before the chain
	require.NoError(t, g.Exec(`INSERT INTO audit_log (action, entity_type, entity_id, changes, actor_id)
		SELECT 'seed', 'patient', g::text, CASE WHEN g % 2 = 0 THEN jsonb_build_object('n', g) END,
			CASE WHEN g % 3 = 0 THEN gen_random_uuid() END
		FROM generate_series(1, 7) g`).Error)
	require.NoError(t, migrations.Up(ctx, sqlDB))

	var seqs []int64
	require.NoError(t, g.Raw(`SELECT seq FROM audit_log ORDER BY id`).Scan(&seqs).Error)
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6, 7}, seqs)
	write(t, g, 2)
	res := verify(t, g)
	assert.True(t, res.OK, "%+v", res)
	assert.EqualValues(t, 9, res.Checked)
}

func TestARoleThatMayOnlyInsertStillExtendsTheChain(t *testing.T) {
	g := pgtest.New(t)
	role := "rcm_audit_app_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	require.NoError(t, g.Exec(`CREATE ROLE `+role+` NOLOGIN`).Error)
	t.Cleanup(func() { g.Exec(`DROP OWNED BY ` + role); g.Exec(`DROP ROLE ` + role) })
	require.NoError(t, g.Exec(`GRANT SELECT, INSERT ON audit_log TO `+role).Error)
	require.NoError(t, g.Exec(`GRANT USAGE ON SEQUENCE audit_log_id_seq TO `+role).Error)

	write(t, g, 1)
	require.NoError(t, g.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL ROLE ` + role).Error; err != nil {
			return err
		}
		return audit.Record(tx, audit.System, "case.create", "case", uuid.NewString(), nil)
	}))
	err := g.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL ROLE ` + role).Error; err != nil {
			return err
		}
		return tx.Exec(`UPDATE audit_chain_head SET seq = 0`).Error
	})
	require.Error(t, err, "the head moves only through the trigger")
	res := verify(t, g)
	assert.True(t, res.OK, "%+v", res)
	assert.EqualValues(t, 2, res.Checked)
}
