package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/store"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// listClaims filters by stage, payer_id, case_id and min_age_days (days since the
// stage last changed), oldest change first.
func (s *Server) listClaims(c *gin.Context) {
	q := s.DB.Order("stage_changed_at, id")
	var errs validate.Errors
	for _, f := range []string{"payer_id", "case_id"} {
		if v := c.Query(f); v != "" {
			if uuid.Validate(v) != nil {
				errs.Add(f, "must be a UUID")
				continue
			}
			q = q.Where(f+" = ?", v)
		}
	}
	if v := c.Query("stage"); v != "" {
		errs.Check(slices.Contains(claims.Stages, v), "stage", "must be one of %s", strings.Join(claims.Stages, ", "))
		q = q.Where("stage = ?", v)
	}
	if v := c.Query("min_age_days"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 0 || days > 3650 {
			errs.Add("min_age_days", "must be a whole number of days from 0 to 3650")
		} else {
			q = q.Where("stage_changed_at <= ?", time.Now().Add(-time.Duration(days)*24*time.Hour))
		}
	}
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	var out []store.Claim
	list(c, s, q, &out)
}

type claimDetail struct {
	store.Claim
	// Open is what the payer still owes (see claims.Open).
	Open     decimal.Decimal    `json:"open"`
	Lines    []store.ClaimLine  `json:"lines"`
	Timeline []store.ClaimEvent `json:"timeline"`
	// Tasks are the claim's open tasks; Workflow is its live workflow state
	// (final once the claim is finished; absent when its history is gone).
	Tasks    []store.Task         `json:"tasks"`
	Workflow *contract.ClaimState `json:"workflow,omitempty"`
}

func (s *Server) getClaim(c *gin.Context) {
	var cl store.Claim
	if err := s.records.Get(c.Request.Context(), &cl, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	d := claimDetail{Claim: cl, Lines: []store.ClaimLine{}}
	if err := s.DB.WithContext(c.Request.Context()).Where("claim_id = ?", cl.ID).Order("line_number").Find(&d.Lines).Error; err != nil {
		s.fail(c, err)
		return
	}
	tl, err := (&claims.Service{DB: s.DB}).Timeline(c.Request.Context(), cl.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	d.Timeline = tl
	d.Open = claims.Open(cl)
	if d.Tasks, err = s.tasks.List(c.Request.Context(), tasks.Filter{ClaimID: cl.ID,
		Status: []string{store.TaskOpen, store.TaskClaimed}}); err != nil {
		s.fail(c, err)
		return
	}
	if d.Workflow, err = s.claimWorkflowState(c.Request.Context(), cl.ID); err != nil {
		// The record stands on its own; the live state waits for the workflow service.
		s.Logger.Warn("claim workflow state unavailable", "claim_id", cl.ID,
			"request_id", c.GetString(ctxRequestID), "error", err)
	}
	c.JSON(http.StatusOK, d)
}

// stuckClaims lists claims outside the terminal stages that have not moved for
// at least `days` days (default 14), longest-waiting first.
func (s *Server) stuckClaims(c *gin.Context) {
	days, err := strconv.Atoi(c.DefaultQuery("days", "14"))
	if err != nil || days < 0 || days > 3650 {
		invalid(c, validate.Errors{{Field: "days", Message: "must be a whole number of days from 0 to 3650"}})
		return
	}
	rows, err := (&claims.Service{DB: s.DB}).StuckSince(c.Request.Context(), time.Now(), time.Duration(days)*24*time.Hour)
	if err != nil {
		s.fail(c, err)
		return
	}
	if rows == nil {
		rows = []claims.Stuck{}
	}
	c.JSON(http.StatusOK, gin.H{"days": days, "items": rows})
}
