package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/demo"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/worker"
	"github.com/clinicflow/rcm/workflows/contract"
)

// TestDemoClinicDay seeds the demo clinic and runs its clinic day with tiny
// cadences against real Temporal and Postgres: visits are checked in and
// charged through the case workflows, claims go through the simulator and are
// paid, denials, scrub failures, missing coverage, forgotten charges and held
// legal cases put tasks in their queues, the billing office's write-off waits
// for a manager's approval, self-pay patients pay at the desk, dispute and
// get statements; starting the day again finds it running; every journal
// balances and every case's workflow agrees with its ledger.
func TestDemoClinicDay(t *testing.T) {
	sink, err := dunning.StartMailSink("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sink.Close() })
	e := testenv.New(t, testenv.Options{
		MissingChargesAfter: 3 * time.Second,
		// A payer's day long enough that a claim waiting for a fix does not
		// escalate for timely filing during the test.
		ClaimDayLength: 5 * time.Minute,
		LegalDayLength: 500 * time.Millisecond,
		Simulator:      clearinghouse.Config{AckDelay: 100 * time.Millisecond, RemitDelay: 300 * time.Millisecond},
		PollInterval:   200 * time.Millisecond,
		Dunning:        &testenv.DunningOptions{DayLength: time.Second, SMTPAddr: sink.Addr()},
	})
	ctx := context.Background()

	res, err := (&demo.Seeder{DB: e.DB}).Seed(ctx)
	require.NoError(t, err)
	require.True(t, res.Changed())
	require.Equal(t, 60, res.Created[demo.KindPatients])

	set := contract.ClinicDaySettings{VisitEvery: 150 * time.Millisecond, ChargeAfter: 50 * time.Millisecond,
		ForgetEvery: 7, PayEvery: 2, DisputeEvery: 1, DecideEvery: 2, MissingChargesAfter: 3 * time.Second, ClaimDayLength: 5 * time.Minute}
	running, err := worker.EnsureClinicDay(ctx, e.Temporal, set)
	require.NoError(t, err)
	require.False(t, running, "a new clinic day")

	count := func(table, where string, args ...any) int64 {
		var n int64
		require.NoError(t, e.DB.Table(table).Where(where, args...).Count(&n).Error)
		return n
	}
	queue := func(q string) int64 { return count("tasks", "queue = ?", q) }
	var missing []string
	started := time.Now()
	deadline := started.Add(30 * time.Second)
	for time.Now().Before(deadline) {
		missing = nil
		for what, ok := range map[string]bool{
			"10 visits checked in":             count("encounters", "true") >= 10,
			"3 claims paid by the simulator":   count("claims", "stage = ?", "paid") >= 3,
			"a denial":                         queue(tasks.QueueDenials) > 0,
			"a write-off for a manager":        queue(tasks.QueueApprovals) > 0,
			"a disputed balance":               queue(tasks.QueueDisputes) > 0,
			"a scrub failure to fix":           queue(tasks.QueueClaimFix) > 0,
			"a visit without coverage":         count("tasks", "queue = ? AND claim_id IS NULL", tasks.QueueEligibility) > 0,
			"forgotten charges":                queue(tasks.QueueCharges) > 0,
			"an attorney follow-up":            queue(tasks.QueueLegal) > 0,
			"a payment at the desk":            count("payments", "idempotency_key LIKE 'demo-desk-%'") > 0,
			"a statement for a self-pay visit": count("statements", "true") > 0,
		} {
			if !ok {
				missing = append(missing, what)
			}
		}
		if len(missing) == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	require.Empty(t, missing, "the clinic day has not produced these within 30 s (%d visits checked in)", count("encounters", "true"))
	t.Logf("every queue filled after %s, %d visits", time.Since(started).Round(time.Second), count("encounters", "true"))

	// Starting it again (a restarted `rcm dev --demo`) finds it running: same run.
	before, err := e.Temporal.DescribeWorkflowExecution(ctx, contract.ClinicDayWorkflowID, "")
	require.NoError(t, err)
	running, err = worker.EnsureClinicDay(ctx, e.Temporal, set)
	require.NoError(t, err)
	assert.True(t, running)
	after, err := e.Temporal.DescribeWorkflowExecution(ctx, contract.ClinicDayWorkflowID, "")
	require.NoError(t, err)
	assert.Equal(t, before.GetWorkflowExecutionInfo().GetExecution().GetRunId(), after.GetWorkflowExecutionInfo().GetExecution().GetRunId())

	// Stop the day and read what it did.
	q, err := e.Temporal.QueryWorkflow(ctx, contract.ClinicDayWorkflowID, "", contract.QueryClinicDay)
	require.NoError(t, err)
	var st contract.ClinicDayState
	require.NoError(t, q.Get(&st))
	require.NoError(t, e.Temporal.CancelWorkflow(ctx, contract.ClinicDayWorkflowID, ""))
	require.Eventually(t, func() bool {
		d, err := e.Temporal.DescribeWorkflowExecution(ctx, contract.ClinicDayWorkflowID, "")
		return err == nil && d.GetWorkflowExecutionInfo().GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_RUNNING
	}, 10*time.Second, 100*time.Millisecond)
	// The day's history replays against the current code (workflows/ replays
	// the recorded one: make record-histories).
	recordHistory(t, e, contract.ClinicDayWorkflowID, "clinic-day")
	assert.Zero(t, st.Failed, "no visit failed")
	assert.GreaterOrEqual(t, st.Visits, 10)
	assert.Positive(t, st.Payments)
	assert.Positive(t, st.Decisions)
	assert.Positive(t, st.Disputes)
	encounters := count("encounters", "true")
	assert.GreaterOrEqual(t, encounters, int64(st.Visits), "every visit the state counts was checked in")
	assert.LessOrEqual(t, encounters, int64(st.Visits)+1, "and none twice (one may have been in flight)")
	var perDay []int64
	require.NoError(t, e.DB.Table("encounters").Select("count(*)").Group("case_id, service_date").Pluck("count(*)", &perDay).Error)
	for _, n := range perDay {
		assert.LessOrEqual(t, n, int64(demo.MaxRounds), "no case is seen more often than its rounds in a day")
	}
	assert.Zero(t, count("tasks", "queue = ? AND details::text LIKE '%duplicate-claim%'", tasks.QueueClaimFix),
		"no claim duplicates another")
	assert.Zero(t, count("tasks", "queue = ? AND details::text NOT LIKE '%edi-addresses%'", tasks.QueueClaimFix),
		"the only scrub failures are the patients registered without an address")

	// The ledger: every journal balances, and each case's workflow agrees with
	// it once the last payer files are applied.
	bad, err := ledger.CheckAll(e.DB)
	require.NoError(t, err)
	require.Empty(t, bad, "unbalanced journals")
	var seen []struct {
		ID   string
		Kind cases.Kind
	}
	require.NoError(t, e.DB.Table("cases").Select("id, kind").
		Where("id IN (SELECT case_id FROM encounters)").Scan(&seen).Error)
	require.NotEmpty(t, seen)
	for _, c := range seen {
		require.Eventually(t, func() bool { return getCase(t, e, e.AdminToken, c.ID).InAgreement }, 15*time.Second,
			200*time.Millisecond, "%s case %s: the workflow's totals and the ledger agree", c.Kind, c.ID)
		bal, err := ledger.CaseBalances(e.DB, c.ID)
		require.NoError(t, err)
		assert.False(t, bal.PatientBalance().IsNegative(), "case %s", c.ID)
		if c.Kind == cases.Private {
			// charges - payments - adjustments = the ledger's open balance
			assertLedgerInvariant(t, e, c.ID)
		}
	}
}

// TestDemoRestartResumesTheClinicDay runs `rcm dev --demo` (what `make demo`
// runs) on a fresh data folder and database, stops it with SIGINT while the
// clinic day is running, and starts it again: the seed says nothing changed,
// the same run of the clinic day goes on where it was, and no visit is made
// twice.
func TestDemoRestartResumesTheClinicDay(t *testing.T) {
	bin := rcmBinary(t)
	dsn := pgtest.NewDSN(t)
	env := append(os.Environ(),
		"DATA_DIR="+t.TempDir(), "DATABASE_URL="+dsn,
		fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", freePort(t)),
		fmt.Sprintf("TEMPORAL_PORT=%d", freePort(t)),
		fmt.Sprintf("DEV_SMTP_ADDR=127.0.0.1:%d", freePort(t)),
		"TEMPORAL_UI_PORT=0", "TEMPORAL_UI_URL=", "ENCRYPTION_KEY=", "TEMPORAL_ADDRESS=", "LOG_LEVEL=warn",
		"DEMO_VISIT_EVERY=300ms")
	var frontend string
	for _, v := range env {
		if p, ok := strings.CutPrefix(v, "TEMPORAL_PORT="); ok {
			frontend = "127.0.0.1:" + p
		}
	}

	start := func() (logs *syncBuffer, stop func()) {
		logs = &syncBuffer{}
		cmd := exec.Command(bin, "dev", "--demo")
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = logs, logs
		require.NoError(t, cmd.Start())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		require.Eventually(t, func() bool {
			select {
			case err := <-done:
				t.Fatalf("rcm dev --demo exited early: %v\n%s", err, logs.String())
			default:
			}
			return strings.Contains(logs.String(), "RCM is running")
		}, 3*time.Minute, 250*time.Millisecond, "rcm dev --demo did not start:\n%s", logs)
		return logs, func() {
			require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
			select {
			case err := <-done:
				require.NoError(t, err, "rcm dev --demo did not stop cleanly:\n%s", logs.String())
			case <-time.After(time.Minute):
				_ = cmd.Process.Kill()
				t.Fatalf("rcm dev --demo did not stop within a minute:\n%s", logs.String())
			}
		}
	}
	g, err := db.Open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.SQL(g).Close() })
	count := func(table string) int64 {
		var n int64
		require.NoError(t, g.Table(table).Count(&n).Error)
		return n
	}
	runID := func() string {
		c, err := client.Dial(client.Options{HostPort: frontend, Namespace: "default"})
		require.NoError(t, err)
		defer c.Close()
		d, err := c.DescribeWorkflowExecution(context.Background(), contract.ClinicDayWorkflowID, "")
		require.NoError(t, err)
		require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, d.GetWorkflowExecutionInfo().GetStatus())
		return d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	}

	logs, stop := start()
	require.Contains(t, logs.String(), "demo: seeding patients 20/60 ...")
	require.Contains(t, logs.String(), "demo: demo clinic seeded: ")
	require.Contains(t, logs.String(), "demo: the clinic day (demo/clinic-day) started")
	require.Eventually(t, func() bool { return count("encounters") >= 4 }, 40*time.Second, 250*time.Millisecond)
	first := runID()
	stop()
	before := count("encounters")
	audit := count("audit_log")

	logs, stop = start()
	defer stop()
	require.Contains(t, logs.String(), "demo: the demo clinic is already seeded: nothing changed")
	require.Contains(t, logs.String(), "demo: the clinic day (demo/clinic-day) was running: it goes on where it was")
	// The activities in flight when the worker stopped (the clinic day's, and
	// the case workflow's behind its update) time out first (30 s), then their
	// retries find the same updates and the day goes on.
	require.Eventually(t, func() bool { return count("encounters") >= before+3 }, 2*time.Minute, 250*time.Millisecond,
		"the clinic day goes on after the restart")
	require.Equal(t, first, runID(), "the same run of the clinic day, resumed")
	require.EqualValues(t, 60, count("patients"), "nothing seeded twice")
	require.Greater(t, count("audit_log"), audit, "the day's visits are audited")
	var perDay []int64
	require.NoError(t, g.Table("encounters").Select("count(*)").Group("case_id, service_date").Pluck("count(*)", &perDay).Error)
	for _, n := range perDay {
		require.LessOrEqual(t, n, int64(demo.MaxRounds), "no visit made twice")
	}
}

// syncBuffer is a bytes.Buffer a process writes to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
