package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
)

// a is used only to name activities; workflows never call it directly.
var a *activities.Activities

// continueAsNewAfter bounds the history of a long-lived case even when the server
// does not suggest continuing as new.
const continueAsNewAfter = 2000

// answerRetry is the bounded retry of the steps an update's caller waits on:
// ten attempts over a few minutes, so the caller gets an answer.
func answerRetry() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
		MaximumInterval: time.Minute, MaximumAttempts: 10}
}

// activityCtx runs an activity with answerRetry.
func activityCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second, RetryPolicy: answerRetry()})
}

// localActivityCtx is activityCtx for local activities. A local activity's
// retries end at its schedule-to-close timeout, which defaults to its
// start-to-close timeout: it is set to cover the ten attempts.
func localActivityCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: 10 * time.Minute, StartToCloseTimeout: 30 * time.Second, RetryPolicy: answerRetry()})
}

// untilDoneLimit bounds the retries of a local activity that retries until done.
const untilDoneLimit = 365 * 24 * time.Hour

// untilDoneCtx runs the workflow's own steps, which nobody waits on: they retry
// without limit until the database or the clearinghouse is back (errors a retry
// cannot mend are non-retryable and return at once).
func untilDoneCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: 5 * time.Minute},
	})
}

// untilDoneLocalCtx is untilDoneCtx for local activities: short steps (a
// database write, a call to the clearinghouse) that run in the workflow's own
// task, retried the same way. A local activity's retries end at its
// schedule-to-close timeout, which defaults to its start-to-close timeout (a
// minute: a longer database outage failed the claim); a year stands for
// "until done".
func untilDoneLocalCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: untilDoneLimit,
		StartToCloseTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: 5 * time.Minute},
	})
}
