// Package worker registers the product's workflows and activities on a Temporal
// worker for the task queue, and keeps the clearinghouse poller and the task
// escalation sweep running.
package worker

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/workflows"
	"github.com/clinicflow/rcm/workflows/contract"
)

// Register adds every workflow and activity to r. Workflows are registered under
// the contract's names (their functions' names), which callers that do not import
// the workflows package start them by.
func Register(r sdkworker.Registry, acts *activities.Activities) {
	for name, fn := range map[string]any{
		contract.CaseWorkflowName:          workflows.CaseWorkflow,
		contract.ClaimWorkflowName:         workflows.ClaimWorkflow,
		contract.InboundWorkflowName:       workflows.InboundWorkflow,
		contract.PollerWorkflowName:        workflows.PollerWorkflow,
		contract.EscalationWorkflowName:    workflows.TaskEscalationWorkflow,
		contract.HoldWorkflowName:          workflows.HoldWorkflow,
		contract.DunningWorkflowName:       workflows.DunningWorkflow,
		contract.PackageExpiryWorkflowName: workflows.PackageExpiryWorkflow,
		contract.WhatIfWorkflowName:        workflows.ScrubWhatIfWorkflow,
		contract.ClinicDayWorkflowName:     workflows.ClinicDayWorkflow,
	} {
		r.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: name})
	}
	r.RegisterActivity(acts)
	// The escalation sweep runs at the time the activity runs, not a time the
	// workflow passes in.
	r.RegisterActivityWithOptions(func(ctx context.Context) (tasks.SweepResult, error) {
		return acts.Tasks.Sweep(ctx, time.Now().UTC())
	}, activity.RegisterOptions{Name: contract.ActivitySweepTasks})
}

// Options are the worker's settings: four pollers of each kind instead of two,
// so that when a burst of visits, claims and inbound files leaves tasks waiting
// in the queue, the worker takes several at once rather than one poll round
// trip at a time (the embedded server answers polls in microseconds; the
// executors' defaults already allow hundreds of tasks at once).
func Options() sdkworker.Options {
	return sdkworker.Options{MaxConcurrentWorkflowTaskPollers: 4, MaxConcurrentActivityTaskPollers: 4}
}

// New creates (but does not start) a worker on the product's task queue.
func New(c client.Client, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, contract.TaskQueue, Options())
	Register(w, acts)
	return w
}

// EnsureEscalation starts the task escalation workflow unless it already runs:
// one per namespace, whichever worker starts first. It first reads the work
// queue settings (tasks.PolicyFromEnv: TASK_SLA, TASK_CLAIM_CAP, ...) and
// refuses bad ones, so a misspelt SLA stops the start instead of being ignored.
func EnsureEscalation(ctx context.Context, c client.Client) error {
	p, err := tasks.PolicyFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       contract.EscalationWorkflowID,
		TaskQueue:                contract.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.TaskEscalationWorkflow, contract.EscalationInput{Interval: p.SweepInterval})
	if err != nil {
		return fmt.Errorf("start task escalation: %w", err)
	}
	return nil
}

// EnsurePackageExpiry starts the package expiry workflow unless it already
// runs: one per namespace, whichever worker starts first. Packages past their
// last day then expire by themselves every midnight UTC (POST /packages/expire
// stays for running it by hand).
func EnsurePackageExpiry(ctx context.Context, c client.Client) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       contract.PackageExpiryWorkflowID,
		TaskQueue:                contract.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.PackageExpiryWorkflow, contract.PackageExpiryInput{})
	if err != nil {
		return fmt.Errorf("start package expiry: %w", err)
	}
	return nil
}

// EnsurePoller starts the clearinghouse poller unless it already runs: one per
// namespace, whichever worker starts first.
func EnsurePoller(ctx context.Context, c client.Client, interval time.Duration) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       contract.PollerWorkflowID,
		TaskQueue:                contract.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.PollerWorkflow, contract.PollerInput{Interval: interval})
	if err != nil {
		return fmt.Errorf("start clearinghouse poller: %w", err)
	}
	return nil
}
