package tasks

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/validate"
)

// Filter selects tasks to list. Empty fields match every task.
type Filter struct {
	Queues    []string
	Kinds     []string
	Status    []string
	CaseID    string
	ClaimID   string
	PatientID string
	// AssigneeID is a user id, or AssigneeNone for tasks nobody holds.
	AssigneeID string
	// TeamID keeps the tasks in the queues that team works.
	TeamID     string
	LocationID string
	PayerID    string
	// CaseKind keeps tasks about a case of that kind (insurance, mva, ...).
	CaseKind string
	// OlderThan and NewerThan bound the task's age (time since it was raised).
	OlderThan time.Duration
	NewerThan time.Duration
	// Overdue, when set, keeps only overdue (true) or not overdue (false) tasks.
	Overdue *bool
	// ManagerID keeps the tasks in the queues of the teams that user manages.
	ManagerID string
	// Cursor continues a listing where the page before it ended (Page.Next).
	Cursor string
	Limit  int
}

// AssigneeNone filters tasks that nobody holds.
const AssigneeNone = "none"

// Page is one page of a listing: its items, how many tasks match the filter
// in all, and the cursor of the next page ("" on the last one).
type Page struct {
	Items []Task `json:"items"`
	Total int64  `json:"total"`
	Next  string `json:"next_cursor,omitempty"`
}

// Check validates the filter's values; the errors name the filter.
func (f Filter) Check() error {
	var errs validate.Errors
	for _, q := range f.Queues {
		errs.Check(slices.Contains(Queues, q), "queue", "must be one of %s", strings.Join(Queues, ", "))
	}
	for _, st := range f.Status {
		errs.Check(slices.Contains(Statuses, st), "status", "must be one of %s", strings.Join(Statuses, ", "))
	}
	for _, u := range []struct{ field, v string }{{"case_id", f.CaseID}, {"claim_id", f.ClaimID}, {"patient_id", f.PatientID},
		{"team", f.TeamID}, {"location_id", f.LocationID}, {"payer_id", f.PayerID}} {
		errs.Check(u.v == "" || isUUID(u.v), u.field, "must be a UUID")
	}
	errs.Check(f.AssigneeID == "" || f.AssigneeID == AssigneeNone || isUUID(f.AssigneeID), "assignee", "must be a user id, me or none")
	if f.Cursor != "" {
		_, err := decodeCursor(f.Cursor)
		errs.Check(err == nil, "cursor", "is not a cursor this listing returned")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func (f Filter) where(q *gorm.DB, now time.Time) *gorm.DB {
	q = access.Restrict(q.Statement.Context, q, "tasks")
	if len(f.Queues) > 0 {
		q = q.Where("queue IN ?", f.Queues)
	}
	if len(f.Kinds) > 0 {
		q = q.Where("kind IN ?", f.Kinds)
	}
	if len(f.Status) > 0 {
		// Statuses are written into the SQL, not bound: a prepared statement's
		// generic plan cannot use the partial index of open tasks
		// (tasks_claim_next) for status = $1. Check has refused any other value.
		var lits []string
		for _, st := range f.Status {
			if slices.Contains(Statuses, st) {
				lits = append(lits, "'"+st+"'")
			}
		}
		q = q.Where("status IN (" + strings.Join(lits, ", ") + ")")
	}
	for _, c := range []struct{ col, v string }{{"case_id", f.CaseID}, {"claim_id", f.ClaimID}, {"patient_id", f.PatientID},
		{"location_id", f.LocationID}, {"payer_id", f.PayerID}} {
		if c.v != "" {
			q = q.Where(c.col+" = ?", c.v)
		}
	}
	switch f.AssigneeID {
	case "":
	case AssigneeNone:
		q = q.Where("assignee_id IS NULL")
	default:
		q = q.Where("assignee_id = ?", f.AssigneeID)
	}
	if f.TeamID != "" {
		q = q.Where("queue IN (SELECT queue FROM team_queues WHERE team_id = ?)", f.TeamID)
	}
	if f.ManagerID != "" {
		q = q.Where("queue IN (SELECT tq.queue FROM team_queues tq JOIN teams tm ON tm.id = tq.team_id WHERE tm.manager_id = ?)", f.ManagerID)
	}
	if f.CaseKind != "" {
		q = q.Where("case_id IN (SELECT id FROM cases WHERE kind = ?)", f.CaseKind)
	}
	if f.OlderThan > 0 {
		q = q.Where("created_at <= ?", now.Add(-f.OlderThan))
	}
	if f.NewerThan > 0 {
		q = q.Where("created_at > ?", now.Add(-f.NewerThan))
	}
	if f.Overdue != nil {
		q = q.Where("overdue = ?", *f.Overdue)
	}
	return q
}

// cursor is where a page ended: the order key of its last task, and the total
// counted on the first page.
type cursor struct {
	Urgency   int
	CreatedAt time.Time
	ID        string
	Total     int64
}

func (c cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d|%s|%s|%d", c.Urgency,
		c.CreatedAt.UTC().Format(time.RFC3339Nano), c.ID, c.Total))
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, err
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 4 || !isUUID(parts[2]) {
		return c, fmt.Errorf("bad cursor")
	}
	if c.Total, err = strconv.ParseInt(parts[3], 10, 64); err != nil || c.Total < 0 {
		return c, fmt.Errorf("bad cursor")
	}
	if c.Urgency, err = strconv.Atoi(parts[0]); err != nil {
		return c, err
	}
	if c.CreatedAt, err = time.Parse(time.RFC3339Nano, parts[1]); err != nil {
		return c, err
	}
	c.ID = parts[2]
	return c, nil
}

// List returns the first page of the tasks the filter selects (Find without
// the total and the cursor).
func (s *Service) List(ctx context.Context, f Filter) ([]Task, error) {
	p, err := s.Find(ctx, f)
	return p.Items, err
}

// Find returns a page of the tasks the filter selects, most urgent first (the
// order claim-next hands them out: overdue, then priority, then oldest), with
// the total count. Pages continue by keyset (Filter.Cursor), so a task is never
// shown twice or skipped as others are claimed between pages. The total is
// counted on the first page and carried by the cursor to the next ones (it is
// the size of the listing when it started; counting 25,000 tasks again for
// every page would cost more than the page).
func (s *Service) Find(ctx context.Context, f Filter) (Page, error) {
	p := Page{Items: []Task{}}
	if err := f.Check(); err != nil {
		return p, err
	}
	now := time.Now().UTC()
	tx := s.DB.WithContext(ctx)
	q := f.where(tx.Model(&Task{}), now)
	if f.Cursor != "" {
		c, _ := decodeCursor(f.Cursor)
		q = q.Where("(urgency, created_at, id) > (?, ?, ?)", c.Urgency, c.CreatedAt, c.ID)
		p.Total = c.Total
	} else if err := f.where(tx.Model(&Task{}), now).Count(&p.Total).Error; err != nil {
		return p, fmt.Errorf("count tasks: %w", err)
	}
	limit := db.Page(f.Limit)
	if err := q.Order("urgency, created_at, id").Limit(limit + 1).Find(&p.Items).Error; err != nil {
		return p, fmt.Errorf("list tasks: %w", err)
	}
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		last := p.Items[limit-1]
		p.Next = cursor{Urgency: last.Urgency, CreatedAt: last.CreatedAt, ID: last.ID, Total: p.Total}.encode()
	}
	return p, nil
}

// Escalations lists the overdue tasks not yet done in the queues of the teams
// managerID manages (every queue when managerID is ""), most urgent first.
func (s *Service) Escalations(ctx context.Context, managerID string, f Filter) (Page, error) {
	yes := true
	f.Overdue = &yes
	if len(f.Status) == 0 {
		f.Status = []string{StatusOpen, StatusClaimed, StatusSnoozed}
	}
	f.ManagerID = managerID
	return s.Find(ctx, f)
}
