package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/workflows/contract"
)

// escalationIterations bounds one run's history before it continues as new.
const escalationIterations = 500

// minSweepWait keeps a sweep that finds a due time already passed (a task
// raised during the sweep) from spinning.
const minSweepWait = time.Second

// TaskEscalationWorkflow keeps the work queues honest by itself: it sweeps
// (contract.ActivitySweepTasks: every open or claimed task past its SLA due time
// is flagged overdue, once, with its priority raised, so it tops claim-next and
// shows in its team manager's escalations; every snoozed task whose time has
// come goes back to its holder or queue), then sleeps on a durable timer until
// the next due time or snooze end the sweep saw, or at most in.Interval (which
// bounds the wait for tasks raised or snoozed after the sweep). A sweep that
// fails is logged and tried again after the interval; the loop never ends, and
// continues as new every few hundred sweeps.
func TaskEscalationWorkflow(ctx workflow.Context, in contract.EscalationInput) error {
	if in.Interval <= 0 {
		in.Interval = time.Minute
	}
	n := in.Iterations
	if n <= 0 {
		n = escalationIterations
	}
	logger := workflow.GetLogger(ctx)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: 30 * time.Second, MaximumAttempts: 5},
	})
	for range n {
		var r tasks.SweepResult
		wait := in.Interval
		if err := workflow.ExecuteActivity(actx, contract.ActivitySweepTasks).Get(ctx, &r); err != nil {
			logger.Error("task escalation sweep failed; trying again after the interval", "error", err)
		} else if r.Next != nil {
			if d := r.Next.Sub(workflow.Now(ctx)); d < wait {
				wait = max(d, minSweepWait)
			}
		}
		if r.Escalated > 0 || r.Woken > 0 {
			logger.Info("task escalation sweep", "escalated", r.Escalated, "woken", r.Woken)
		}
		if err := workflow.Sleep(ctx, wait); err != nil {
			return err
		}
	}
	return workflow.NewContinueAsNewError(ctx, TaskEscalationWorkflow, in)
}
