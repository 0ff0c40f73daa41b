package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/clinicflow/rcm/internal/store"
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
	if ts == nil {
		ts = []store.Task{}
	}
	c.JSON(http.StatusOK, gin.H{"items": ts})
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
	respond(c, s, http.StatusOK)(t, err)
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
	var t store.Task
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
	q := s.DB.Order("id DESC")
	if v := c.Query("entity_type"); v != "" {
		q = q.Where("entity_type = ?", v)
	}
	if v := c.Query("entity_id"); v != "" {
		q = q.Where("entity_id = ?", v)
	}
	var out []store.AuditEntry
	list(c, s, q, &out)
}
