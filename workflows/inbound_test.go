package workflows

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/workflows/contract"
)

// pollerFiles are two submissions' answers as the clearinghouse makes them
// available: their IDs interleave, and each submission's come 999, 277CA, 835.
var pollerFiles = []activities.PolledFile{
	{ID: "IN01", Kind: contract.FileKind999, SubmissionID: "a", WorkflowID: "edi/a999", Data: []byte("a999")},
	{ID: "IN02", Kind: contract.FileKind999, SubmissionID: "b", WorkflowID: "edi/b999", Data: []byte("b999")},
	{ID: "IN03", Kind: contract.FileKind277CA, SubmissionID: "a", WorkflowID: "edi/a277", Data: []byte("a277")},
	{ID: "IN04", Kind: contract.FileKind277CA, SubmissionID: "b", WorkflowID: "edi/b277", Data: []byte("b277")},
	{ID: "IN05", Kind: contract.FileKind835, SubmissionID: "a", WorkflowID: "era/a", Data: []byte("a835")},
	{ID: "IN06", Kind: contract.FileKind835, SubmissionID: "b", WorkflowID: "era/b", Data: []byte("b835")},
}

// pollerRun runs the poller against a clearinghouse holding pollerFiles until it
// continues as new; fail decides, per attempt, whether a file's InboundWorkflow
// fails. It returns the files applied (in the order their workflows finished),
// the cursors polled and the cursor the next run starts from.
type pollerRun struct {
	mu      sync.Mutex
	applied []string
	cursors []string
	tries   map[string]int
}

// The poller's versions recorded before poller-applies-files: files in turn,
// and a batch's submissions side by side.
const (
	pollInTurn = iota
	pollLanes
)

func runPoller(t *testing.T, mode int, fail func(file string, try int) bool) (*pollerRun, string) {
	return runPollerWith(t, mode, pollerFiles, nil, fail)
}

// runPollerWith runs the poller over files, and over later too from its second
// poll on; a 999 takes a second to apply, and a file in slow five.
func runPollerWith(t *testing.T, mode int, files, later []activities.PolledFile, fail func(file string, try int) bool) (*pollerRun, string) {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(PollerWorkflow)
	env.RegisterWorkflow(InboundWorkflow)
	env.RegisterActivity(a)
	if mode == pollInTurn {
		env.OnGetVersion("poller-lanes", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}
	env.OnGetVersion("poller-applies-files", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	r := &pollerRun{tries: map[string]int{}}
	after := func(cursor string) []activities.PolledFile {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.cursors = append(r.cursors, cursor)
		all := files
		if len(r.cursors) > 1 {
			all = append(append([]activities.PolledFile{}, files...), later...)
			slices.SortFunc(all, func(x, y activities.PolledFile) int { return strings.Compare(x.ID, y.ID) })
		}
		var out []activities.PolledFile
		for _, f := range all {
			if f.ID > cursor {
				out = append(out, f)
			}
		}
		return out
	}
	env.OnActivity(a.AwaitClearinghouseFiles, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.PollRequest) ([]activities.PolledFile, error) {
			return after(req.After), nil
		}).Maybe()
	env.OnActivity(a.PollClearinghouse, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, cursor string, _ int) ([]activities.PolledFile, error) {
			return after(cursor), nil
		}).Maybe()
	env.OnWorkflow(InboundWorkflow, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in contract.InboundFile) (contract.InboundResult, error) {
			file := string(in.Data)
			r.mu.Lock()
			r.tries[file]++
			try := r.tries[file]
			r.mu.Unlock()
			// A 999 takes longer than the other files: the other submission's
			// files must not wait for it.
			if in.Kind == contract.FileKind999 {
				_ = workflow.Sleep(ctx, time.Second)
			}
			if strings.HasSuffix(file, "slow") {
				_ = workflow.Sleep(ctx, 5*time.Second)
			}
			if fail != nil && fail(file, try) {
				return contract.InboundResult{}, temporal.NewApplicationError("database down", "Unavailable")
			}
			r.mu.Lock()
			r.applied = append(r.applied, file)
			r.mu.Unlock()
			return contract.InboundResult{Kind: in.Kind}, nil
		})
	env.ExecuteWorkflow(PollerWorkflow, contract.PollerInput{Interval: time.Minute})
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "the poller continues as new: %v", env.GetWorkflowError())
	var next contract.PollerInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	return r, next.Cursor
}

// order returns the files of one submission in the order they were applied.
func (r *pollerRun) order(prefix byte) []string {
	var out []string
	for _, f := range r.applied {
		if f[0] == prefix {
			out = append(out, f)
		}
	}
	return out
}

func TestPollerAppliesEachSubmissionInOrderAndSubmissionsSideBySide(t *testing.T) {
	r, cursor := runPoller(t, pollLanes, nil)
	require.Equal(t, "IN06", cursor)
	require.Len(t, r.applied, 6, "each file once: %v", r.applied)
	require.Equal(t, []string{"a999", "a277", "a835"}, r.order('a'))
	require.Equal(t, []string{"b999", "b277", "b835"}, r.order('b'))
	// Side by side: b's 999 was applied before a's 277CA could follow a's 999.
	require.Less(t, indexOf(r.applied, "b999"), indexOf(r.applied, "a277"), "applied %v", r.applied)
	require.Equal(t, "", r.cursors[0])
	require.Equal(t, "IN06", r.cursors[1], "the next poll starts after the batch")
}

func TestPollerStopsTheCursorAtAFileThatFailedAndAppliesItAgain(t *testing.T) {
	r, cursor := runPoller(t, pollLanes, func(file string, try int) bool { return file == "a277" && try == 1 })
	require.Equal(t, "IN06", cursor)
	require.Equal(t, []string{"a999", "a277", "a835"}, r.order('a'), "a's 835 waits for its 277CA")
	require.Equal(t, "IN02", r.cursors[1], "the cursor stops before the failed file")
	require.Equal(t, 2, r.tries["a277"])
	require.Equal(t, 2, r.tries["b277"], "a file after the failed one is applied again (a no-op)")
}

func TestPollerOfOlderRunsAppliesFilesInTurn(t *testing.T) {
	r, cursor := runPoller(t, pollInTurn, nil)
	require.Equal(t, "IN06", cursor)
	require.Equal(t, []string{"a999", "b999", "a277", "b277", "a835", "b835"}, r.applied)
}

// A third submission's 999 arrives while the first submission's 277CA takes
// five seconds: the batch-at-a-time poller (runs recorded before) polls again
// only after the slow file's lane, so the new file waits for it.
var laterFile = activities.PolledFile{ID: "IN07", Kind: contract.FileKind999, SubmissionID: "c", WorkflowID: "edi/c999", Data: []byte("c999")}

func TestBatchPollerMadeANewFileWaitForTheSlowestLane(t *testing.T) {
	files := slices.Clone(pollerFiles)
	files[2].Data = []byte("a277slow")
	old, _ := runPollerWith(t, pollLanes, files, []activities.PolledFile{laterFile}, nil)
	require.Greater(t, indexOf(old.applied, "c999"), indexOf(old.applied, "a835"), "applied %v", old.applied)
}

// From poller-applies-files the poller runs ApplyClearinghouseFiles one run
// after another from the cursor each returns, waits the interval after a run
// that left files pending, and continues as new from the last cursor.
func TestPollerRunsTheApplyingActivityFromItsCursor(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(PollerWorkflow)
	env.RegisterActivity(a)
	var reqs []activities.ApplyRequest
	var at []time.Time
	env.OnActivity(a.ApplyClearinghouseFiles, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.ApplyRequest) (activities.ApplyOutcome, error) {
			reqs = append(reqs, req)
			at = append(at, env.Now())
			switch len(reqs) {
			case 1:
				return activities.ApplyOutcome{Cursor: "MB0002", Applied: 2, Pending: 1}, nil
			case 2:
				return activities.ApplyOutcome{Cursor: "MB0005", Applied: 3}, nil
			}
			return activities.ApplyOutcome{Cursor: req.After}, nil
		})
	env.ExecuteWorkflow(PollerWorkflow, contract.PollerInput{Cursor: "MB0001", Interval: 2 * time.Second})
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "the poller continues as new: %v", env.GetWorkflowError())
	var next contract.PollerInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.Equal(t, "MB0005", next.Cursor)
	require.Equal(t, 2*time.Second, next.Interval)
	require.Len(t, reqs, pollerIterations)
	require.Equal(t, activities.ApplyRequest{After: "MB0001", RunFor: applyRunFor, Wait: 2 * time.Second, Max: pollBatch}, reqs[0])
	require.Equal(t, "MB0002", reqs[1].After)
	require.Equal(t, "MB0005", reqs[2].After)
	require.GreaterOrEqual(t, at[1].Sub(at[0]), 2*time.Second, "a run that left files pending is followed after the interval")
	require.Equal(t, at[1], at[2], "a run that applied everything is followed at once")
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// TestInboundWorkflowAppliesTheFileThenTellsClaimsAndCases covers both ways of
// applying the file: as an activity (runs recorded before) and a local activity.
func TestInboundWorkflowAppliesTheFileThenTellsClaimsAndCases(t *testing.T) {
	for _, version := range []workflow.Version{workflow.DefaultVersion, 1} {
		var ts testsuite.WorkflowTestSuite
		env := ts.NewTestWorkflowEnvironment()
		env.RegisterActivity(a)
		env.OnGetVersion("inbound-local-apply", workflow.DefaultVersion, 1).Return(version)
		res := contract.InboundResult{Kind: contract.FileKind835,
			Notices: []contract.ClaimNotice{{ClaimID: "cl1", CaseID: "c1", Kind: contract.NoticeRemit}},
			Events:  []contract.InsuranceEvent{{ID: "era:1", CaseID: "c1", ClaimID: "cl1"}}}
		env.OnActivity(a.ApplyInbound, mock.Anything, mock.Anything).Return(res, nil).Once()
		var signalled []string
		env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", mock.Anything, mock.Anything).Return(
			func(_, workflowID, _, signal string, _ any) error {
				signalled = append(signalled, workflowID+" "+signal)
				return nil
			})
		env.ExecuteWorkflow(InboundWorkflow, contract.InboundFile{Kind: contract.FileKind835, Data: []byte("ISA")})
		require.True(t, env.IsWorkflowCompleted())
		require.NoError(t, env.GetWorkflowError())
		var got contract.InboundResult
		require.NoError(t, env.GetWorkflowResult(&got))
		require.Equal(t, res.Kind, got.Kind)
		require.ElementsMatch(t, []string{contract.CaseWorkflowID("c1") + " " + contract.SignalInsurance,
			contract.ClaimWorkflowID("cl1") + " " + contract.SignalClaimNotice}, signalled, "version %d", version)
		env.AssertExpectations(t)
	}
}
