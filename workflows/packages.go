package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/internal/packages"
	"github.com/clinicflow/rcm/workflows/contract"
)

// packageExpiryIterations bounds one run's history before it continues as new.
const packageExpiryIterations = 60

// PackageExpiryWorkflow expires patients' packages by itself: at every interval
// boundary (midnight UTC by default) it runs the expiry as of that moment
// (activities.ExpirePackages: every package whose last day is over has its
// unused credit refunded or forfeited by its plan's rule, one balanced journal
// each), then sleeps on a durable timer until the next boundary. The activity
// is given the boundary it runs for, so a retry, or a worker that was down and
// catches up, expires exactly what that day's run would have; the expiry itself
// is idempotent (a package expires once, its journal has an idempotency key).
// A failed run is logged and the next boundary tries again (it catches up on
// everything past due). The loop never ends, and continues as new every few
// dozen runs.
func PackageExpiryWorkflow(ctx workflow.Context, in contract.PackageExpiryInput) error {
	if in.Interval <= 0 {
		in.Interval = 24 * time.Hour
	}
	n := in.Iterations
	if n <= 0 {
		n = packageExpiryIterations
	}
	logger := workflow.GetLogger(ctx)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 10},
	})
	for range n {
		asOf := workflow.Now(ctx).UTC()
		var r packages.ExpiryResult
		if err := workflow.ExecuteActivity(actx, a.ExpirePackages, asOf).Get(ctx, &r); err != nil {
			logger.Error("package expiry failed; the next run catches up", "error", err)
		} else if r.Expired > 0 {
			logger.Info("packages expired", "expired", r.Expired, "refunded", r.Refunded.StringFixed(2),
				"forfeited", r.Forfeited.StringFixed(2))
		}
		now := workflow.Now(ctx).UTC()
		next := now.Truncate(in.Interval).Add(in.Interval)
		if err := workflow.Sleep(ctx, next.Sub(now)); err != nil {
			return err
		}
	}
	return workflow.NewContinueAsNewError(ctx, PackageExpiryWorkflow, in)
}
