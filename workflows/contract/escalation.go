package contract

import "time"

// The task escalation workflow: one per deployment, started by every worker
// (whichever starts first), sweeping the work queues.
const (
	// EscalationWorkflowName is the function name of workflows.TaskEscalationWorkflow.
	EscalationWorkflowName = "TaskEscalationWorkflow"
	// EscalationWorkflowID is the one escalation workflow of a deployment.
	EscalationWorkflowID = "task-escalation"
	// ActivitySweepTasks is the activity that escalates overdue tasks and wakes
	// snoozed ones (tasks.Service.Sweep at the time it runs); it answers a
	// tasks.SweepResult.
	ActivitySweepTasks = "SweepTasks"
)

// EscalationInput configures the escalation workflow.
type EscalationInput struct {
	// Interval is the longest wait between sweeps (TASK_SWEEP_INTERVAL); the
	// workflow wakes sooner at the next due time or snooze end it knows of.
	Interval time.Duration `json:"interval"`
	// Iterations is how many sweeps one run makes before it continues as new
	// (0: the default).
	Iterations int `json:"iterations,omitempty"`
}
