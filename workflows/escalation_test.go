package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/workflows/contract"
)

// queueClock is a work queue in memory with the rules of tasks.Service.Sweep:
// a task whose due time has passed is escalated unless it already was, a
// snoozed task whose time has come wakes; the sweep answers the next time
// either happens. It records when each thing happened on the test clock.
type queueClock struct {
	mu        sync.Mutex
	now       func() time.Time
	due       map[string]time.Time
	snoozed   map[string]time.Time
	escalated map[string][]time.Time
	woke      map[string]time.Time
	sweeps    int
	fail      int // sweeps to fail before succeeding
}

func (q *queueClock) sweep(context.Context) (tasks.SweepResult, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sweeps++
	if q.fail > 0 {
		q.fail--
		return tasks.SweepResult{}, errors.New("database unreachable")
	}
	now := q.now()
	var r tasks.SweepResult
	next := func(at time.Time) {
		if r.Next == nil || at.Before(*r.Next) {
			r.Next = &at
		}
	}
	for id, due := range q.due {
		switch {
		case len(q.escalated[id]) > 0:
		case !due.After(now):
			q.escalated[id] = append(q.escalated[id], now)
			r.Escalated++
		default:
			next(due)
		}
	}
	for id, until := range q.snoozed {
		if !until.After(now) {
			q.woke[id] = now
			delete(q.snoozed, id)
			r.Woken++
		} else {
			next(until)
		}
	}
	return r, nil
}

func runEscalation(t *testing.T, q *queueClock, in contract.EscalationInput) (*testsuite.TestWorkflowEnvironment, time.Time) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	q.now = func() time.Time { return env.Now().UTC() }
	env.RegisterWorkflowWithOptions(TaskEscalationWorkflow, workflow.RegisterOptions{Name: contract.EscalationWorkflowName})
	env.RegisterActivityWithOptions(q.sweep, activity.RegisterOptions{Name: contract.ActivitySweepTasks})
	env.ExecuteWorkflow(TaskEscalationWorkflow, in)
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "the loop continues as new: %v", env.GetWorkflowError())
	return env, start
}

func newQueueClock() *queueClock {
	return &queueClock{due: map[string]time.Time{}, snoozed: map[string]time.Time{},
		escalated: map[string][]time.Time{}, woke: map[string]time.Time{}}
}

func TestEscalationSweepsAtTheDueTimeAndEscalatesOnce(t *testing.T) {
	q := newQueueClock()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	q.due["late"] = start.Add(90*time.Minute + 7*time.Second)
	q.due["later"] = start.Add(26 * time.Hour)
	q.snoozed["nap"] = start.Add(30 * time.Minute)
	_, started := runEscalation(t, q, contract.EscalationInput{Interval: time.Hour, Iterations: 20})
	require.Equal(t, start, started)

	require.Len(t, q.escalated["late"], 1, "escalated exactly once over twenty sweeps")
	assert.Equal(t, start.Add(90*time.Minute+7*time.Second), q.escalated["late"][0], "at its due time, not at the next hourly sweep")
	assert.Equal(t, start.Add(30*time.Minute), q.woke["nap"], "the snooze ends on time")
	assert.Empty(t, q.escalated["later"], "twenty sweeps of at most an hour have not reached it")
	assert.Equal(t, 20, q.sweeps)
}

func TestEscalationKeepsSweepingAfterAFailedSweep(t *testing.T) {
	q := newQueueClock()
	q.fail = 5 // every attempt of the first sweep
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	q.due["t"] = start.Add(10 * time.Minute)
	runEscalation(t, q, contract.EscalationInput{Interval: 15 * time.Minute, Iterations: 3})
	// The first sweep fails after its retries; the workflow goes on, and the
	// next sweep, an interval later, escalates the task.
	require.Len(t, q.escalated["t"], 1)
	assert.True(t, q.escalated["t"][0].After(start.Add(15*time.Minute)), "%v", q.escalated["t"][0])
}
