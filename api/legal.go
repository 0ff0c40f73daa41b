package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/legal"
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
		AccidentKind: l.AccidentKind, InsurerID: l.InsurerID, InsurerClaimNumber: l.InsurerClaimNumber, PIPLimit: l.PIPLimit,
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
