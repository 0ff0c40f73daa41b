package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/packages"
	"github.com/clinicflow/rcm/workflows/contract"
)

// packageBook is packages in memory with the rule of packages.Service.Expire:
// a package whose last day is before the run's day expires, once.
type packageBook struct {
	mu      sync.Mutex
	lastDay map[string]time.Time
	expired map[string]time.Time // the asOf of the run that expired it
	runs    []time.Time
	fail    int
}

func (b *packageBook) expire(_ context.Context, asOf time.Time) (packages.ExpiryResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail > 0 {
		b.fail--
		return packages.ExpiryResult{}, errors.New("database unreachable")
	}
	b.runs = append(b.runs, asOf)
	r := packages.ExpiryResult{Refunded: decimal.Zero, Forfeited: decimal.Zero}
	today := time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	for id, last := range b.lastDay {
		if _, done := b.expired[id]; !done && last.Before(today) {
			b.expired[id] = asOf
			r.Expired++
		}
	}
	return r, nil
}

func runPackageExpiry(t *testing.T, b *packageBook, in contract.PackageExpiryInput, start time.Time) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(PackageExpiryWorkflow, workflow.RegisterOptions{Name: contract.PackageExpiryWorkflowName})
	env.RegisterActivityWithOptions(b.expire, activity.RegisterOptions{Name: "ExpirePackages"})
	env.ExecuteWorkflow(PackageExpiryWorkflow, in)
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "the loop continues as new: %v", env.GetWorkflowError())
}

func TestPackageExpiryRunsByItselfEveryMidnight(t *testing.T) {
	b := &packageBook{expired: map[string]time.Time{}, lastDay: map[string]time.Time{
		"last-day-today":    time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		"last-day-tomorrow": time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC),
		"long-expired":      time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC),
		"next-year":         time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC),
	}}
	start := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	runPackageExpiry(t, b, contract.PackageExpiryInput{Iterations: 4}, start)

	midnight := func(day int) time.Time { return time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC) }
	assert.Equal(t, []time.Time{start, midnight(3), midnight(4), midnight(5)}, b.runs,
		"a run when it starts, then every midnight UTC on a durable timer")
	assert.Equal(t, start, b.expired["long-expired"], "what is past due expires at once")
	assert.Equal(t, midnight(3), b.expired["last-day-today"], "a package is used up to the end of its last day")
	assert.Equal(t, midnight(4), b.expired["last-day-tomorrow"])
	assert.NotContains(t, b.expired, "next-year")
}

func TestPackageExpiryCatchesUpAfterAFailedRun(t *testing.T) {
	b := &packageBook{expired: map[string]time.Time{}, fail: 10, lastDay: map[string]time.Time{
		"p": time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}}
	start := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	runPackageExpiry(t, b, contract.PackageExpiryInput{Iterations: 2}, start)
	// Every attempt of the first run fails; the workflow goes on and the next
	// midnight's run expires the package.
	require.Len(t, b.runs, 1)
	assert.Equal(t, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), b.expired["p"])
}

// claimHistory is a what-if run over n claims in memory, with the rule of
// scrubrules.Service.Batch: each batch commits its claims and the cursor
// together, so a failed batch leaves nothing behind and is done again.
type claimHistory struct {
	mu       sync.Mutex
	total    int
	cursor   int
	scrubbed map[int]int // claim -> times committed
	calls    int
	failAt   map[int]error // call number -> error (the batch is not committed)
	ended    []activities.EndWhatIfInput
}

func (h *claimHistory) batch(_ context.Context, in activities.WhatIfBatchInput) (contract.WhatIfProgress, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if err := h.failAt[h.calls]; err != nil {
		return contract.WhatIfProgress{}, err
	}
	end := min(h.cursor+in.BatchSize, h.total)
	for c := h.cursor; c < end; c++ {
		h.scrubbed[c]++
	}
	n := end - h.cursor
	h.cursor = end
	return contract.WhatIfProgress{Total: h.total, Done: h.cursor, Finished: n < in.BatchSize}, nil
}

func (h *claimHistory) end(_ context.Context, in activities.EndWhatIfInput) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ended = append(h.ended, in)
	return nil
}

func whatIfEnv(h *claimHistory) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(ScrubWhatIfWorkflow, workflow.RegisterOptions{Name: contract.WhatIfWorkflowName})
	env.RegisterActivityWithOptions(h.batch, activity.RegisterOptions{Name: "WhatIfBatch"})
	env.RegisterActivityWithOptions(h.end, activity.RegisterOptions{Name: "EndWhatIf"})
	return env
}

func progressOf(t *testing.T, env *testsuite.TestWorkflowEnvironment) contract.WhatIfProgress {
	t.Helper()
	v, err := env.QueryWorkflow(contract.QueryWhatIfProgress)
	require.NoError(t, err)
	var p contract.WhatIfProgress
	require.NoError(t, v.Get(&p))
	return p
}

func TestWhatIfPagesThroughHistoryAndResumesAfterContinueAsNew(t *testing.T) {
	h := &claimHistory{total: 23, scrubbed: map[int]int{}}
	env := whatIfEnv(h)
	env.ExecuteWorkflow(ScrubWhatIfWorkflow, contract.WhatIfInput{RunID: "run-1", BatchSize: 5, BatchesPerRun: 3})
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &can, "three batches, then continue as new")
	p := progressOf(t, env)
	assert.Equal(t, contract.WhatIfProgress{Total: 23, Done: 15, Batches: 3}, p)

	// The next run starts with the progress carried over and finishes the
	// claims: each one exactly once.
	env = whatIfEnv(h)
	env.ExecuteWorkflow(ScrubWhatIfWorkflow, contract.WhatIfInput{RunID: "run-1", BatchSize: 5, BatchesPerRun: 3, Progress: p})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, contract.WhatIfProgress{Total: 23, Done: 23, Batches: 5, Finished: true}, progressOf(t, env))
	require.Len(t, h.scrubbed, 23)
	for c, n := range h.scrubbed {
		assert.Equal(t, 1, n, "claim %d", c)
	}
	assert.Empty(t, h.ended, "a completed run is ended by its last batch, not marked failed")
}

func TestWhatIfBatchThatFailsIsRetriedWithoutCountingTwice(t *testing.T) {
	// The second batch fails twice (a worker lost, the database away): its
	// transaction never commits, the retries do it once.
	h := &claimHistory{total: 12, scrubbed: map[int]int{}, failAt: map[int]error{
		2: errors.New("connection reset"), 3: errors.New("connection reset")}}
	env := whatIfEnv(h)
	env.ExecuteWorkflow(ScrubWhatIfWorkflow, contract.WhatIfInput{RunID: "run-2", BatchSize: 5})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, 5, h.calls, "three batches and two failed attempts")
	require.Len(t, h.scrubbed, 12)
	for c, n := range h.scrubbed {
		assert.Equal(t, 1, n, "claim %d", c)
	}
}

func TestWhatIfRunThatCannotGoOnEndsAsFailed(t *testing.T) {
	h := &claimHistory{total: 12, scrubbed: map[int]int{}, failAt: map[int]error{
		2: temporal.NewNonRetryableApplicationError("rule set 9 not found", "NotFound", nil)}}
	env := whatIfEnv(h)
	env.ExecuteWorkflow(ScrubWhatIfWorkflow, contract.WhatIfInput{RunID: "run-3", BatchSize: 5})
	require.True(t, env.IsWorkflowCompleted())
	require.Error(t, env.GetWorkflowError())
	require.Len(t, h.ended, 1)
	assert.Equal(t, "run-3", h.ended[0].RunID)
	assert.Equal(t, "failed", h.ended[0].Status)
	assert.Contains(t, h.ended[0].Reason, "rule set 9 not found")
	assert.Equal(t, contract.WhatIfProgress{Total: 12, Done: 5, Batches: 1}, progressOf(t, env))
}

func TestWhatIfCancelledEndsTheRunAsCancelled(t *testing.T) {
	h := &claimHistory{total: 1000, scrubbed: map[int]int{}}
	env := whatIfEnv(h)
	env.RegisterDelayedCallback(env.CancelWorkflow, 0)
	env.ExecuteWorkflow(ScrubWhatIfWorkflow, contract.WhatIfInput{RunID: "run-4", BatchSize: 1})
	require.True(t, env.IsWorkflowCompleted())
	var canceled *temporal.CanceledError
	require.ErrorAs(t, env.GetWorkflowError(), &canceled)
	require.Len(t, h.ended, 1, "the run is ended even though its workflow was cancelled")
	assert.Equal(t, "run-4", h.ended[0].RunID)
	assert.Equal(t, "cancelled", h.ended[0].Status)
	assert.Less(t, len(h.scrubbed), 1000, "stopped before the end")
}
