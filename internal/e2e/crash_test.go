package e2e

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/workflows/contract"
)

// TestClaimsPaidAfterTheWorkerRestarts is the crash that left claims
// `submitted` for good: claims are sent to the clearinghouse, and before any
// answer (999, 277CA, 835) is delivered the worker is replaced by a new one with
// a new simulator instance, as a process started after kill -9 would be. Every
// claim still reaches its outcome within seconds, each submission is received
// once, and the case totals agree with the ledger.
//
// RCM_CRASH_TEST_IN_MEMORY=1 runs it against the in-memory simulator the
// product used before its mailbox moved to PostgreSQL: it then fails, the
// claims stuck in `submitted`.
func TestClaimsPaidAfterTheWorkerRestarts(t *testing.T) {
	durable := os.Getenv("RCM_CRASH_TEST_IN_MEMORY") == ""
	// Answers come late enough that every claim is sent, and none answered, by
	// the time the worker goes.
	f := newClaimFlowWith(t, testenv.Options{
		Simulator:            clearinghouse.Config{AckDelay: 12 * time.Second, RemitDelay: 15 * time.Second},
		PollInterval:         100 * time.Millisecond,
		DurableClearinghouse: durable,
	})
	e := f.e
	members := []string{"PAYFULL1", "PARTIAL1", "DENY50A"}
	want := []string{claims.StagePaid, claims.StagePaid, claims.StageDenied}
	var caseIDs, claimIDs []string
	for _, m := range members {
		caseID, claimID := f.visit(map[string]string{"primary": m})
		caseIDs, claimIDs = append(caseIDs, caseID), append(claimIDs, claimID)
	}
	for _, id := range claimIDs {
		f.waitStage(id, claims.StageSubmitted, "")
	}
	var delivered int64
	if durable {
		require.NoError(t, e.DB.Raw(`SELECT count(*) FROM clearinghouse_mailbox WHERE delivered_seq IS NOT NULL`).Scan(&delivered).Error)
	}
	require.Zero(t, delivered, "the machine was too slow: answers were delivered before the restart")

	e.RestartWorker()

	for i, id := range claimIDs {
		phase := contract.PhaseDone
		if want[i] == claims.StageDenied {
			phase = "" // a denial waits for the biller's decision
		}
		v := f.waitStage(id, want[i], phase)
		assert.Equal(t, want[i], v.Stage, members[i])
		f.agrees(caseIDs[i])
	}
	// Each claim was submitted once, and the clearinghouse took each
	// submission once and scheduled its answers once.
	var subs, received, files int64
	require.NoError(t, e.DB.Raw(`SELECT count(*) FROM claim_submissions`).Scan(&subs).Error)
	require.NoError(t, e.DB.Raw(`SELECT count(*) FROM clearinghouse_requests WHERE kind = 'submit'`).Scan(&received).Error)
	require.NoError(t, e.DB.Raw(`SELECT count(*) FROM clearinghouse_mailbox`).Scan(&files).Error)
	assert.EqualValues(t, len(claimIDs), subs)
	assert.EqualValues(t, len(claimIDs), received)
	assert.EqualValues(t, 3*len(claimIDs), files, "a 999, a 277CA and an 835 per submission")
}
