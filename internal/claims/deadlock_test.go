package claims_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/x12"
)

// TestAckFileDoesNotDeadlockWithAnAuditedClaimWrite reproduces the race the
// audit chain invites: a 277CA over two claims, while another transaction
// holds the second claim's row and then writes its own audit row. Had the ack
// written the first claim's audit row before locking the second claim, each
// transaction would wait for the other (the ack for the claim row, the other
// for the audit chain's head) and PostgreSQL would abort one with a deadlock.
// The ack queues its audit rows and writes them last, so both commit.
func TestAckFileDoesNotDeadlockWithAnAuditedClaimWrite(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	a := f.claimFor(t, "XJ123456")
	b := f.claimFor(t, "XJ654321")
	f.send(t, a.Claim.ID, "sub-a")
	f.send(t, b.Claim.ID, "sub-b")
	accepted := x12.StatusCode{Category: "A2", Status: "20", Entity: "PR"}
	file := write277CA(t, statusLoop{pcn: a.Claim.PatientControlNumber, payerCN: "PA1", code: accepted},
		statusLoop{pcn: b.Claim.PatientControlNumber, payerCN: "PB1", code: accepted})

	// The other writer locks claim b.
	other := f.db.Begin()
	require.NoError(t, other.Error)
	defer other.Rollback()
	require.NoError(t, other.Exec(`SELECT 1 FROM claims WHERE id = ? FOR UPDATE`, b.Claim.ID).Error)

	done := make(chan error, 1)
	go func() {
		_, err := f.claims.Apply277CA(ctx, file, "test", audit.System)
		done <- err
	}()

	// Wait until the ack is blocked on claim b's row.
	require.Eventually(t, func() bool {
		var waiting int64
		f.db.Raw(`SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'`).Scan(&waiting)
		return waiting > 0
	}, 30*time.Second, 20*time.Millisecond, "the ack never waited for claim b")

	// The other writer now records its audit row: it must not wait for the ack.
	require.NoError(t, audit.Record(other, audit.System, "claim.note", "claim", b.Claim.ID, nil))
	require.NoError(t, other.Commit().Error)

	select {
	case err := <-done:
		require.NoError(t, err, "the ack file failed")
	case <-time.After(30 * time.Second):
		t.Fatal("the ack file never finished")
	}
	assert.Equal(t, "PA1", f.claim(t, a.Claim.ID).PayerClaimNumber)
	assert.Equal(t, "PB1", f.claim(t, b.Claim.ID).PayerClaimNumber)
	assert.Equal(t, claims.StageAccepted, f.claim(t, b.Claim.ID).Stage)
}
