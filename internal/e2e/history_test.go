package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/clinicflow/rcm/internal/codec"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/workflows"
)

// recordHistory fetches a workflow's history, replays it against the current
// workflow code (a non-deterministic change fails here), and, with
// RCM_RECORD_HISTORIES=1, saves it under workflows/testdata/histories so the
// workflows package keeps replaying it after the code changes.
func recordHistory(t *testing.T, e *testenv.Env, workflowID, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := e.Temporal.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, ev)
	}
	require.NotEmpty(t, h.Events)

	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: e.DataConverter, FailureConverter: codec.FailureConverter(e.DataConverter)})
	require.NoError(t, err)
	r.RegisterWorkflow(workflows.CaseWorkflow)
	r.RegisterWorkflow(workflows.ClaimWorkflow)
	r.RegisterWorkflow(workflows.HoldWorkflow)
	r.RegisterWorkflow(workflows.DunningWorkflow)
	r.RegisterWorkflow(workflows.ClinicDayWorkflow)
	require.NoError(t, r.ReplayWorkflowHistory(nil, h), "replaying %s", workflowID)

	if os.Getenv("RCM_RECORD_HISTORIES") == "" {
		return
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	dir := filepath.Join("..", "..", "workflows", "testdata", "histories")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644))
}
