// Package tasks is the work queue for people: rows in the tasks table that a
// workflow raises (idempotently, by business key) and a user claims and completes.
package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/validate"
)

// Queues. Each is a team's work list; claim queues hold tasks about one claim.
const (
	QueueCharges     = "charges"
	QueueClaimFix    = "claim-fix"     // scrub failures to correct before submission
	QueueEligibility = "eligibility"   // inactive coverage found before submission
	QueueRejections  = "rejections"    // 999 / 277CA rejections to correct and resubmit
	QueueFollowUp    = "follow-up"     // silent payers: no 277CA, no 835, filing deadline
	QueueDenials     = "denials"       // denials awaiting a decision, appeals awaiting the payer
	QueueApprovals   = "approvals"     // write-offs awaiting a manager
	QueueUnmatched   = "unmatched-era" // 835 claim payments that match no claim
	QueueDisputes    = "disputes"      // patients disputing a balance; dunning waits
)

// Queues are every queue a task can be in, in the order teams usually work them.
var Queues = []string{QueueCharges, QueueClaimFix, QueueEligibility, QueueRejections, QueueFollowUp, QueueDenials,
	QueueApprovals, QueueUnmatched, QueueDisputes}

// checkQueue refuses a queue that does not exist, so that a misspelt queue is
// not mistaken for an empty one.
func checkQueue(queue string) error {
	if !slices.Contains(Queues, queue) {
		return validate.Errors{{Field: "queue", Message: "must be one of " + strings.Join(Queues, ", ")}}
	}
	return nil
}

// Kinds.
const (
	KindMissingCharges = "missing_charges"
	KindScrubFailed    = "scrub_failed"
	KindIneligible     = "coverage_inactive"
	KindRejected       = "claim_rejected"
	KindNoAck          = "no_277ca"
	KindNoPayment      = "no_835"
	KindTimelyFiling   = "timely_filing"
	KindDenied         = "claim_denied"
	KindAppealOverdue  = "appeal_deadline"
	KindWriteOff       = "write_off_approval"
	KindDispute        = "balance_dispute"
)

// ErrNotFound is returned for an unknown task.
var ErrNotFound = apperr.New(apperr.NotFound, "task not found")

// ErrNotClaimable is returned when a task is already done or owned by someone else.
var ErrNotClaimable = apperr.New(apperr.Conflict, "task is not open for this user")

// NewTask describes a task to raise.
type NewTask struct {
	Queue       string         `json:"queue"`
	Kind        string         `json:"kind"`
	BusinessKey string         `json:"business_key"`
	CaseID      string         `json:"case_id,omitempty"`
	EncounterID string         `json:"encounter_id,omitempty"`
	ClaimID     string         `json:"claim_id,omitempty"`
	Title       string         `json:"title"`
	Details     map[string]any `json:"details,omitempty"`
	Priority    int            `json:"priority"`
	DueAt       *time.Time     `json:"due_at,omitempty"`
	// AnsweredBy is the workflow waiting on the task and the update that answers
	// it; zero when nobody waits (the task is closed by hand).
	AnsweredBy Answer `json:"answered_by,omitzero"`
}

// Answer names who answers a task: the workflow that waits on it and the update
// that answers it.
type Answer struct {
	WorkflowID string `json:"workflow_id"`
	Update     string `json:"update"`
}

// Service reads and writes tasks.
type Service struct {
	DB *gorm.DB
}

// Ensure creates the task unless one with the same business key exists, and returns
// the id of the task either way.
func (s *Service) Ensure(ctx context.Context, t NewTask) (string, error) {
	details, err := json.Marshal(t.Details)
	if err != nil {
		return "", fmt.Errorf("task %s details: %w", t.BusinessKey, err)
	}
	var id string
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := Task{ID: uuid.NewString(), Queue: t.Queue, Kind: t.Kind, Status: StatusOpen,
			BusinessKey: t.BusinessKey, CaseID: ptr(t.CaseID), EncounterID: ptr(t.EncounterID), ClaimID: ptr(t.ClaimID),
			Title: t.Title, Details: details, Priority: t.Priority, DueAt: t.DueAt, CreatedAt: time.Now().UTC(),
			WorkflowID: t.AnsweredBy.WorkflowID, UpdateName: t.AnsweredBy.Update}
		res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "business_key"}}, DoNothing: true}).Create(&row)
		if res.Error != nil {
			return fmt.Errorf("create task %s: %w", t.BusinessKey, res.Error)
		}
		if res.RowsAffected == 0 {
			return tx.Model(&Task{}).Where("business_key = ?", t.BusinessKey).Pluck("id", &id).Error
		}
		id = row.ID
		return audit.Record(tx, audit.System, "task.create", "task", row.ID,
			map[string]any{"queue": t.Queue, "kind": t.Kind, "case_id": t.CaseID})
	})
	return id, err
}

// Resolve closes the open or claimed task with the business key, if any: the
// system saw the work done (a fix arrived, a claim was built). It reports
// whether a task was closed.
func (s *Service) Resolve(ctx context.Context, businessKey, resolution string, actor audit.Actor) (bool, error) {
	n, err := s.resolveWhere(ctx, "business_key = ?", businessKey, resolution, actor)
	return n > 0, err
}

// ResolveClaim closes every open or claimed task of a claim (its workflow saw
// the work done: the payer answered, a decision was taken) and reports how many.
func (s *Service) ResolveClaim(ctx context.Context, claimID, resolution string, actor audit.Actor) (int, error) {
	return s.resolveWhere(ctx, "claim_id = ?", claimID, resolution, actor)
}

func (s *Service) resolveWhere(ctx context.Context, where string, arg any, resolution string, actor audit.Actor) (int, error) {
	var ids []string
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&Task{}).Where(where, arg).Where("status IN ?",
			[]string{StatusOpen, StatusClaimed}).Order("created_at, id").Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
			return err
		}
		if err := tx.Model(&Task{}).Where("id IN ?", ids).Updates(map[string]any{
			"status": StatusDone, "completed_at": time.Now().UTC(), "resolution": resolution}).Error; err != nil {
			return err
		}
		for _, id := range ids {
			if err := audit.Record(tx, actor, "task.resolve", "task", id, map[string]any{"resolution": resolution}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(ids), nil
}

// Filter selects tasks to list.
type Filter struct {
	Queue   string
	Status  []string
	CaseID  string
	ClaimID string
	Limit   int
}

// List returns tasks, highest priority and oldest first; an unknown queue is a
// validation error on queue.
func (s *Service) List(ctx context.Context, f Filter) ([]Task, error) {
	q := s.DB.WithContext(ctx).Model(&Task{})
	if f.Queue != "" {
		if err := checkQueue(f.Queue); err != nil {
			return nil, err
		}
		q = q.Where("queue = ?", f.Queue)
	}
	if len(f.Status) > 0 {
		q = q.Where("status IN ?", f.Status)
	}
	if f.CaseID != "" {
		q = q.Where("case_id = ?", f.CaseID)
	}
	if f.ClaimID != "" {
		q = q.Where("claim_id = ?", f.ClaimID)
	}
	var out []Task
	err := q.Order("priority DESC, created_at, id").Limit(db.Page(f.Limit)).Find(&out).Error
	return out, err
}

// ClaimNext assigns the highest-priority open task in queue to userID. Concurrent
// callers never get the same task. It returns ErrNotFound when the queue is empty,
// and a validation error on queue when there is no such queue.
func (s *Service) ClaimNext(ctx context.Context, queue string, actor audit.Actor) (Task, error) {
	var t Task
	if err := checkQueue(queue); err != nil {
		return t, err
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Raw(`SELECT * FROM tasks WHERE queue = ? AND status = 'open'
			ORDER BY priority DESC, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`, queue).Scan(&t)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		now := time.Now().UTC()
		if err := tx.Model(&Task{}).Where("id = ?", t.ID).Updates(map[string]any{
			"status": StatusClaimed, "assignee_id": actor.UserID, "claimed_at": now}).Error; err != nil {
			return err
		}
		t.Status, t.AssigneeID, t.ClaimedAt = StatusClaimed, &actor.UserID, &now
		return audit.Record(tx, actor, "task.claim", "task", t.ID, nil)
	})
	return t, err
}

// Complete marks a task done with a resolution. Only an open task or one claimed by
// the actor can be completed.
func (s *Service) Complete(ctx context.Context, id, resolution string, actor audit.Actor) (Task, error) {
	var t Task
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Raw(`SELECT * FROM tasks WHERE id = ? FOR UPDATE`, id).Scan(&t)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if !t.OpenFor(actor.UserID) {
			return ErrNotClaimable
		}
		now := time.Now().UTC()
		if err := tx.Model(&Task{}).Where("id = ?", id).Updates(map[string]any{
			"status": StatusDone, "completed_at": now, "resolution": resolution}).Error; err != nil {
			return err
		}
		t.Status, t.CompletedAt, t.Resolution = StatusDone, &now, resolution
		return audit.Record(tx, actor, "task.complete", "task", id, nil)
	})
	return t, err
}

// Get reads one task; ErrNotFound when there is none.
func (s *Service) Get(ctx context.Context, id string) (Task, error) {
	var t Task
	if uuid.Validate(id) != nil {
		return t, ErrNotFound
	}
	res := s.DB.WithContext(ctx).Where("id = ?", id).Limit(1).Find(&t)
	switch {
	case res.Error != nil:
		return t, fmt.Errorf("read task %s: %w", id, res.Error)
	case res.RowsAffected == 0:
		return t, ErrNotFound
	}
	return t, nil
}

// OpenFor reports whether the user may complete the task: it is open, or claimed
// by that user.
func (t Task) OpenFor(userID string) bool {
	switch t.Status {
	case StatusOpen:
		return true
	case StatusClaimed:
		return t.AssigneeID != nil && *t.AssigneeID == userID
	}
	return false
}

// Answered reports whether a workflow waits on the task: it is answered by
// sending its update to that workflow, not closed by hand.
func (t Task) Answered() bool { return t.WorkflowID != "" && t.UpdateName != "" }

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
