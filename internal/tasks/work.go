package tasks

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/validate"
)

// MaxSnooze is the furthest ahead a task may be snoozed.
const MaxSnooze = 366 * 24 * time.Hour

// textArray passes a []string as one PostgreSQL text[] parameter (GORM would
// expand a slice into a list of parameters).
type textArray []string

// Value writes the array literal.
func (a textArray) Value() (driver.Value, error) {
	q := make([]string, len(a))
	for i, s := range a {
		q[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return "{" + strings.Join(q, ",") + "}", nil
}

// claimNextSQL claims the most urgent open task over a list of queues: one
// index probe per queue (tasks_claim_next), each locking its queue's first task
// no one else holds, then the most urgent of those, updated in the same
// statement. Its parameters are the user, the time twice, the queues, then
// those of the scope condition (%s: only tasks of the user's locations).
const claimNextSQL = `UPDATE tasks SET status = 'claimed', assignee_id = ?, claimed_at = ?, updated_at = ?
	WHERE id = (SELECT t.id FROM unnest(CAST(? AS text[])) AS q(name)
		CROSS JOIN LATERAL (SELECT id, urgency, created_at FROM tasks WHERE queue = q.name AND status = 'open' AND %s
			ORDER BY urgency, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) t
		ORDER BY t.urgency, t.created_at, t.id LIMIT 1)
	RETURNING *`

// ClaimNext assigns the most urgent open task (overdue first, then highest
// priority, then oldest) of queue to the actor; with queue "", over the queues of
// the actor's teams. Concurrent callers never get the same task. It returns
// ErrNotFound when there is nothing to claim, a conflict when the actor already
// holds the policy's ClaimCap tasks, and a validation error on queue for an
// unknown queue or a user in no team.
func (s *Service) ClaimNext(ctx context.Context, queue string, actor audit.Actor) (Task, error) {
	var t Task
	queues := []string{queue}
	if queue == "" {
		var err error
		if queues, err = s.UserQueues(ctx, actor.UserID); err != nil {
			return t, err
		}
		if len(queues) == 0 {
			return t, validate.Errors{{Field: "queue", Message: "is required: you are in no team that works a queue"}}
		}
	} else if err := checkQueue(queue); err != nil {
		return t, err
	}
	limit := s.policy().ClaimCap
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// One claim at a time per user, so that the cap holds.
		if err := tx.Exec(`SELECT set_config('rcm.actor', ?, true), set_config('rcm.task_note', '', true),
			pg_advisory_xact_lock(hashtextextended('rcm.task-claim:' || ?, 0))`, actor.UserID, actor.UserID).Error; err != nil {
			return err
		}
		var held int64
		if err := tx.Model(&Task{}).Where("assignee_id = ? AND status = 'claimed'", actor.UserID).Count(&held).Error; err != nil {
			return err
		}
		if held >= int64(limit) {
			return apperr.Errorf(apperr.Conflict, "you hold %d claimed tasks, the most allowed (TASK_CLAIM_CAP=%d): "+
				"complete, release or snooze one first", held, limit)
		}
		now := time.Now().UTC()
		scope, scopeArgs := access.FromContext(ctx).Task("")
		res := tx.Raw(fmt.Sprintf(claimNextSQL, scope),
			append([]any{actor.UserID, now, now, textArray(queues)}, scopeArgs...)...).Scan(&t)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 || t.ID == "" {
			return ErrNotFound
		}
		return audit.Record(tx, actor, "task.claim", "task", t.ID, audit.Diff(
			map[string]any{"status": StatusOpen, "assignee_id": nil},
			map[string]any{"status": t.Status, "assignee_id": t.AssigneeID}))
	})
	return t, err
}

// change runs fn on the task locked for update, after withActor, and rereads
// the task afterwards.
func (s *Service) change(ctx context.Context, id string, actor audit.Actor, note string, fn func(tx *gorm.DB, t Task) error) (Task, error) {
	var t Task
	if !isUUID(id) {
		return t, ErrNotFound
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		scope, scopeArgs := access.FromContext(ctx).Task("")
		res := tx.Raw(`SELECT * FROM tasks WHERE id = ? AND `+scope+` FOR UPDATE`, append([]any{id}, scopeArgs...)...).Scan(&t)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := withActor(tx, actor, note); err != nil {
			return err
		}
		if err := fn(tx, t); err != nil {
			return err
		}
		return tx.Raw(`SELECT * FROM tasks WHERE id = ?`, id).Scan(&t).Error
	})
	return t, err
}

func closed(t Task) bool { return t.Status == StatusDone || t.Status == StatusCancelled }

// Release puts a claimed task back in its queue. Its holder may release it; so
// may a manager (manager true).
func (s *Service) Release(ctx context.Context, id, note string, actor audit.Actor, manager bool) (Task, error) {
	return s.change(ctx, id, actor, note, func(tx *gorm.DB, t Task) error {
		if t.Status != StatusClaimed {
			return apperr.Errorf(apperr.Conflict, "task is %s, not claimed: there is nothing to release", t.Status)
		}
		if !manager && (t.AssigneeID == nil || *t.AssigneeID != actor.UserID) {
			return apperr.New(apperr.Forbidden, "the task is claimed by someone else: only they or a manager may release it")
		}
		if err := tx.Model(&Task{}).Where("id = ?", t.ID).Updates(map[string]any{
			"status": StatusOpen, "assignee_id": nil, "claimed_at": nil, "updated_at": time.Now().UTC()}).Error; err != nil {
			return err
		}
		return audit.Record(tx, actor, "task.release", "task", t.ID, audit.Diff(holding(t),
			map[string]any{"status": StatusOpen, "assignee_id": nil}))
	})
}

// Assign gives an open, claimed or snoozed task to a user (a manager's
// decision: the claim cap does not apply). A snoozed task stays snoozed and
// comes back to that user.
func (s *Service) Assign(ctx context.Context, id, userID, note string, actor audit.Actor) (Task, error) {
	if !isUUID(userID) {
		return Task{}, validate.Errors{{Field: "user_id", Message: "must be a UUID"}}
	}
	return s.change(ctx, id, actor, note, func(tx *gorm.DB, t Task) error {
		if closed(t) {
			return apperr.Errorf(apperr.Conflict, "task is %s: it cannot be assigned", t.Status)
		}
		var ok int64
		if err := tx.Table("users").Where("id = ? AND NOT disabled AND role IN ?", userID, WorkerRoles).Count(&ok).Error; err != nil {
			return err
		}
		if ok == 0 {
			return validate.Errors{{Field: "user_id", Message: "must be an active user who works tasks (" + strings.Join(WorkerRoles, ", ") + ")"}}
		}
		now := time.Now().UTC()
		up := map[string]any{"assignee_id": userID, "updated_at": now}
		if t.Status != StatusSnoozed {
			up["status"], up["claimed_at"] = StatusClaimed, now
		}
		if err := tx.Model(&Task{}).Where("id = ?", t.ID).Updates(up).Error; err != nil {
			return err
		}
		after := holding(t)
		after["assignee_id"] = userID
		if s, ok := up["status"]; ok {
			after["status"] = s
		}
		return audit.Record(tx, actor, "task.assign", "task", t.ID, audit.Merge(audit.Diff(holding(t), after),
			map[string]any{"assignee_id": userID}))
	})
}

// WorkerRoles are the roles that work tasks.
var WorkerRoles = []string{"biller", "manager", "admin"}

// Snooze parks an open or claimed task until a time; the escalation sweep
// brings it back then (claimed by whoever held it, or open in its queue). Its
// holder may snooze it, anyone may snooze an open one, a manager any.
func (s *Service) Snooze(ctx context.Context, id string, until time.Time, note string, actor audit.Actor, manager bool) (Task, error) {
	now := time.Now().UTC()
	if !until.After(now) || until.After(now.Add(MaxSnooze)) {
		return Task{}, validate.Errors{{Field: "until", Message: "must be in the future, at most 366 days ahead"}}
	}
	return s.change(ctx, id, actor, note, func(tx *gorm.DB, t Task) error {
		if t.Status != StatusOpen && t.Status != StatusClaimed {
			return apperr.Errorf(apperr.Conflict, "task is %s: only an open or claimed task can be snoozed", t.Status)
		}
		if !manager && !t.OpenFor(actor.UserID) {
			return ErrNotClaimable
		}
		if err := tx.Model(&Task{}).Where("id = ?", t.ID).Updates(map[string]any{
			"status": StatusSnoozed, "snoozed_until": until.UTC(), "updated_at": now}).Error; err != nil {
			return err
		}
		return audit.Record(tx, actor, "task.snooze", "task", t.ID, audit.Merge(audit.Diff(holding(t),
			map[string]any{"status": StatusSnoozed, "assignee_id": t.AssigneeID, "snoozed_until": until.UTC()}),
			map[string]any{"until": until.UTC()}))
	})
}

// Complete marks a task no workflow waits on done with a resolution. Only an
// open task or one claimed by the actor can be completed.
func (s *Service) Complete(ctx context.Context, id, resolution, note string, actor audit.Actor) (Task, error) {
	return s.change(ctx, id, actor, note, func(tx *gorm.DB, t Task) error {
		if !t.OpenFor(actor.UserID) {
			return ErrNotClaimable
		}
		now := time.Now().UTC()
		if err := tx.Model(&Task{}).Where("id = ?", t.ID).Updates(map[string]any{
			"status": StatusDone, "completed_at": now, "completed_by": actor.UserID, "resolution": resolution,
			"note": note, "updated_at": now}).Error; err != nil {
			return err
		}
		return audit.Record(tx, actor, "task.complete", "task", t.ID, audit.Diff(
			map[string]any{"status": t.Status, "resolution": t.Resolution},
			map[string]any{"status": StatusDone, "resolution": resolution}))
	})
}

// holding is who holds a task and in which status, as an audit row's
// "before" shows it.
func holding(t Task) map[string]any {
	return map[string]any{"status": t.Status, "assignee_id": t.AssigneeID, "snoozed_until": t.SnoozedUntil}
}

// RecordAnswer keeps the outcome a task's workflow accepted, who sent it and
// their note, and closes the task if the workflow has not already.
func (s *Service) RecordAnswer(ctx context.Context, id string, outcome json.RawMessage, note string, actor audit.Actor) (Task, error) {
	return s.change(ctx, id, actor, note, func(tx *gorm.DB, t Task) error {
		now := time.Now().UTC()
		up := map[string]any{"outcome": string(outcome), "completed_by": actor.UserID, "updated_at": now}
		if note != "" {
			up["note"] = note
		}
		if !closed(t) {
			up["status"], up["completed_at"], up["snoozed_until"] = StatusDone, now, nil
			up["resolution"] = "answered: " + t.UpdateName
		}
		if err := tx.Model(&Task{}).Where("id = ?", t.ID).Updates(up).Error; err != nil {
			return fmt.Errorf("record answer of task %s: %w", t.ID, err)
		}
		return audit.Record(tx, actor, "task.answer", "task", t.ID, map[string]any{"update": t.UpdateName})
	})
}

// Events returns a task's history, oldest first; ErrNotFound for no such task.
func (s *Service) Events(ctx context.Context, id string) ([]Event, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	out := []Event{}
	err := s.DB.WithContext(ctx).Where("task_id = ?", id).Order("id").Find(&out).Error
	return out, err
}
