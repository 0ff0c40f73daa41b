package tasks

import (
	"time"

	"github.com/clinicflow/rcm/internal/db"
)

// Task statuses. A task is open in its queue, claimed by one user, snoozed until
// a time (it comes back by itself, to whoever held it), or closed: done (with a
// resolution, or the outcome its workflow was answered with) or cancelled.
const (
	StatusOpen      = "open"
	StatusClaimed   = "claimed"
	StatusSnoozed   = "snoozed"
	StatusDone      = "done"
	StatusCancelled = "cancelled"
)

// Statuses are every task status.
var Statuses = []string{StatusOpen, StatusClaimed, StatusSnoozed, StatusDone, StatusCancelled}

// Task is a unit of work for a person, in a named queue.
type Task struct {
	ID          string  `gorm:"primaryKey;type:uuid" json:"id"`
	Queue       string  `json:"queue"`
	Kind        string  `json:"kind"`
	Status      string  `json:"status"`
	BusinessKey string  `json:"business_key"`
	CaseID      *string `gorm:"type:uuid" json:"case_id,omitempty"`
	EncounterID *string `gorm:"type:uuid" json:"encounter_id,omitempty"`
	ClaimID     *string `gorm:"type:uuid" json:"claim_id,omitempty"`
	// PatientID, LocationID and PayerID are filled from the case, encounter
	// and claim when the task is raised, for filters and routing.
	PatientID  *string `gorm:"type:uuid" json:"patient_id,omitempty"`
	LocationID *string `gorm:"type:uuid" json:"location_id,omitempty"`
	PayerID    *string `gorm:"type:uuid" json:"payer_id,omitempty"`
	Title      string  `json:"title"`
	Details    db.JSON `gorm:"type:jsonb" json:"details"`
	Priority   int     `json:"priority"`
	// DueAt is when the task is overdue: its SLA (see SLA) from when it was
	// raised, or a sooner deadline its raiser gave.
	DueAt *time.Time `json:"due_at,omitempty"`
	// Overdue is set once, by the escalation sweep, when DueAt has passed
	// (EscalatedAt says when; the priority was raised then).
	Overdue      bool       `json:"overdue"`
	EscalatedAt  *time.Time `json:"escalated_at,omitempty"`
	SnoozedUntil *time.Time `json:"snoozed_until,omitempty"`
	AssigneeID   *string    `gorm:"type:uuid" json:"assignee_id,omitempty"`
	ClaimedAt    *time.Time `json:"claimed_at,omitempty"`
	CompletedAt  *time.Time `json:"completed_at,omitempty"`
	CompletedBy  *string    `gorm:"type:uuid" json:"completed_by,omitempty"`
	Resolution   string     `json:"resolution"`
	// Outcome is the answer sent to the workflow that waited on the task.
	Outcome db.JSON `gorm:"type:jsonb" json:"outcome,omitempty"`
	Note    string  `json:"note"`
	// WorkflowID and UpdateName are who answers the task: the workflow waiting on
	// it and the update that answers it (empty when no workflow waits).
	WorkflowID string `json:"workflow_id,omitempty"`
	UpdateName string `json:"update,omitempty"`
	// Urgency orders work (lower first): overdue tasks, then higher priority.
	// A generated column: never written.
	Urgency   int       `gorm:"->" json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Event is one change in a task's history, written by the database trigger
// on tasks (migrations/00009_work_queues.sql) whichever code made the change.
type Event struct {
	ID         int64     `gorm:"primaryKey" json:"id"`
	TaskID     string    `gorm:"type:uuid" json:"task_id"`
	At         time.Time `json:"at"`
	Kind       string    `json:"kind"`
	ActorID    *string   `gorm:"type:uuid" json:"actor_id,omitempty"`
	FromStatus string    `json:"from_status,omitempty"`
	ToStatus   string    `json:"to_status"`
	AssigneeID *string   `gorm:"type:uuid" json:"assignee_id,omitempty"`
	Detail     db.JSON   `gorm:"type:jsonb" json:"detail"`
}

// TableName is the table of task events.
func (Event) TableName() string { return "task_events" }

// Event kinds.
const (
	EventCreated    = "created"
	EventClaimed    = "claimed"
	EventReleased   = "released"
	EventReassigned = "reassigned"
	EventSnoozed    = "snoozed"
	EventWoke       = "woke"
	EventEscalated  = "escalated"
	EventCompleted  = "completed"
	EventCancelled  = "cancelled"
)
