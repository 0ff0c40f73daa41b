package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/demo"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/ledger"
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
