package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
)

// listTasks filters by queue, status (comma separated; default open,claimed) and case_id.
func (s *Server) listTasks(c *gin.Context) {
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
	Resolution string `json:"resolution"`
}

func (s *Server) completeTask(c *gin.Context) {
	var in completeTaskRequest
	if !bind(c, &in) {
		return
	}
	if strings.TrimSpace(in.Resolution) == "" {
		invalid(c, validate.Errors{{Field: "resolution", Message: "is required"}})
		return
	}
	if uuid.Validate(c.Param("id")) != nil {
		notFound(c, "task "+c.Param("id"))
		return
	}
	var t tasks.Task
	res := s.DB.WithContext(c.Request.Context()).Where("id = ?", c.Param("id")).Limit(1).Find(&t)
	if res.Error != nil {
		s.fail(c, res.Error)
		return
	}
	if res.RowsAffected > 0 && t.ClaimID != nil {
		if where, ok := claimAnswer[t.Queue]; ok {
			conflictProblem(c, fmt.Sprintf("the claim's workflow waits for this answer: use POST /api/v1/claims/%s/%s; the task closes itself", *t.ClaimID, where))
			return
		}
	}
	t, err := s.tasks.Complete(c.Request.Context(), c.Param("id"), in.Resolution, actor(c))
	respond(c, s, http.StatusOK)(t, err)
}

// claimAnswer names, per queue, the claim endpoint that answers a claim task the
// claim's workflow waits on. Completing such a task by hand would leave the
// workflow waiting with nothing in a queue.
var claimAnswer = map[string]string{
	tasks.QueueClaimFix:    "fix",
	tasks.QueueEligibility: "fix",
	tasks.QueueRejections:  "fix",
	tasks.QueueDenials:     "decision",
	tasks.QueueApprovals:   "write-off-approval",
}

// listAudit filters by entity_type and entity_id, newest first.
func (s *Server) listAudit(c *gin.Context) {
	f := audit.Filter{EntityType: c.Query("entity_type"), EntityID: c.Query("entity_id")}
	listed(c, s, func(ctx context.Context, limit int) ([]audit.Entry, error) {
		f.Limit = limit
		return audit.List(s.DB.WithContext(ctx), f)
	})
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
