package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/db"
)

// QueueCounts is what one queue holds now.
type QueueCounts struct {
	Queue   string `json:"queue"`
	Open    int64  `json:"open"`
	Overdue int64  `json:"overdue"`
	Claimed int64  `json:"claimed"`
	Snoozed int64  `json:"snoozed"`
	// DoneToday counts the tasks closed done since the start of the day (in the
	// caller's time zone).
	DoneToday int64 `json:"done_today"`
}

// Work is a user's day: the tasks they hold, their teams, and what each queue
// their teams work holds.
type Work struct {
	Claimed  []Task        `json:"claimed"`
	Snoozed  []Task        `json:"snoozed"`
	Teams    []Team        `json:"teams"`
	Queues   []QueueCounts `json:"queues"`
	ClaimCap int           `json:"claim_cap"`
}

// MyWork returns the user's work; dayStart is the start of the user's today.
func (s *Service) MyWork(ctx context.Context, userID string, dayStart time.Time) (Work, error) {
	w := Work{Claimed: []Task{}, Snoozed: []Task{}, Queues: []QueueCounts{}, ClaimCap: s.policy().ClaimCap}
	tx := s.DB.WithContext(ctx)
	for _, l := range []struct {
		status string
		dst    *[]Task
	}{{StatusClaimed, &w.Claimed}, {StatusSnoozed, &w.Snoozed}} {
		// The status is written into the SQL so that the partial index of
		// claimed tasks serves prepared statements too (see Filter.where).
		if err := tx.Where("assignee_id = ? AND status = '"+l.status+"'", userID).Order("urgency, created_at, id").
			Limit(db.MaxPage).Find(l.dst).Error; err != nil {
			return w, fmt.Errorf("tasks of user %s: %w", userID, err)
		}
	}
	var err error
	if w.Teams, err = s.Teams(ctx, userID); err != nil {
		return w, err
	}
	queues, err := s.UserQueues(ctx, userID)
	if err != nil || len(queues) == 0 {
		return w, err
	}
	w.Queues, err = s.Counts(ctx, queues, dayStart)
	return w, err
}

// Counts returns, for each queue, its open, overdue (open or claimed),
// claimed and snoozed tasks and those done since dayStart, in the order given.
func (s *Service) Counts(ctx context.Context, queues []string, dayStart time.Time) ([]QueueCounts, error) {
	tx := s.DB.WithContext(ctx)
	// A user limited to some locations counts only their locations' tasks.
	scope, scopeArgs := access.FromContext(ctx).Task("")
	var live []QueueCounts
	if err := tx.Raw(`SELECT queue,
			count(*) FILTER (WHERE status = 'open') AS open,
			count(*) FILTER (WHERE overdue AND status IN ('open', 'claimed')) AS overdue,
			count(*) FILTER (WHERE status = 'claimed') AS claimed,
			count(*) FILTER (WHERE status = 'snoozed') AS snoozed
		FROM tasks WHERE queue = ANY(?::text[]) AND status IN ('open', 'claimed', 'snoozed') AND `+scope+`
		GROUP BY queue`, append([]any{textArray(queues)}, scopeArgs...)...).Scan(&live).Error; err != nil {
		return nil, fmt.Errorf("count queues: %w", err)
	}
	var done []QueueCounts
	if err := tx.Raw(`SELECT queue, count(*) AS done_today FROM tasks
		WHERE queue = ANY(?::text[]) AND status = 'done' AND completed_at >= ? AND `+scope+`
		GROUP BY queue`, append([]any{textArray(queues), dayStart}, scopeArgs...)...).Scan(&done).Error; err != nil {
		return nil, fmt.Errorf("count done today: %w", err)
	}
	out := make([]QueueCounts, len(queues))
	for i, q := range queues {
		out[i].Queue = q
		for _, c := range live {
			if c.Queue == q {
				out[i] = c
			}
		}
		for _, c := range done {
			if c.Queue == q {
				out[i].DoneToday = c.DoneToday
			}
		}
	}
	return out, nil
}
