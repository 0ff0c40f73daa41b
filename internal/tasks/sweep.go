package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/clinicflow/rcm/internal/audit"
)

// SweepResult is what one escalation sweep did and when the next one is due.
type SweepResult struct {
	Escalated int `json:"escalated"`
	Woken     int `json:"woken"`
	// Next is the earliest due time or snooze end still ahead (nil: none).
	Next *time.Time `json:"next,omitempty"`
}

// sweepBatch bounds one statement of a sweep, so a large backlog (a queue
// neglected for a week) is flagged in short transactions.
const sweepBatch = 1000

// Sweep escalates every open or claimed task whose due time has passed by now
// (flagged overdue, priority raised by the policy's EscalationBoost: once, since
// a task already overdue is never picked again) and brings back every snoozed
// task whose snooze has ended (claimed by whoever held it, or open). The
// escalation workflow runs it (workflows/escalation.go); it is safe to run
// concurrently or repeatedly.
func (s *Service) Sweep(ctx context.Context, now time.Time) (SweepResult, error) {
	var r SweepResult
	boost := s.policy().EscalationBoost
	tx := s.DB.WithContext(ctx)
	for {
		res := tx.Exec(`UPDATE tasks SET overdue = true, escalated_at = @now, updated_at = @now,
				priority = least(priority + @boost, 1000)
			WHERE id IN (SELECT id FROM tasks WHERE status IN ('open', 'claimed') AND NOT overdue AND due_at <= @now
				ORDER BY due_at LIMIT @batch FOR UPDATE SKIP LOCKED)
			AND NOT overdue`, map[string]any{"now": now, "boost": boost, "batch": sweepBatch})
		if res.Error != nil {
			return r, fmt.Errorf("escalate overdue tasks: %w", res.Error)
		}
		r.Escalated += int(res.RowsAffected)
		if res.RowsAffected < sweepBatch {
			break
		}
	}
	for {
		res := tx.Exec(`UPDATE tasks SET snoozed_until = NULL, updated_at = @now,
				status = CASE WHEN assignee_id IS NULL THEN 'open' ELSE 'claimed' END
			WHERE id IN (SELECT id FROM tasks WHERE status = 'snoozed' AND snoozed_until <= @now
				ORDER BY snoozed_until LIMIT @batch FOR UPDATE SKIP LOCKED)
			AND status = 'snoozed'`, map[string]any{"now": now, "batch": sweepBatch})
		if res.Error != nil {
			return r, fmt.Errorf("wake snoozed tasks: %w", res.Error)
		}
		r.Woken += int(res.RowsAffected)
		if res.RowsAffected < sweepBatch {
			break
		}
	}
	var next struct{ At *time.Time }
	if err := tx.Raw(`SELECT least(
			(SELECT min(due_at) FROM tasks WHERE status IN ('open', 'claimed') AND NOT overdue),
			(SELECT min(snoozed_until) FROM tasks WHERE status = 'snoozed')) AS at`).Scan(&next).Error; err != nil {
		return r, fmt.Errorf("next due task: %w", err)
	}
	r.Next = next.At
	if r.Escalated > 0 || r.Woken > 0 {
		if err := audit.Record(tx, audit.System, "task.sweep", "task", "sweep", map[string]any{
			"escalated": r.Escalated, "woken": r.Woken}); err != nil {
			return r, err
		}
	}
	return r, nil
}
