package clearinghouse

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/pgtest"
)

// durableSim is a simulator over db (as the application's role) with clk as
// its clock and the tests' usual delays.
func durableSim(db *gorm.DB, clk *fakeClock, base int) *testSim {
	return &testSim{Simulator: NewSimulator(Config{Now: clk.Now, AckDelay: 2 * time.Second, RemitDelay: 10 * time.Second,
		SequenceBase: base, DB: db})}
}

func mailboxRows(t *testing.T, owner *gorm.DB) int64 {
	t.Helper()
	var n int64
	require.NoError(t, owner.Raw(`SELECT count(*) FROM clearinghouse_mailbox`).Scan(&n).Error)
	return n
}

// TestDurableMailboxSurvivesRestart: the answers of a submission are rows, so a
// simulator started after a crash (new instance, other sequence base) delivers
// the same files the first would have, numbered after any old cursor; a
// retried Submit schedules nothing; a later appeal of the denied claim is
// decided by the payer's replayed memory.
func TestDurableMailboxSurvivesRestart(t *testing.T) {
	owner, app := pgtest.NewPair(t)
	ctx := context.Background()
	data := batch(t, 7, claim("PCN1", "PAYFULL1", "100", "20"), claim("PCN2", "DENY50A", "80"))

	clk := &fakeClock{now: t0}
	first := durableSim(app, clk, 5000)
	res, err := first.Submit(ctx, "sub-1", data)
	require.NoError(t, err)
	files, err := first.Poll(ctx, "")
	require.NoError(t, err)
	require.Empty(t, files, "nothing is due before the delays")
	require.EqualValues(t, 3, mailboxRows(t, owner), "999, 277CA and 835 are scheduled rows")

	// The process dies; another simulator starts over the same database.
	second := durableSim(app, clk, 9000)
	again, err := second.Submit(ctx, "sub-1", data)
	require.NoError(t, err)
	assert.Equal(t, res, again, "a retried submission returns the first result")
	require.EqualValues(t, 3, mailboxRows(t, owner), "and schedules nothing")
	_, err = second.Submit(ctx, "sub-1", batch(t, 8, claim("PCN9", "PAYFULL9", "5")))
	require.ErrorIs(t, err, ErrSubmissionConflict)

	// An in-memory simulator given the same requests at the same times writes
	// the same files: durability changes where they wait, not what they say.
	refClk := &fakeClock{now: t0}
	ref := &testSim{Simulator: NewSimulator(Config{Now: refClk.Now, AckDelay: 2 * time.Second, RemitDelay: 10 * time.Second, SequenceBase: 5000})}
	_, err = ref.Submit(ctx, "sub-1", data)
	require.NoError(t, err)
	want := deliver(t, ref, refClk)

	second.cursor = "IN00009999" // a cursor kept from the in-memory simulator
	got := deliver(t, second, clk)
	for _, k := range []Kind{Kind999, Kind277CA, Kind835} {
		require.Len(t, got[k], 1, k)
		assert.Equal(t, string(want[k][0].Data), string(got[k][0].Data), k)
		assert.True(t, strings.HasPrefix(got[k][0].ID, "MB"), got[k][0].ID)
	}
	rs := parse835(t, got[Kind835])
	require.Len(t, rs[0].Claims, 2)
	deniedCN := rs[0].Claims[1].PayerClaimControlNumber
	require.True(t, rs[0].Claims[1].IsDenial)

	// A third simulator takes the appeal: it knows the denial it never saw.
	third := durableSim(app, clk, 1)
	ap, err := third.Appeal(ctx, appeal("ap-1", "PCN2", deniedCN, 1))
	require.NoError(t, err)
	require.True(t, ap.Accepted, ap.Reason)
	fourth := durableSim(app, clk, 1)
	apAgain, err := fourth.Appeal(ctx, appeal("ap-1", "PCN2", deniedCN, 1))
	require.NoError(t, err)
	assert.Equal(t, ap, apAgain)
	fourth.cursor = second.cursor
	decided := parse835(t, deliver(t, fourth, clk)[Kind835])
	require.Len(t, decided, 1, "one 835 for one appeal, however often it was sent")
	require.Len(t, decided[0].Claims, 1)
	assert.Equal(t, deniedCN, decided[0].Claims[0].PayerClaimControlNumber)
	assert.False(t, decided[0].Claims[0].IsDenial, "DENY50 is paid on appeal")
	assert.NotEqual(t, rs[0].Trace.Number, decided[0].Trace.Number, "check numbers keep counting across restarts")

	// The request log is append-only for the application.
	require.Error(t, app.Exec(`DELETE FROM clearinghouse_requests`).Error)
	require.Error(t, app.Exec(`UPDATE clearinghouse_requests SET body = ''`).Error)
}

// TestDurableMailboxSharedByWorkers: two simulators (two workers) over one
// database take submissions at once; one poller reads every file of every
// submission exactly once, in ID order, and no payer claim or check number is
// given twice.
func TestDurableMailboxSharedByWorkers(t *testing.T) {
	_, app := pgtest.NewPair(t)
	ctx := context.Background()
	clk := &fakeClock{now: t0}
	sims := []*testSim{durableSim(app, clk, 100), durableSim(app, clk, 100)}
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := 0; i < n; i++ {
		pcn := fmt.Sprintf("PCN%d", i)
		data := batch(t, 10+i, claim(pcn, "PAYFULL"+pcn, "100"))
		for j, s := range sims {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("sub-%d", i) // both workers send each submission: a retry elsewhere
				if _, err := s.Submit(ctx, id, data); err != nil {
					errs <- fmt.Errorf("worker %d %s: %w", j, id, err)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	reader := durableSim(app, clk, 100)
	got := deliver(t, reader, clk) // deliver checks the IDs increase
	for _, k := range []Kind{Kind999, Kind277CA, Kind835} {
		assert.Len(t, got[k], n, "one %s per submission", k)
	}
	payerCNs, checks := map[string]bool{}, map[string]bool{}
	for _, r := range parse835(t, got[Kind835]) {
		assert.False(t, checks[r.Trace.Number], "check %s twice", r.Trace.Number)
		checks[r.Trace.Number] = true
		for _, c := range r.Claims {
			assert.False(t, payerCNs[c.PayerClaimControlNumber], "payer claim number %s twice", c.PayerClaimControlNumber)
			payerCNs[c.PayerClaimControlNumber] = true
			assert.False(t, c.IsDenial, "no claim is a duplicate (CO-18) of itself")
		}
	}
	more, err := reader.Poll(ctx, reader.cursor)
	require.NoError(t, err)
	assert.Empty(t, more)
}

// TestDurableWaitSeesAnotherWorkersFile: a poller waiting on one simulator
// wakes for a file another simulator (another process) scheduled.
func TestDurableWaitSeesAnotherWorkersFile(t *testing.T) {
	_, app := pgtest.NewPair(t)
	ctx := context.Background()
	waiter := NewSimulator(Config{DB: app, AckDelay: 0, RemitDelay: time.Second})
	sender := NewSimulator(Config{DB: app, AckDelay: 0, RemitDelay: time.Second})
	done := make(chan error, 1)
	go func() { done <- waiter.Wait(ctx, "", time.Now().Add(time.Minute)) }()
	_, err := sender.Submit(ctx, "sub-1", batch(t, 1, claim("PCN1", "PAYFULL1", "100")))
	require.NoError(t, err)
	require.NoError(t, <-done)
	files, err := waiter.Poll(ctx, "")
	require.NoError(t, err)
	require.NotEmpty(t, files, "Wait returned because a file is there, not because the minute passed")
}
