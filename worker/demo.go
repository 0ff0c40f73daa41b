package worker

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/clinicflow/rcm/workflows"
	"github.com/clinicflow/rcm/workflows/contract"
)

// EnsureClinicDay starts the demo clinic's simulated day (demo/clinic-day)
// unless it already runs: a restarted `rcm dev --demo` finds the day where it
// was and leaves it be (with the settings it was started with). A day that was
// stopped (terminated in the Temporal UI) starts again; it keys every visit by
// its date and number, so the visits it makes again are the same visits and
// change nothing. It answers whether the day was already running.
func EnsureClinicDay(ctx context.Context, c client.Client, set contract.ClinicDaySettings) (bool, error) {
	running := false
	d, err := c.DescribeWorkflowExecution(ctx, contract.ClinicDayWorkflowID, "")
	var nf *serviceerror.NotFound
	switch {
	case err == nil:
		running = d.GetWorkflowExecutionInfo().GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING
	case !errors.As(err, &nf):
		return false, fmt.Errorf("look up the demo clinic day: %w", err)
	}
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       contract.ClinicDayWorkflowID,
		TaskQueue:                contract.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.ClinicDayWorkflow, contract.ClinicDayInput{Settings: set})
	if err != nil {
		return false, fmt.Errorf("start the demo clinic day: %w", err)
	}
	return running, nil
}
