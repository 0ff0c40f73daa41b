package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// taskFilters are the query parameters of task lists.
var taskFilters = []string{"queue", "kind", "status", "assignee", "team", "location_id", "payer_id", "patient_id",
	"case_id", "claim_id", "case_kind", "older_than", "newer_than", "overdue", "cursor"}

// taskFilter reads a task list's filters: lists are comma separated (queue,
// kind, status), assignee is a user id, "me" or "none", ages are durations
// ("36h") or days ("7d"), overdue is true or false. Bad values are one 400
// naming each.
func taskFilter(c *gin.Context, defaultStatus string) (tasks.Filter, bool) {
	if !onlyQuery(c, taskFilters...) {
		return tasks.Filter{}, false
	}
	list := func(name, def string) []string {
		v := c.DefaultQuery(name, def)
		if v == "" {
			return nil
		}
		return strings.Split(v, ",")
	}
	f := tasks.Filter{Queues: list("queue", ""), Kinds: list("kind", ""), Status: list("status", defaultStatus),
		AssigneeID: c.Query("assignee"), TeamID: c.Query("team"), LocationID: c.Query("location_id"),
		PayerID: c.Query("payer_id"), PatientID: c.Query("patient_id"), CaseID: c.Query("case_id"),
		ClaimID: c.Query("claim_id"), CaseKind: c.Query("case_kind"), Cursor: c.Query("cursor")}
	if f.AssigneeID == "me" {
		f.AssigneeID = user(c).ID
	}
	var errs validate.Errors
	for _, a := range []struct {
		name string
		dst  *time.Duration
	}{{"older_than", &f.OlderThan}, {"newer_than", &f.NewerThan}} {
		if v := c.Query(a.name); v != "" {
			d, ok := parseAge(v)
			errs.Check(ok, a.name, "must be a duration like 36h or a number of days like 7d")
			*a.dst = d
		}
	}
	if v := c.Query("overdue"); v != "" {
		b, err := strconv.ParseBool(v)
		errs.Check(err == nil, "overdue", "must be true or false")
		f.Overdue = &b
	}
	if len(errs) > 0 {
		invalid(c, errs)
		return f, false
	}
	limit, ok := limitParam(c)
	f.Limit = limit
	return f, ok
}

// parseAge reads "7d" as seven days, or a Go duration ("36h", "90m").
func parseAge(v string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, err == nil && n > 0 && n <= 3650
	}
	d, err := time.ParseDuration(v)
	return d, err == nil && d > 0
}

// listTasks lists tasks by the filters of taskFilter (status defaults to
// open,claimed), most urgent first, a page at a time: {items, total,
// next_cursor}; pass next_cursor as cursor for the next page.
func (s *Server) listTasks(c *gin.Context) {
	f, ok := taskFilter(c, "open,claimed")
	if !ok {
		return
	}
	page, err := s.tasks.Find(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	showPage(c, page)
}

func showPage(c *gin.Context, p tasks.Page) {
	c.JSON(http.StatusOK, gin.H{"items": showTasks(p.Items), "total": p.Total, "next_cursor": p.Next})
}

// taskEscalations lists the overdue tasks not done in the queues of the teams
// the caller manages (an admin: every queue), with the task list's filters.
func (s *Server) taskEscalations(c *gin.Context) {
	f, ok := taskFilter(c, "")
	if !ok {
		return
	}
	manager := user(c).ID
	if user(c).Role == auth.RoleAdmin {
		manager = ""
	}
	page, err := s.tasks.Escalations(c.Request.Context(), manager, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	showPage(c, page)
}

func (s *Server) getTask(c *gin.Context) {
	t, err := s.tasks.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, showTask(t))
}

// taskEvents is a task's history, oldest first.
func (s *Server) taskEvents(c *gin.Context) {
	if !onlyQuery(c) {
		return
	}
	evs, err := s.tasks.Events(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": evs})
}

type claimRequest struct {
	// Queue to claim from; empty: over the queues of the caller's teams.
	Queue string `json:"queue"`
}

// optionalBind binds a JSON body when there is one: routes whose fields are
// all optional accept no body at all.
func optionalBind(c *gin.Context, dst any) bool {
	if c.Request.ContentLength == 0 {
		return true
	}
	return bind(c, dst)
}

// claimNextTask hands the caller the most urgent open task of a queue, or of
// their teams' queues (204 when there is none).
func (s *Server) claimNextTask(c *gin.Context) {
	var in claimRequest
	if !optionalBind(c, &in) {
		return
	}
	t, err := s.tasks.ClaimNext(c.Request.Context(), in.Queue, actor(c))
	if errors.Is(err, tasks.ErrNotFound) {
		c.Status(http.StatusNoContent)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, showTask(t))
}

type noteRequest struct {
	Note string `json:"note" maxlen:"2000"`
}

// releaseTask puts a claimed task back in its queue (its holder, or a manager).
func (s *Server) releaseTask(c *gin.Context) {
	var in noteRequest
	if !optionalBind(c, &in) {
		return
	}
	t, err := s.tasks.Release(c.Request.Context(), c.Param("id"), in.Note, actor(c), isManager(c))
	s.respondTask(c, t, err)
}

type assignRequest struct {
	UserID string `json:"user_id"`
	Note   string `json:"note" maxlen:"2000"`
}

// assignTask gives a task to a user (managers).
func (s *Server) assignTask(c *gin.Context) {
	var in assignRequest
	if !bind(c, &in) {
		return
	}
	if in.UserID == "" {
		invalid(c, validate.Errors{{Field: "user_id", Message: "is required"}})
		return
	}
	t, err := s.tasks.Assign(c.Request.Context(), c.Param("id"), in.UserID, in.Note, actor(c))
	s.respondTask(c, t, err)
}

type snoozeRequest struct {
	Until *time.Time `json:"until"`
	Note  string     `json:"note" maxlen:"2000"`
}

// snoozeTask parks a task until a time; it comes back by itself.
func (s *Server) snoozeTask(c *gin.Context) {
	var in snoozeRequest
	if !bind(c, &in) {
		return
	}
	if in.Until == nil {
		invalid(c, validate.Errors{{Field: "until", Message: "is required (RFC 3339, like 2026-03-02T15:00:00Z)"}})
		return
	}
	t, err := s.tasks.Snooze(c.Request.Context(), c.Param("id"), *in.Until, in.Note, actor(c), isManager(c))
	s.respondTask(c, t, err)
}

func (s *Server) respondTask(c *gin.Context, t tasks.Task, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, showTask(t))
}

func isManager(c *gin.Context) bool { return slices.Contains(managers, user(c).Role) }

// myWork is the caller's day: what they hold, their teams, and per queue of
// their teams what is open, overdue, claimed, snoozed and done today ("today"
// in the time zone tz, an IANA name; UTC by default).
func (s *Server) myWork(c *gin.Context) {
	if !checkQuery(c, []string{"tz"}) {
		return
	}
	loc := time.UTC
	if tz := c.Query("tz"); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			invalid(c, validate.Errors{{Field: "tz", Message: "must be an IANA time zone, like America/Chicago"}})
			return
		}
		loc = l
	}
	now := time.Now().In(loc)
	y, m, d := now.Date()
	w, err := s.tasks.MyWork(c.Request.Context(), user(c).ID, time.Date(y, m, d, 0, 0, 0, 0, loc))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"claimed": showTasks(w.Claimed), "snoozed": showTasks(w.Snoozed), "teams": w.Teams,
		"queues": w.Queues, "claim_cap": w.ClaimCap})
}

type completeTaskRequest struct {
	// Resolution closes a task no workflow waits on.
	Resolution string `json:"resolution" maxlen:"2000"`
	// Outcome answers a task a workflow waits on: the argument of the task's
	// update (the server adds who answers).
	Outcome json.RawMessage `json:"outcome,omitempty" maxlen:"2000"`
	// Note is kept on the task and in its history.
	Note string `json:"note" maxlen:"2000"`
}

// completeTask answers a task. A task a workflow waits on (it names the workflow
// and the update) takes an outcome, sent to that workflow as that update; the
// workflow closes the task. Any other task is closed here with a resolution.
func (s *Server) completeTask(c *gin.Context) {
	var in completeTaskRequest
	if !bind(c, &in) {
		return
	}
	t, err := s.tasks.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if t.Answered() {
		s.answerTask(c, t, in.Outcome, in.Note)
		return
	}
	if strings.TrimSpace(in.Resolution) == "" {
		invalid(c, validate.Errors{{Field: "resolution", Message: "is required"}})
		return
	}
	t, err = s.tasks.Complete(c.Request.Context(), t.ID, in.Resolution, in.Note, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, showTask(t))
}

// answerWait bounds how long completing a task waits for its workflow's answer.
const answerWait = 30 * time.Second

// taskAnswerRules are what an update answering a task needs beyond the tasks
// route's roles and the workflow's own validation: narrower roles, and outcome
// fields whose absence the update could not tell from a deliberate false.
var taskAnswerRules = map[string]struct {
	roles    []string
	required []string
}{
	contract.UpdateApproveWriteOff: {roles: managers, required: []string{"approve"}},
	contract.UpdateDecideApproval:  {roles: managers, required: []string{"decision"}},
}

// answerTask sends the outcome to the workflow waiting on the task, as the update
// that answers it (AnswerTask, the path the web application's task pages take
// too), and answers with the update's result.
func (s *Server) answerTask(c *gin.Context, t tasks.Task, outcome json.RawMessage, note string) {
	if len(outcome) > 0 {
		var arg map[string]any
		if err := json.Unmarshal(outcome, &arg); err != nil || arg == nil {
			malformed(c, "the outcome must be a JSON object", validate.FieldError{Field: "outcome", Message: "must be an object"})
			return
		}
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	answer, err := s.AnswerTask(c.Request.Context(), t.ID, outcome, note, user(c), actor(c), key)
	if errors.Is(err, context.DeadlineExceeded) {
		problem(c, http.StatusServiceUnavailable, ProblemUnavailable, "Service unavailable", err.Error())
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"task_id": t.ID, "workflow_id": t.WorkflowID, "update": t.UpdateName, "answer": answer})
}

// listAudit filters by entity_type and entity_id, newest first.
func (s *Server) listAudit(c *gin.Context) {
	f := audit.Filter{EntityType: c.Query("entity_type"), EntityID: c.Query("entity_id")}
	listed(c, s, func(ctx context.Context, limit int) ([]audit.Entry, error) {
		f.Limit = limit
		return audit.List(s.DB.WithContext(ctx), f)
	}, showAuditEntry, "entity_type", "entity_id")
}

// taskJSON is a task as the API shows it.
type taskJSON struct {
	ID           string     `json:"id"`
	Queue        string     `json:"queue"`
	Kind         string     `json:"kind"`
	Status       string     `json:"status"`
	BusinessKey  string     `json:"business_key"`
	CaseID       *string    `json:"case_id,omitempty"`
	EncounterID  *string    `json:"encounter_id,omitempty"`
	ClaimID      *string    `json:"claim_id,omitempty"`
	PatientID    *string    `json:"patient_id,omitempty"`
	LocationID   *string    `json:"location_id,omitempty"`
	PayerID      *string    `json:"payer_id,omitempty"`
	Title        string     `json:"title"`
	Details      db.JSON    `json:"details"`
	Priority     int        `json:"priority"`
	DueAt        *time.Time `json:"due_at,omitempty"`
	Overdue      bool       `json:"overdue"`
	EscalatedAt  *time.Time `json:"escalated_at,omitempty"`
	SnoozedUntil *time.Time `json:"snoozed_until,omitempty"`
	AssigneeID   *string    `json:"assignee_id,omitempty"`
	ClaimedAt    *time.Time `json:"claimed_at,omitempty"`
	CompletedAt  *time.Time `json:"completed_at,omitempty"`
	CompletedBy  *string    `json:"completed_by,omitempty"`
	Resolution   string     `json:"resolution"`
	Outcome      db.JSON    `json:"outcome,omitempty"`
	Note         string     `json:"note"`
	WorkflowID   string     `json:"workflow_id,omitempty"`
	UpdateName   string     `json:"update,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func showTask(r tasks.Task) taskJSON {
	return taskJSON{
		ID:           r.ID,
		Queue:        r.Queue,
		Kind:         r.Kind,
		Status:       r.Status,
		BusinessKey:  r.BusinessKey,
		CaseID:       r.CaseID,
		EncounterID:  r.EncounterID,
		ClaimID:      r.ClaimID,
		PatientID:    r.PatientID,
		LocationID:   r.LocationID,
		PayerID:      r.PayerID,
		Title:        r.Title,
		Details:      r.Details,
		Priority:     r.Priority,
		DueAt:        r.DueAt,
		Overdue:      r.Overdue,
		EscalatedAt:  r.EscalatedAt,
		SnoozedUntil: r.SnoozedUntil,
		AssigneeID:   r.AssigneeID,
		ClaimedAt:    r.ClaimedAt,
		CompletedAt:  r.CompletedAt,
		CompletedBy:  r.CompletedBy,
		Resolution:   r.Resolution,
		Outcome:      r.Outcome,
		Note:         r.Note,
		WorkflowID:   r.WorkflowID,
		UpdateName:   r.UpdateName,
		CreatedAt:    r.CreatedAt,
		UpdatedAt:    r.UpdatedAt,
	}
}

func showTasks(ts []tasks.Task) []taskJSON {
	out := make([]taskJSON, len(ts))
	for i, t := range ts {
		out[i] = showTask(t)
	}
	return out
}

// auditEntryJSON is an audit log entry as the API shows it.
type auditEntryJSON struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	ActorID    *string   `json:"actor_id,omitempty"`
	Action     string    `json:"action"`
	EntityType string    `json:"entity_type"`
	EntityID   string    `json:"entity_id"`
	RequestID  string    `json:"request_id"`
	Changes    db.JSON   `json:"changes,omitempty"`
}

func showAuditEntry(r audit.Entry) auditEntryJSON {
	return auditEntryJSON{
		ID:         r.ID,
		At:         r.At,
		ActorID:    r.ActorID,
		Action:     r.Action,
		EntityType: r.EntityType,
		EntityID:   r.EntityID,
		RequestID:  r.RequestID,
		Changes:    r.Changes,
	}
}
