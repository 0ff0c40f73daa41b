package workflows

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/clinicflow/rcm/internal/codec"
	"github.com/clinicflow/rcm/internal/testkey"
)

// TestReplayRecordedHistories replays the case and claim histories the end-to-end tests
// recorded against a real server (make record-histories) with the current code. A
// change that is not deterministic for already-running workflows fails here; guard
// such changes with workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories: run `make record-histories`")
	dc, err := codec.DataConverter(testkey.Key)
	require.NoError(t, err)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: codec.FailureConverter(dc)})
			require.NoError(t, err)
			r.RegisterWorkflow(CaseWorkflow)
			r.RegisterWorkflow(ClaimWorkflow)
			r.RegisterWorkflow(HoldWorkflow)
			r.RegisterWorkflow(DunningWorkflow)
			r.RegisterWorkflow(ClinicDayWorkflow)
			fh, err := os.Open(f)
			require.NoError(t, err)
			defer fh.Close()
			h, err := client.HistoryFromJSON(fh, client.HistoryJSONOptions{})
			require.NoError(t, err)
			require.NoError(t, r.ReplayWorkflowHistory(nil, h))
		})
	}
}
