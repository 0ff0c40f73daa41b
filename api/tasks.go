package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// listTasks filters by queue, status (comma separated; default open,claimed) and case_id.
func (s *Server) listTasks(c *gin.Context) {
	if !onlyQuery(c, "queue", "status", "case_id") {
		return
	}
	f := tasks.Filter{Queue: c.Query("queue"), CaseID: c.Query("case_id"),
		Status: strings.Split(c.DefaultQuery("status", "open,claimed"), ",")}
	if f.CaseID != "" && uuid.Validate(f.CaseID) != nil {
		invalid(c, validate.Errors{{Field: "case_id", Message: "must be a UUID"}})
		return
	}
	limit, ok := limitParam(c)
	if !ok {
		return
	}
	f.Limit = limit
	ts, err := s.tasks.List(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": showTasks(ts)})
}

type claimRequest struct {
	Queue string `json:"queue"`
}

func (s *Server) claimNextTask(c *gin.Context) {
	var in claimRequest
	if !bind(c, &in) {
		return
	}
	if in.Queue == "" {
		invalid(c, validate.Errors{{Field: "queue", Message: "is required"}})
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

type completeTaskRequest struct {
	// Resolution closes a task no workflow waits on.
	Resolution string `json:"resolution" maxlen:"2000"`
	// Outcome answers a task a workflow waits on: the argument of the task's
	// update (the server adds who answers).
	Outcome json.RawMessage `json:"outcome,omitempty" maxlen:"2000"`
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
		s.answerTask(c, t, in.Outcome)
		return
	}
	if strings.TrimSpace(in.Resolution) == "" {
		invalid(c, validate.Errors{{Field: "resolution", Message: "is required"}})
		return
	}
	t, err = s.tasks.Complete(c.Request.Context(), t.ID, in.Resolution, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, showTask(t))
}

// taskAnswerRules are what an update answering a task needs beyond the tasks
// route's roles and the workflow's own validation: narrower roles, and outcome
// fields whose absence the update could not tell from a deliberate false.
var taskAnswerRules = map[string]struct {
	roles    []string
	required []string
}{
	contract.UpdateApproveWriteOff: {roles: managers, required: []string{"approve"}},
}

// answerTask sends the outcome to the workflow waiting on the task, as the update
// that answers it, and answers with the update's result.
func (s *Server) answerTask(c *gin.Context, t tasks.Task, outcome json.RawMessage) {
	if len(outcome) == 0 {
		conflictProblem(c, fmt.Sprintf("the workflow %s waits for this task's answer: complete it with an outcome "+
			"(the argument of its %s update); the task then closes itself", t.WorkflowID, t.UpdateName))
		return
	}
	u := user(c)
	if !t.OpenFor(u.ID) {
		s.fail(c, tasks.ErrNotClaimable)
		return
	}
	rule := taskAnswerRules[t.UpdateName]
	if rule.roles != nil && !slices.Contains(rule.roles, u.Role) {
		problem(c, http.StatusForbidden, ProblemForbidden, "Forbidden",
			"the role "+u.Role+" may not answer this task; allowed: "+strings.Join(rule.roles, ", "))
		return
	}
	var arg map[string]any
	if err := json.Unmarshal(outcome, &arg); err != nil || arg == nil {
		malformed(c, "the outcome must be a JSON object", validate.FieldError{Field: "outcome", Message: "must be an object"})
		return
	}
	var errs validate.Errors
	for _, f := range rule.required {
		_, ok := arg[f]
		errs.Check(ok, "outcome."+f, "is required")
	}
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	arg["actor"] = actor(c)
	if _, ok := arg["encounter_id"]; !ok && t.EncounterID != nil {
		arg["encounter_id"] = *t.EncounterID
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var answer json.RawMessage
	err := s.update(c.Request.Context(), 30*time.Second, t.WorkflowID, t.UpdateName,
		derivedID(t.ID, t.UpdateName, key), arg, &answer)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		conflictProblem(c, "the workflow "+t.WorkflowID+" that waited on this task is no longer running")
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
	ID          string     `json:"id"`
	Queue       string     `json:"queue"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status"`
	BusinessKey string     `json:"business_key"`
	CaseID      *string    `json:"case_id,omitempty"`
	EncounterID *string    `json:"encounter_id,omitempty"`
	ClaimID     *string    `json:"claim_id,omitempty"`
	Title       string     `json:"title"`
	Details     db.JSON    `json:"details"`
	Priority    int        `json:"priority"`
	DueAt       *time.Time `json:"due_at,omitempty"`
	AssigneeID  *string    `json:"assignee_id,omitempty"`
	ClaimedAt   *time.Time `json:"claimed_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	Resolution  string     `json:"resolution"`
	WorkflowID  string     `json:"workflow_id,omitempty"`
	UpdateName  string     `json:"update,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

func showTask(r tasks.Task) taskJSON {
	return taskJSON{
		ID:          r.ID,
		Queue:       r.Queue,
		Kind:        r.Kind,
		Status:      r.Status,
		BusinessKey: r.BusinessKey,
		CaseID:      r.CaseID,
		EncounterID: r.EncounterID,
		ClaimID:     r.ClaimID,
		Title:       r.Title,
		Details:     r.Details,
		Priority:    r.Priority,
		DueAt:       r.DueAt,
		AssigneeID:  r.AssigneeID,
		ClaimedAt:   r.ClaimedAt,
		CompletedAt: r.CompletedAt,
		Resolution:  r.Resolution,
		WorkflowID:  r.WorkflowID,
		UpdateName:  r.UpdateName,
		CreatedAt:   r.CreatedAt,
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
