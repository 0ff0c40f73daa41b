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
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// listClaims filters by stage, payer_id, case_id and min_age_days (days since the
// stage last changed), oldest change first.
func (s *Server) listClaims(c *gin.Context) {
	if !onlyQuery(c, "payer_id", "case_id", "stage", "min_age_days") {
		return
	}
	f := claims.Filter{PayerID: c.Query("payer_id"), CaseID: c.Query("case_id"), Stage: c.Query("stage")}
	var errs validate.Errors
	errs.Check(f.PayerID == "" || uuid.Validate(f.PayerID) == nil, "payer_id", "must be a UUID")
	errs.Check(f.CaseID == "" || uuid.Validate(f.CaseID) == nil, "case_id", "must be a UUID")
	errs.Check(f.Stage == "" || slices.Contains(claims.Stages, f.Stage), "stage", "must be one of %s", strings.Join(claims.Stages, ", "))
	if v := c.Query("min_age_days"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 0 || days > 3650 {
			errs.Add("min_age_days", "must be a whole number of days from 0 to 3650")
		} else {
			f.StageChangedBefore = time.Now().Add(-time.Duration(days) * 24 * time.Hour)
		}
	}
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	var ok bool
	if f.Limit, ok = limitParam(c); !ok {
		return
	}
	list, err := s.claims.List(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	items := make([]claimJSON, len(list))
	for i, cl := range list {
		items[i] = showClaim(cl)
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

type claimDetail struct {
	claimJSON
	// Open is what the payer still owes (see claims.Open).
	Open     decimal.Decimal  `json:"open"`
	Lines    []claimLineJSON  `json:"lines"`
	Timeline []claimEventJSON `json:"timeline"`
	// Tasks are the claim's open tasks; Workflow is its live workflow state
	// (final once the claim is finished; absent when its history is gone).
	Tasks    []taskJSON           `json:"tasks"`
	Workflow *contract.ClaimState `json:"workflow,omitempty"`
	// WorkflowURL opens the claim workflow in the Temporal Web UI (absent when
	// no UI is configured).
	WorkflowURL string `json:"workflow_url,omitempty"`
}

func (s *Server) getClaim(c *gin.Context) {
	ctx := c.Request.Context()
	cl, lines, err := s.claims.Get(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	timeline, err := s.claims.Timeline(ctx, cl.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	open, err := s.tasks.List(ctx, tasks.Filter{ClaimID: cl.ID, Status: []string{tasks.StatusOpen, tasks.StatusClaimed}})
	if err != nil {
		s.fail(c, err)
		return
	}
	d := claimDetail{claimJSON: showClaim(cl), Open: claims.Open(cl), Lines: []claimLineJSON{},
		Timeline: make([]claimEventJSON, len(timeline)), Tasks: showTasks(open),
		WorkflowURL: s.WorkflowLinks.URL(contract.ClaimWorkflowID(cl.ID))}
	for _, l := range lines {
		d.Lines = append(d.Lines, showClaimLine(l))
	}
	for i, e := range timeline {
		d.Timeline[i] = showClaimEvent(e)
	}
	var patientID string
	if err := s.DB.WithContext(ctx).Raw(`SELECT patient_id FROM cases WHERE id = ?`, cl.CaseID).Scan(&patientID).Error; err != nil {
		s.fail(c, err)
		return
	}
	if !s.readPatients(c, patientID) {
		return
	}
	if d.Workflow, err = s.claimWorkflowState(ctx, cl.ID); err != nil {
		// The record stands on its own; the live state waits for the workflow service.
		s.Logger.Warn("claim workflow state unavailable", "claim_id", cl.ID,
			"request_id", c.GetString(ctxRequestID), "error", err)
	}
	c.JSON(http.StatusOK, d)
}

// stuckClaims lists claims outside the terminal stages that have not moved for
// at least `days` days (default 14), longest-waiting first.
func (s *Server) stuckClaims(c *gin.Context) {
	if !checkQuery(c, []string{"days"}) {
		return
	}
	days, err := strconv.Atoi(c.DefaultQuery("days", "14"))
	if err != nil || days < 0 || days > 3650 {
		invalid(c, validate.Errors{{Field: "days", Message: "must be a whole number of days from 0 to 3650"}})
		return
	}
	rows, err := s.claims.StuckSince(c.Request.Context(), time.Now(), time.Duration(days)*24*time.Hour)
	if err != nil {
		s.fail(c, err)
		return
	}
	if rows == nil {
		rows = []claims.Stuck{}
	}
	c.JSON(http.StatusOK, gin.H{"days": days, "items": rows})
}

// claimJSON is a claim as the API shows it.
type claimJSON struct {
	ID                    string          `json:"id"`
	CaseID                string          `json:"case_id"`
	EncounterID           string          `json:"encounter_id"`
	CoverageID            string          `json:"coverage_id"`
	PayerID               string          `json:"payer_id"`
	Priority              string          `json:"priority"`
	Frequency             string          `json:"frequency"`
	OriginalClaimID       *string         `json:"original_claim_id,omitempty"`
	PatientControlNumber  string          `json:"patient_control_number"`
	PayerClaimNumber      string          `json:"payer_claim_number"`
	Stage                 string          `json:"stage"`
	Diagnoses             []string        `json:"diagnoses"`
	TotalCharge           decimal.Decimal `json:"total_charge"`
	Paid                  decimal.Decimal `json:"paid"`
	PatientResponsibility decimal.Decimal `json:"patient_responsibility"`
	Contractual           decimal.Decimal `json:"contractual"`
	WrittenOff            decimal.Decimal `json:"written_off"`
	ToPatient             decimal.Decimal `json:"to_patient"`
	AppealLevel           int             `json:"appeal_level"`
	PriorClaimID          *string         `json:"prior_claim_id,omitempty"`
	COB                   db.JSON         `json:"cob,omitempty"`
	StageChangedAt        time.Time       `json:"stage_changed_at"`
	CreatedAt             time.Time       `json:"created_at"`
	// ScrubRuleVersion is the scrub rule-set version that last scrubbed it.
	ScrubRuleVersion *int `json:"scrub_rule_version,omitempty"`
}

func showClaim(r claims.Claim) claimJSON {
	// The cob's member ID and group number are sealed at rest; a cob that does
	// not open (a key missing from PHI_OLD_KEYS) is left out, never shown sealed.
	cob, err := claims.OpenCOB(r)
	if err != nil {
		cob = nil
	}
	return claimJSON{
		ID:                    r.ID,
		CaseID:                r.CaseID,
		EncounterID:           r.EncounterID,
		CoverageID:            r.CoverageID,
		PayerID:               r.PayerID,
		Priority:              r.Priority,
		Frequency:             r.Frequency,
		OriginalClaimID:       r.OriginalClaimID,
		PatientControlNumber:  r.PatientControlNumber,
		PayerClaimNumber:      r.PayerClaimNumber,
		Stage:                 r.Stage,
		Diagnoses:             []string(r.Diagnoses),
		TotalCharge:           r.TotalCharge,
		Paid:                  r.Paid,
		PatientResponsibility: r.PatientResponsibility,
		Contractual:           r.Contractual,
		WrittenOff:            r.WrittenOff,
		ToPatient:             r.ToPatient,
		AppealLevel:           r.AppealLevel,
		PriorClaimID:          r.PriorClaimID,
		COB:                   cob,
		StageChangedAt:        r.StageChangedAt,
		CreatedAt:             r.CreatedAt,
		ScrubRuleVersion:      r.ScrubRuleVersion,
	}
}

// claimLineJSON is a claim line as the API shows it.
type claimLineJSON struct {
	ID                string          `json:"id"`
	ClaimID           string          `json:"claim_id"`
	ChargeID          string          `json:"charge_id"`
	LineNumber        int             `json:"line_number"`
	ProcedureCode     string          `json:"procedure_code"`
	Modifiers         []string        `json:"modifiers"`
	Units             int             `json:"units"`
	Charge            decimal.Decimal `json:"charge"`
	DiagnosisPointers []int64         `json:"diagnosis_pointers"`
	ServiceDate       time.Time       `json:"service_date"`
}

func showClaimLine(r claims.ClaimLine) claimLineJSON {
	return claimLineJSON{
		ID:                r.ID,
		ClaimID:           r.ClaimID,
		ChargeID:          r.ChargeID,
		LineNumber:        r.LineNumber,
		ProcedureCode:     r.ProcedureCode,
		Modifiers:         []string(r.Modifiers),
		Units:             r.Units,
		Charge:            r.Charge,
		DiagnosisPointers: []int64(r.DiagnosisPointers),
		ServiceDate:       r.ServiceDate,
	}
}

// claimEventJSON is a claimevent as the API shows it.
type claimEventJSON struct {
	ID        int64     `json:"id"`
	ClaimID   string    `json:"claim_id"`
	At        time.Time `json:"at"`
	FromStage string    `json:"from_stage"`
	ToStage   string    `json:"to_stage"`
	Cause     string    `json:"cause"`
	Detail    db.JSON   `json:"detail"`
	ActorID   *string   `json:"actor_id,omitempty"`
}

func showClaimEvent(r claims.ClaimEvent) claimEventJSON {
	return claimEventJSON{
		ID:        r.ID,
		ClaimID:   r.ClaimID,
		At:        r.At,
		FromStage: r.FromStage,
		ToStage:   r.ToStage,
		Cause:     r.Cause,
		Detail:    r.Detail,
		ActorID:   r.ActorID,
	}
}
