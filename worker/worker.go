// Package worker registers the product's workflows and activities on a Temporal
// worker for the task queue.
package worker

import (
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/workflows"
)

// Register adds every workflow and activity to r.
func Register(r sdkworker.Registry, acts *activities.Activities) {
	r.RegisterWorkflow(workflows.CaseWorkflow)
	r.RegisterActivity(acts)
}

// New creates (but does not start) a worker on the product's task queue.
func New(c client.Client, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{})
	Register(w, acts)
	return w
}
