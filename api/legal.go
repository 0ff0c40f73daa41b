package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"
	"go.temporal.io/api/serviceerror"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/legal"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// legalRequest is the whole legal record of an accident, injury or workers'
// comp case (PUT /cases/{id}/legal replaces what was there).
type legalRequest struct {
	DateOfInjury       string              `json:"date_of_injury"`
	AccidentState      string              `json:"accident_state"`
	AccidentKind       string              `json:"accident_kind"`
	InsurerID          string              `json:"insurer_id"`
	InsurerClaimNumber string              `json:"insurer_claim_number"`
	PIPLimit           *Amount             `json:"pip_limit"`
	LienReceivedOn     string              `json:"lien_received_on"`
	LienDocument       string              `json:"lien_document"`
	SOLDate            string              `json:"sol_date"`
	FollowUpDays       int                 `json:"follow_up_days"`
	Contacts           []legal.RoleContact `json:"contacts"`
}

// caseContactJSON is a contact in its role on a case.
type caseContactJSON struct {
	Role    string      `json:"role"`
	Contact contactJSON `json:"contact"`
}

// legalJSON is a case's legal record as the API shows it.
type legalJSON struct {
	CaseID             string           `json:"case_id"`
	DateOfInjury       string           `json:"date_of_injury"`
	AccidentState      string           `json:"accident_state"`
	AccidentKind       string           `json:"accident_kind"`
	InsurerID          *string          `json:"insurer_id"`
	InsurerClaimNumber string           `json:"insurer_claim_number"`
	PIPLimit           *decimal.Decimal `json:"pip_limit"`
	LienOnFile         bool             `json:"lien_on_file"`
	LienReceivedOn     *string          `json:"lien_received_on"`
	LienDocument       string           `json:"lien_document"`
	SOLDate            string           `json:"sol_date"`
	SOLOverridden      bool             `json:"sol_overridden"`
	// SOLDaysLeft is how many days remain before the statute of limitations
	// runs out (negative once it has).
	SOLDaysLeft  int               `json:"sol_days_left"`
	FollowUpDays int               `json:"follow_up_days"`
	Contacts     []caseContactJSON `json:"contacts"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

func showLegal(l legal.CaseLegal) legalJSON {
	out := legalJSON{CaseID: l.CaseID, DateOfInjury: l.DateOfInjury.Format(time.DateOnly), AccidentState: l.AccidentState,
		AccidentKind: l.AccidentKind, InsurerID: l.InsurerID, InsurerClaimNumber: string(l.InsurerClaimNumber), PIPLimit: l.PIPLimit,
		LienOnFile: l.LienOnFile(), LienDocument: l.LienDocument, SOLDate: l.SOLDate.Format(time.DateOnly),
		SOLOverridden: l.SOLOverridden, SOLDaysLeft: legal.DaysUntil(time.Now(), l.SOLDate),
		FollowUpDays: l.FollowUpDays, Contacts: []caseContactJSON{}, UpdatedAt: l.UpdatedAt}
	if l.LienReceivedOn != nil {
		d := l.LienReceivedOn.Format(time.DateOnly)
		out.LienReceivedOn = &d
	}
	for _, c := range l.Contacts {
		out.Contacts = append(out.Contacts, caseContactJSON{Role: c.Role, Contact: showContact(c.Contact)})
	}
	return out
}

// putLegal records (or replaces) a legal case's details and contacts.
func (s *Server) putLegal(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in legalRequest
	if !bind(c, &in) {
		return
	}
	l, err := s.legal.PutDetails(c.Request.Context(), cs, legal.DetailsInput{
		DateOfInjury: in.DateOfInjury, AccidentState: in.AccidentState, AccidentKind: in.AccidentKind,
		InsurerID: in.InsurerID, InsurerClaimNumber: in.InsurerClaimNumber, PIPLimit: ptrDecimal(in.PIPLimit),
		LienReceivedOn: in.LienReceivedOn, LienDocument: in.LienDocument, SOLDate: in.SOLDate,
		FollowUpDays: in.FollowUpDays, Contacts: in.Contacts}, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.legalChanged(c, cs.ID)
	c.JSON(http.StatusOK, showLegal(l))
}

func (s *Server) getLegal(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	if !legal.IsLegal(cs.Kind) {
		s.fail(c, legal.ErrNotLegal)
		return
	}
	l, err := s.legal.GetDetails(c.Request.Context(), cs.ID)
	respond(c, s, http.StatusOK)(shown(showLegal)(l, err))
}

// solYearsRequest changes a state's statute of limitations.
type solYearsRequest struct {
	Years int `json:"years"`
}

func (s *Server) listSOLYears(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	rows, err := s.legal.ListSOLYears(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": rows})
}

// setSOLYears edits one state's row; cases in that state whose SOL date was
// not overridden move with it.
func (s *Server) setSOLYears(c *gin.Context) {
	var in solYearsRequest
	if !bind(c, &in) {
		return
	}
	row, moved, err := s.legal.SetSOLYears(c.Request.Context(), strings.ToUpper(c.Param("state")), in.Years, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"state": row.State, "years": row.Years, "updated_at": row.UpdatedAt, "cases_recomputed": moved})
}

// legalChanged tells a running hold that the case's legal details changed, so
// it reads them again (a lien arrived, a new SOL date). A case without a hold
// yet has nothing to tell; a failure is logged: the details are saved and the
// hold reads them at its next start.
func (s *Server) legalChanged(c *gin.Context, caseID string) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 10*time.Second)
	defer cancel()
	err := s.Temporal.SignalWorkflow(ctx, contract.HoldWorkflowID(caseID), "", contract.SignalHoldDetails, struct{}{})
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		s.Logger.Warn("telling the hold of new legal details failed", "case_id", caseID,
			"request_id", c.GetString(ctxRequestID), "error", err)
	}
}

// followUpRequest records what the attorney's office said.
type followUpRequest struct {
	Outcome      string `json:"outcome"`
	Note         string `json:"note" maxlen:"2000"`
	NextFollowUp string `json:"next_follow_up"`
}

// recordFollowUp sends the outcome of an attorney follow-up to the case's
// hold; the open follow-up task closes and the next one is scheduled.
func (s *Server) recordFollowUp(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in followUpRequest
	if !bind(c, &in) {
		return
	}
	if !cs.Kind.HoldsCharges() {
		s.fail(c, apperr.Errorf(apperr.Conflict, "a %s case holds no charges and has no attorney follow-ups", cs.Kind))
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var out contract.FollowUp
	err := s.update(c.Request.Context(), 30*time.Second, contract.HoldWorkflowID(cs.ID), contract.UpdateRecordFollowUp,
		derivedID(cs.ID, "follow-up", key), contract.FollowUpRequest{Outcome: in.Outcome, Note: in.Note,
			NextFollowUp: in.NextFollowUp, Actor: actor(c)}, &out)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		conflictProblem(c, "the case has no hold yet: it starts with the case's first held charge")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

// holdRowJSON is a line of the holds list.
type holdRowJSON struct {
	CaseID         string          `json:"case_id"`
	CaseKind       string          `json:"case_kind"`
	PatientID      string          `json:"patient_id"`
	PatientName    string          `json:"patient_name"`
	Status         string          `json:"status"`
	Attorney       *holdAttorney   `json:"attorney"`
	HeldTotal      decimal.Decimal `json:"held_total"`
	AttorneyOwed   decimal.Decimal `json:"attorney_owed"`
	OldestChargeOn *string         `json:"oldest_charge_on"`
	// OldestChargeAgeDays is how long the oldest held charge has waited.
	OldestChargeAgeDays *int       `json:"oldest_charge_age_days"`
	NextFollowUpAt      *time.Time `json:"next_follow_up_at"`
	LastOutcome         string     `json:"last_outcome"`
	SOLDate             *string    `json:"sol_date"`
	SOLDaysLeft         *int       `json:"sol_days_left"`
	LienOnFile          bool       `json:"lien_on_file"`
	HeldSince           time.Time  `json:"held_since"`
}

type holdAttorney struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Organization string `json:"organization"`
}

func showHoldRow(r legal.HoldRow) holdRowJSON {
	now := time.Now()
	out := holdRowJSON{CaseID: r.CaseID, CaseKind: r.CaseKind, PatientID: r.PatientID, PatientName: r.PatientName,
		Status: r.Status, HeldTotal: r.HeldTotal, AttorneyOwed: r.AttorneyOwed, NextFollowUpAt: r.NextFollowUpAt, LastOutcome: r.LastOutcome,
		LienOnFile: r.LienReceivedOn != nil, HeldSince: r.StartedAt}
	if r.AttorneyID != nil {
		out.Attorney = &holdAttorney{ID: *r.AttorneyID, Name: deref(r.AttorneyName), Organization: deref(r.AttorneyFirm)}
	}
	if r.OldestChargeOn != nil {
		d := r.OldestChargeOn.Format(time.DateOnly)
		age := -legal.DaysUntil(now, *r.OldestChargeOn)
		out.OldestChargeOn, out.OldestChargeAgeDays = &d, &age
	}
	if r.SOLDate != nil {
		d := r.SOLDate.Format(time.DateOnly)
		left := legal.DaysUntil(now, *r.SOLDate)
		out.SOLDate, out.SOLDaysLeft = &d, &left
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// listHolds is the holds list, riskiest first; filters: attorney_id,
// min_age_days, location_id, status.
func (s *Server) listHolds(c *gin.Context) {
	f := legal.HoldFilter{AttorneyID: c.Query("attorney_id"), LocationID: c.Query("location_id"), Status: c.Query("status")}
	if v := c.Query("min_age_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			invalid(c, validate.Errors{{Field: "min_age_days", Message: "must be a whole number of days"}})
			return
		}
		f.MinAgeDays = n
	}
	listed(c, s, func(ctx context.Context, limit int) ([]legal.HoldRow, error) {
		f.Limit = limit
		return s.legal.ListHolds(ctx, f)
	}, showHoldRow, "attorney_id", "min_age_days", "location_id", "status")
}

// holdJSON is a case's hold as GET /cases/{id} shows it: the workflow's live
// state (status, timers, follow-ups) with the held total from the ledger.
type holdJSON struct {
	WorkflowID     string               `json:"workflow_id"`
	Status         string               `json:"status"`
	HeldTotal      decimal.Decimal      `json:"held_total"`
	StartedAt      time.Time            `json:"started_at"`
	NextFollowUpAt time.Time            `json:"next_follow_up_at"`
	LastOutcome    string               `json:"last_outcome"`
	Timers         []contract.HoldTimer `json:"timers"`
	FollowUps      []contract.FollowUp  `json:"follow_ups"`
	OpenTasks      []contract.HoldTask  `json:"open_tasks"`
	WorkflowURL    string               `json:"workflow_url,omitempty"`
	// Settlement, the pending Approval, the Releases so far and what is Owed
	// by whom after the last money move (api/settlement.go).
	Settlement *contract.Settlement  `json:"settlement,omitempty"`
	Approval   *contract.Approval    `json:"approval,omitempty"`
	Releases   []contract.Release    `json:"releases"`
	Owed       *contract.LegalMoney  `json:"owed,omitempty"`
	Dropped    *contract.DropRequest `json:"dropped,omitempty"`
}

// caseHold reads a legal case's hold for GET /cases/{id}: nil when the case
// holds no charges or its hold has not started.
func (s *Server) caseHold(ctx context.Context, cs cases.Case, bal ledger.Balances) (*holdJSON, error) {
	held := bal.Get(ledger.ARHeld)
	if !cs.Kind.HoldsCharges() {
		return nil, nil
	}
	id := contract.HoldWorkflowID(cs.ID)
	res, err := s.Temporal.QueryWorkflow(ctx, id, "", contract.QueryHoldState)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var v contract.HoldView
	if err := res.Get(&v); err != nil {
		return nil, err
	}
	// What is owed comes from the ledger, not the workflow's last snapshot: a
	// hold ends at its last release, and the insurer's or attorney's payments
	// after it would otherwise still show as owed.
	if v.Owed != nil {
		v.Owed = &contract.LegalMoney{Held: held, Attorney: bal.Get(ledger.ARAttorney), Insurer: bal.Get(ledger.ARInsuranceUnbilled)}
	}
	return &holdJSON{WorkflowID: id, Status: v.Status, HeldTotal: held, StartedAt: v.StartedAt,
		NextFollowUpAt: v.NextFollowUpAt, LastOutcome: v.LastOutcome, Timers: v.Timers,
		FollowUps: orEmpty(v.FollowUps), OpenTasks: orEmpty(v.Tasks), WorkflowURL: s.WorkflowLinks.URL(id),
		Settlement: v.Settlement, Approval: v.Approval, Releases: orEmpty(v.Releases), Owed: v.Owed, Dropped: v.Dropped}, nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
