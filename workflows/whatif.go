package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/scrubrules"
	"github.com/clinicflow/rcm/workflows/contract"
)

// Defaults of a what-if run.
const (
	whatIfBatchSize     = 100
	whatIfBatchesPerRun = 200
)

// ScrubWhatIfWorkflow runs a proposed scrub rule set over past claims
// (scrub-what-if/<run id>) without changing them: batch after batch, the
// WhatIfBatch activity scrubs the next claims of the run's range with the
// proposed and the baseline rules and commits their results, the counts and
// the cursor together, heartbeating per claim; the workflow keeps the
// progress (the "progress" query) until a batch finds no claims left, which
// completes the run. A worker that dies mid-batch loses only that uncommitted
// batch: the retry (or the next worker) resumes after the last committed one.
// Every few hundred batches the workflow continues as new carrying its
// progress. A batch that keeps failing ends the run as failed; cancelling the
// workflow ends it as cancelled.
func ScrubWhatIfWorkflow(ctx workflow.Context, in contract.WhatIfInput) error {
	if in.BatchSize <= 0 {
		in.BatchSize = whatIfBatchSize
	}
	if in.BatchesPerRun <= 0 {
		in.BatchesPerRun = whatIfBatchesPerRun
	}
	if err := workflow.SetQueryHandler(ctx, contract.QueryWhatIfProgress, func() (contract.WhatIfProgress, error) {
		return in.Progress, nil
	}); err != nil {
		return err
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 20},
	})
	for batches := 0; !in.Progress.Finished; batches++ {
		if batches >= in.BatchesPerRun {
			return workflow.NewContinueAsNewError(ctx, ScrubWhatIfWorkflow, in)
		}
		var p contract.WhatIfProgress
		err := workflow.ExecuteActivity(actx, a.WhatIfBatch, activities.WhatIfBatchInput{RunID: in.RunID, BatchSize: in.BatchSize}).Get(ctx, &p)
		if err != nil {
			status, reason := scrubrules.RunFailed, "a batch could not be scrubbed: "+err.Error()
			var canceled *temporal.CanceledError
			if errors.As(err, &canceled) || ctx.Err() != nil {
				status, reason = scrubrules.RunCancelled, "cancelled"
			}
			end, _ := workflow.NewDisconnectedContext(ctx)
			end = workflow.WithActivityOptions(end, workflow.ActivityOptions{StartToCloseTimeout: time.Minute,
				RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 10}})
			if endErr := workflow.ExecuteActivity(end, a.EndWhatIf, activities.EndWhatIfInput{RunID: in.RunID, Status: status,
				Reason: reason}).Get(end, nil); endErr != nil {
				workflow.GetLogger(ctx).Error("what-if run: could not record its end", "error", endErr)
			}
			return err
		}
		p.Batches = in.Progress.Batches + 1
		in.Progress = p
	}
	return nil
}
