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
	retry := &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
		MaximumInterval: time.Minute, MaximumAttempts: 10}
	var apply workflow.Future
	// Applying the file is the workflow's one step: run in the workflow's own task
	// as a local activity, it spares a round trip through the task queue.
	if workflow.GetVersion(ctx, "inbound-local-apply", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		apply = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 2 * time.Minute, RetryPolicy: retry}), a.ApplyInbound, in)
	} else {
		apply = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: 2 * time.Minute, RetryPolicy: retry}), a.ApplyInbound, in)
	}
	if err := apply.Get(ctx, &r); err != nil {
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

// PollerWorkflow fetches the clearinghouse's inbound files and applies each
// through its InboundWorkflow, advancing a durable cursor only past files
// applied. A file that does not parse is skipped with an error in the log (it
// cannot become readable by waiting).
//
// The files of one claim submission (999, 277CA, 835) are applied in order; the
// files of different submissions side by side, each moments after the
// clearinghouse makes it available. From version 1 of poller-applies-files an
// activity applies them (pollApplying). Runs recorded before started an
// InboundWorkflow child per file, polled again only when every file of the
// last poll was applied (a file then waited for the slowest submission of the
// batch before it), and older ones applied every file in turn and slept the
// interval when none came.
func PollerWorkflow(ctx workflow.Context, in contract.PollerInput) error {
	if in.Interval <= 0 {
		in.Interval = time.Minute
	}
	// The poll heartbeats: when the worker running it dies (kill -9), another
	// takes it over after the heartbeat timeout, not the start-to-close timeout,
	// which held every inbound file back for a minute after each crash.
	// (Activity options are not part of the history's commands: no version.)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute + in.Interval,
		HeartbeatTimeout:    pollHeartbeatTimeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	lanes := workflow.GetVersion(ctx, "poller-lanes", workflow.DefaultVersion, 1) != workflow.DefaultVersion
	if workflow.GetVersion(ctx, "poller-applies-files", workflow.DefaultVersion, 1) != workflow.DefaultVersion {
		return pollApplying(ctx, in)
	}
	for i := 0; i < pollerIterations; i++ {
		var files []activities.PolledFile
		var err error
		if lanes {
			err = workflow.ExecuteActivity(actx, a.AwaitClearinghouseFiles,
				activities.PollRequest{After: in.Cursor, Max: pollBatch, Wait: in.Interval}).Get(ctx, &files)
		} else {
			err = workflow.ExecuteActivity(actx, a.PollClearinghouse, in.Cursor, 50).Get(ctx, &files)
		}
		if err != nil {
			return fmt.Errorf("poll: %w", err)
		}
		var applied bool
		if lanes {
			applied = applyInLanes(ctx, files, &in.Cursor)
		} else {
			applied = applyInTurn(ctx, files, &in.Cursor)
		}
		// The poll waited already; sleep only after an empty poll of an old run
		// or a file that must be tried again.
		if (!lanes && (len(files) == 0 || !applied)) || (lanes && !applied) {
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

// pollHeartbeatTimeout is how long the poll may go without a heartbeat
// (activities.AwaitClearinghouseFiles beats every two seconds).
const pollHeartbeatTimeout = 10 * time.Second

// pollBatch is how many files one poll fetches.
const pollBatch = 100

// applyInTurn applies the files one after the other, moving the cursor past
// each file applied or unreadable; it stops at a file that failed otherwise
// and reports false.
func applyInTurn(ctx workflow.Context, files []activities.PolledFile, cursor *string) bool {
	for _, f := range files {
		if !applyFile(ctx, f) {
			return false
		}
		*cursor = f.ID
	}
	return true
}

// applyInLanes applies the files of each submission in order, and the
// submissions side by side. The cursor moves past the longest run of files, in
// ID order, that were applied; a file after one that failed is applied again
// with it on the next poll (applying a file twice changes nothing).
func applyInLanes(ctx workflow.Context, files []activities.PolledFile, cursor *string) bool {
	var order []string
	lanes := map[string][]int{}
	for i, f := range files {
		if _, ok := lanes[f.SubmissionID]; !ok {
			order = append(order, f.SubmissionID)
		}
		lanes[f.SubmissionID] = append(lanes[f.SubmissionID], i)
	}
	ok := make([]bool, len(files))
	wg := workflow.NewWaitGroup(ctx)
	for _, lane := range order {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			for _, i := range lanes[lane] {
				if ok[i] = applyFile(ctx, files[i]); !ok[i] {
					return // later files of the submission wait for this one
				}
			}
		})
	}
	wg.Wait(ctx)
	for i, f := range files {
		if !ok[i] {
			return false
		}
		*cursor = f.ID
	}
	return true
}

// applyFile runs the file's InboundWorkflow and reports whether the file is
// done with: applied, applied before, or unreadable (logged and skipped).
func applyFile(ctx workflow.Context, f activities.PolledFile) bool {
	logger := workflow.GetLogger(ctx)
	if f.Problem != "" {
		logger.Error("clearinghouse file cannot be read; skipped", "file_id", f.ID, "kind", f.Kind, "problem", f.Problem)
		return true
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
		return true
	case errors.As(err, &appErr) && appErr.Type() == contract.ErrTypeUnreadable:
		logger.Error("clearinghouse file cannot be applied; skipped", "file_id", f.ID, "kind", f.Kind, "error", err)
		return true
	default:
		// Try again after the interval; later files wait their turn.
		logger.Error("clearinghouse file not applied; retrying", "file_id", f.ID, "kind", f.Kind, "error", err)
		return false
	}
}

// applyRunFor is how long one ApplyClearinghouseFiles run polls before it
// reports its cursor to the poller (which records it in its history and, every
// pollerIterations runs, continues as new).
const applyRunFor = time.Minute

// pollApplying runs ApplyClearinghouseFiles one run after the other: the
// activity fetches files as they arrive and applies them (the files of one
// submission in order, submissions side by side) and tells the claim and case
// workflows; the poller keeps the cursor. The activity heartbeats its cursor
// every poll, so when its worker dies another takes over after the heartbeat
// timeout from the last file known applied.
func pollApplying(ctx workflow.Context, in contract.PollerInput) error {
	// A run lasts a minute, so a worker killed every few seconds fails one
	// attempt after another (each by its heartbeat timeout): with the usual
	// doubling backoff the next attempt waited up to a minute after a
	// restart (make chaos settled in 68 s instead of 8). The activity retries
	// what fails inside it (a file, a poll); an attempt lost with its worker
	// is tried again within seconds.
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: applyRunFor + 3*time.Minute,
		HeartbeatTimeout:    pollHeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 1.5,
			MaximumInterval: 5 * time.Second},
	})
	for i := 0; i < pollerIterations && !workflow.GetInfo(ctx).GetContinueAsNewSuggested(); i++ {
		var out activities.ApplyOutcome
		err := workflow.ExecuteActivity(actx, a.ApplyClearinghouseFiles, activities.ApplyRequest{
			After: in.Cursor, RunFor: applyRunFor, Wait: in.Interval, Max: pollBatch}).Get(ctx, &out)
		if err != nil {
			return fmt.Errorf("apply clearinghouse files: %w", err)
		}
		in.Cursor = out.Cursor
		if out.Pending > 0 {
			// A file kept failing (the database away): try again after the interval.
			if err := workflow.Sleep(ctx, in.Interval); err != nil {
				return err
			}
		}
	}
	return workflow.NewContinueAsNewError(ctx, PollerWorkflow, in)
}
