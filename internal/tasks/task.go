package tasks

import (
	"time"

	"github.com/clinicflow/rcm/internal/db"
)

// Task statuses.
const (
	StatusOpen      = "open"
	StatusClaimed   = "claimed"
	StatusDone      = "done"
	StatusCancelled = "cancelled"
)

// Task is a unit of work for a person, in a named queue.
type Task struct {
	ID          string     `gorm:"primaryKey;type:uuid" json:"id"`
	Queue       string     `json:"queue"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status"`
	BusinessKey string     `json:"business_key"`
	CaseID      *string    `gorm:"type:uuid" json:"case_id,omitempty"`
	EncounterID *string    `gorm:"type:uuid" json:"encounter_id,omitempty"`
	ClaimID     *string    `gorm:"type:uuid" json:"claim_id,omitempty"`
	Title       string     `json:"title"`
	Details     db.JSON    `gorm:"type:jsonb" json:"details"`
	Priority    int        `json:"priority"`
	DueAt       *time.Time `json:"due_at,omitempty"`
	AssigneeID  *string    `gorm:"type:uuid" json:"assignee_id,omitempty"`
	ClaimedAt   *time.Time `json:"claimed_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	Resolution  string     `json:"resolution"`
	// WorkflowID and UpdateName are who answers the task: the workflow waiting on
	// it and the update that answers it (empty when no workflow waits).
	WorkflowID string    `json:"workflow_id,omitempty"`
	UpdateName string    `json:"update,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}
