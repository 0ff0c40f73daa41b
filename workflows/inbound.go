package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/workflows/contract"
)

// InboundWorkflow applies one inbound file (835, 999 or 277CA) exactly once, then
// tells every claim workflow what the file said about its claim and every case
// workflow what money was posted. Its id (contract.InboundWorkflowID) is the
// remittance's payer and trace number, or the file's hash, so the same file
// arriving twice is one workflow.
func InboundWorkflow(ctx workflow.Context, in contract.InboundFile) (contract.InboundResult, error) {
	var r contract.InboundResult
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: time.Minute, MaximumAttempts: 10},
	})
	if err := workflow.ExecuteActivity(actx, a.ApplyInbound, in).Get(ctx, &r); err != nil {
		return r, err
	}
	logger := workflow.GetLogger(ctx)
	var signals []workflow.Future
	for _, ev := range r.Events {
		signals = append(signals, workflow.SignalExternalWorkflow(ctx, contract.CaseWorkflowID(ev.CaseID), "", contract.SignalInsurance, ev))
	}
	for _, n := range r.Notices {
		signals = append(signals, workflow.SignalExternalWorkflow(ctx, contract.ClaimWorkflowID(n.ClaimID), "", contract.SignalClaimNotice, n))
	}
	for _, f := range signals {
		// A claim whose workflow has finished (paid, written off) takes no more
		// notices; its money still reached the case and the ledger.
		if err := f.Get(ctx, nil); err != nil {
			logger.Warn("inbound file notice not delivered", "error", err)
		}
	}
	return r, nil
}

// pollerIterations bounds one run's history before it continues as new.
const pollerIterations = 200

// PollerWorkflow fetches the clearinghouse's inbound files every interval and
// applies each through its InboundWorkflow, in order, advancing a durable cursor
// only past files applied. A file that does not parse is skipped with an error
// in the log (it cannot become readable by waiting).
func PollerWorkflow(ctx workflow.Context, in contract.PollerInput) error {
	if in.Interval <= 0 {
		in.Interval = time.Minute
	}
	logger := workflow.GetLogger(ctx)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	for i := 0; i < pollerIterations; i++ {
		var files []activities.PolledFile
		if err := workflow.ExecuteActivity(actx, a.PollClearinghouse, in.Cursor, 50).Get(ctx, &files); err != nil {
			return fmt.Errorf("poll: %w", err)
		}
		for _, f := range files {
			if f.Problem != "" {
				logger.Error("clearinghouse file cannot be read; skipped", "file_id", f.ID, "kind", f.Kind, "problem", f.Problem)
				in.Cursor = f.ID
				continue
			}
			cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
				WorkflowID:               f.WorkflowID,
				WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
				ParentClosePolicy:        enums.PARENT_CLOSE_POLICY_ABANDON,
				WaitForCancellation:      false,
				WorkflowExecutionTimeout: 10 * time.Minute,
			})
			err := workflow.ExecuteChildWorkflow(cctx, InboundWorkflow,
				contract.InboundFile{Kind: f.Kind, Data: f.Data, Source: "clearinghouse"}).Get(ctx, nil)
			var appErr *temporal.ApplicationError
			switch {
			case err == nil || temporal.IsWorkflowExecutionAlreadyStartedError(err):
			case errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeUnreadable:
				logger.Error("clearinghouse file cannot be applied; skipped", "file_id", f.ID, "kind", f.Kind, "error", err)
			default:
				// Try again after the interval; later files wait their turn.
				logger.Error("clearinghouse file not applied; retrying", "file_id", f.ID, "kind", f.Kind, "error", err)
				files = nil
			}
			if files == nil {
				break
			}
			in.Cursor = f.ID
		}
		if len(files) == 0 {
			if err := workflow.Sleep(ctx, in.Interval); err != nil {
				return err
			}
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			break
		}
	}
	return workflow.NewContinueAsNewError(ctx, PollerWorkflow, in)
}
