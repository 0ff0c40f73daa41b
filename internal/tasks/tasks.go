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

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
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
	QueueInventory   = "inventory"     // supplies to reorder (internal/inventory)
	QueueDisputes    = "disputes"      // patients disputing a balance; dunning waits
)

// Queues are every queue a task can be in, in the order teams usually work them.
// A new queue adds one line here (and one in SLAs).
var Queues = []string{
	QueueCharges,
	QueueClaimFix,
	QueueEligibility,
	QueueRejections,
	QueueFollowUp,
	QueueDenials,
	QueueApprovals,
	QueueUnmatched,
	QueueInventory,
	QueueLegal,
	QueueDisputes,
}

// QueueLegal holds the held legal cases' work: attorney follow-ups, missing
// liens, treatment gaps, statute-of-limitations reminders.
const QueueLegal = "legal-follow-up"

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
	KindReorder        = "reorder" // stock fell below an item's reorder level at a location
	KindDispute        = "balance_dispute"
)

// Kinds of the hold workflow's tasks (queue legal-follow-up).
const (
	KindAttorneyFollowUp = "attorney_follow_up" // answered by the hold's record-follow-up
	KindNoLien           = "no_lien"
	KindTreatmentGap     = "treatment_gap"
	KindSOLReminder      = "sol_reminder"  // 90 days before the statute of limitations
	KindSOLEscalated     = "sol_escalated" // 30 days before, for a manager
)

// Kinds of the hold workflow's approvals (queue approvals), answered by its
// decide-approval update.
const (
	KindReductionApproval = "legal_reduction_approval" // a lien reduction above the threshold
	KindLegalWriteOff     = "legal_write_off_approval" // a dropped case's balance written off
	KindApprovalOverdue   = "legal_approval_overdue"   // either, unanswered: escalated
)

// ErrNotFound is returned for an unknown task.
var ErrNotFound = apperr.New(apperr.NotFound, "task not found")

// ErrNotClaimable is returned when a task is already done or owned by someone else.
var ErrNotClaimable = apperr.New(apperr.Conflict, "task is not open for this user")

// NewTask describes a task to raise.
type NewTask struct {
	Queue       string `json:"queue"`
	Kind        string `json:"kind"`
	BusinessKey string `json:"business_key"`
	CaseID      string `json:"case_id,omitempty"`
	EncounterID string `json:"encounter_id,omitempty"`
	ClaimID     string `json:"claim_id,omitempty"`
	// PatientID, LocationID and PayerID are filled from the case, encounter
	// and claim when not given.
	PatientID  string         `json:"patient_id,omitempty"`
	LocationID string         `json:"location_id,omitempty"`
	PayerID    string         `json:"payer_id,omitempty"`
	Title      string         `json:"title"`
	Details    map[string]any `json:"details,omitempty"`
	Priority   int            `json:"priority"`
	// DueAt is a deadline the work has (an appeal or filing deadline): the
	// task is due then if that is sooner than its SLA.
	DueAt *time.Time `json:"due_at,omitempty"`
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
	// Policy is the SLA table, claim cap and escalation settings; nil means
	// EnvPolicy (the defaults, as the environment overrides them).
	Policy *Policy
}

func (s *Service) policy() Policy {
	if s.Policy != nil {
		return *s.Policy
	}
	return EnvPolicy()
}

// withActor makes the task changes of tx appear in the task history as made by
// actor (the trigger on tasks reads these settings; nobody is the system), with
// an optional note. Both settings end with the transaction.
func withActor(tx *gorm.DB, actor audit.Actor, note string) error {
	return tx.Exec(`SELECT set_config('rcm.actor', ?, true), set_config('rcm.task_note', ?, true)`,
		actor.UserID, note).Error
}

// DueAt is when a task raised at now is overdue: its SLA from now, or the
// raiser's deadline if that is sooner. A deadline already past when the task is
// raised is why the task exists (a visit whose charges were due), not its SLA.
func (p Policy) DueAt(queue, kind string, now time.Time, deadline *time.Time) time.Time {
	due := now.Add(p.Within(queue, kind))
	if deadline != nil && deadline.After(now) && deadline.Before(due) {
		due = *deadline
	}
	return due.UTC()
}

// Ensure creates the task unless one with the same business key exists, and returns
// the id of the task either way. Its due time comes from the SLA table; its
// patient, location and payer (and the encounter and case of a claim's task) are
// filled from the case, encounter and claim it names, unless given.
func (s *Service) Ensure(ctx context.Context, t NewTask) (string, error) {
	details, err := json.Marshal(t.Details)
	if err != nil {
		return "", fmt.Errorf("task %s details: %w", t.BusinessKey, err)
	}
	now := time.Now().UTC()
	var id string
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := withActor(tx, audit.System, ""); err != nil {
			return err
		}
		newID := uuid.NewString()
		res := tx.Exec(`INSERT INTO tasks (id, queue, kind, status, business_key, case_id, encounter_id, claim_id,
				patient_id, location_id, payer_id, title, details, priority, due_at, workflow_id, update_name,
				created_at, updated_at)
			SELECT @id, @queue, @kind, 'open', @key, x.case_id, x.encounter_id, CAST(@claim AS uuid),
				coalesce(CAST(@patient AS uuid), (SELECT patient_id FROM cases WHERE id = x.case_id)),
				coalesce(CAST(@location AS uuid), (SELECT location_id FROM encounters WHERE id = x.encounter_id)),
				coalesce(CAST(@payer AS uuid), (SELECT payer_id FROM claims WHERE id = CAST(@claim AS uuid))),
				@title, @details, @priority, @due, @workflow, @update, @now, @now
			FROM (SELECT coalesce(CAST(@case AS uuid), (SELECT case_id FROM claims WHERE id = CAST(@claim AS uuid))) AS case_id,
				coalesce(CAST(@encounter AS uuid), (SELECT encounter_id FROM claims WHERE id = CAST(@claim AS uuid))) AS encounter_id) x
			ON CONFLICT (business_key) DO NOTHING`, map[string]any{
			"id": newID, "queue": t.Queue, "kind": t.Kind, "key": t.BusinessKey, "claim": ptr(t.ClaimID),
			"patient": ptr(t.PatientID), "location": ptr(t.LocationID), "payer": ptr(t.PayerID),
			"case": ptr(t.CaseID), "encounter": ptr(t.EncounterID), "title": t.Title, "details": string(details),
			"priority": t.Priority, "due": s.policy().DueAt(t.Queue, t.Kind, now, t.DueAt),
			"workflow": t.AnsweredBy.WorkflowID, "update": t.AnsweredBy.Update, "now": now})
		if res.Error != nil {
			return fmt.Errorf("create task %s: %w", t.BusinessKey, res.Error)
		}
		if res.RowsAffected == 0 {
			return tx.Model(&Task{}).Where("business_key = ?", t.BusinessKey).Pluck("id", &id).Error
		}
		id = newID
		return audit.Record(tx, audit.System, "task.create", "task", id,
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
			[]string{StatusOpen, StatusClaimed, StatusSnoozed}).Order("created_at, id").Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
			return err
		}
		if err := withActor(tx, actor, ""); err != nil {
			return err
		}
		now := time.Now().UTC()
		if err := tx.Model(&Task{}).Where("id IN ?", ids).Updates(map[string]any{
			"status": StatusDone, "completed_at": now, "resolution": resolution, "snoozed_until": nil,
			"updated_at": now}).Error; err != nil {
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

// Get reads one task; ErrNotFound when there is none.
func (s *Service) Get(ctx context.Context, id string) (Task, error) {
	var t Task
	if uuid.Validate(id) != nil {
		return t, ErrNotFound
	}
	res := access.Restrict(ctx, s.DB.WithContext(ctx).Where("id = ?", id), "tasks").Limit(1).Find(&t)
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

func isUUID(s string) bool { return uuid.Validate(s) == nil }
