package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"
	"go.temporal.io/api/serviceerror"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/workflows/contract"
)

// settlementRequest records a legal case's settlement: the settlement amount,
// the reduction the attorney asks of the practice's bill (an amount or a
// percent of the held balance) and who pays (attorney or insurer).
type settlementRequest struct {
	Amount           Amount  `json:"amount"`
	ReductionAmount  *Amount `json:"reduction_amount"`
	ReductionPercent *Amount `json:"reduction_percent"`
	PayVia           string  `json:"pay_via"`
	Note             string  `json:"note" maxlen:"2000"`
}

// releaseRequest releases held charges to the attorney or the insurer; no
// charge_ids releases every held charge.
type releaseRequest struct {
	To        string   `json:"to"`
	ChargeIDs []string `json:"charge_ids"`
	Note      string   `json:"note" maxlen:"2000"`
}

// dropRequest ends a legal case with no recovery.
type dropRequest struct {
	Disposition string `json:"disposition"`
	Reason      string `json:"reason" maxlen:"2000"`
}

// legalPaymentRequest is money from the attorney or the insurer.
type legalPaymentRequest struct {
	Payer      string     `json:"payer"`
	Amount     Amount     `json:"amount"`
	Method     string     `json:"method"`
	Reference  string     `json:"reference" maxlen:"200"`
	ReceivedAt *time.Time `json:"received_at"`
}

// holdWait bounds how long a settlement request waits for the hold's answer.
const holdWait = 30 * time.Second

// holdUpdate sends one of the settlement updates to a held case's hold and
// answers with its result. Only mva and personal-injury cases hold charges.
func (s *Server) holdUpdate(c *gin.Context, cs cases.Case, name, key string, arg, out any, status int) {
	if !cs.Kind.HoldsCharges() {
		s.fail(c, apperr.Errorf(apperr.Conflict, "a %s case holds no charges: settlements, releases and drops are "+
			"for mva and personal_injury cases", cs.Kind))
		return
	}
	err := s.update(c.Request.Context(), holdWait, contract.HoldWorkflowID(cs.ID), name, derivedID(cs.ID, name, key), arg, out)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		conflictProblem(c, "the case has no running hold: it starts with the case's first held charge and ends "+
			"once the case is settled and paid, or dropped")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(status, out)
}

// recordSettlement records a settlement on the case's hold; a reduction above
// the approval threshold opens a task in the approvals queue.
func (s *Server) recordSettlement(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in settlementRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var out contract.HoldView
	s.holdUpdate(c, cs, contract.UpdateSettle, key, contract.SettlementRequest{Amount: in.Amount.Decimal,
		ReductionAmount: ptrDecimal(in.ReductionAmount), ReductionPercent: ptrDecimal(in.ReductionPercent),
		PayVia: in.PayVia, Note: in.Note, Actor: actor(c)}, &out, http.StatusCreated)
}

// releaseHeld releases held charges; a release to the insurer starts a claim
// per visit.
func (s *Server) releaseHeld(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in releaseRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var out contract.HoldView
	s.holdUpdate(c, cs, contract.UpdateRelease, key, contract.ReleaseRequest{To: in.To, ChargeIDs: in.ChargeIDs,
		ClaimDayLength: s.ClaimDayLength, Note: in.Note, Actor: actor(c)}, &out, http.StatusCreated)
}

// dropCase drops a legal case: the balance becomes the patient's, or waits
// for a manager's approval to be written off.
func (s *Server) dropCase(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in dropRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var out contract.HoldView
	s.holdUpdate(c, cs, contract.UpdateDrop, key, contract.DropRequest{Disposition: in.Disposition, Reason: in.Reason,
		Actor: actor(c)}, &out, http.StatusOK)
}

// recordLegalPayment posts the attorney's or insurer's payment against what
// they owe on the case.
func (s *Server) recordLegalPayment(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in legalPaymentRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	received := time.Now().UTC()
	if in.ReceivedAt != nil {
		received = in.ReceivedAt.UTC()
	}
	var out activities.LegalPaymentOutcome
	s.holdUpdate(c, cs, contract.UpdateLegalPayment, key, contract.LegalPaymentRequest{Payer: in.Payer,
		Amount: in.Amount.Decimal, Method: in.Method, Reference: in.Reference, ReceivedAt: received,
		IdempotencyKey: key, Actor: actor(c)}, &out, http.StatusCreated)
}

// lienLineJSON is a line of the itemized lien statement (never a diagnosis).
type lienLineJSON struct {
	ChargeID    string          `json:"charge_id"`
	ServiceDate string          `json:"service_date"`
	Code        string          `json:"code"`
	Description string          `json:"description"`
	Amount      decimal.Decimal `json:"amount"`
	Status      string          `json:"status"`
	Reduction   decimal.Decimal `json:"reduction"`
	Payments    decimal.Decimal `json:"payments"`
	Balance     decimal.Decimal `json:"balance"`
}

// lienStatement is a legal case's itemized lien statement, for the attorney.
func (s *Server) lienStatement(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	if !checkQuery(c, []string{}) {
		return
	}
	if !cs.Kind.HoldsCharges() {
		s.fail(c, apperr.Errorf(apperr.Conflict, "a %s case has no lien", cs.Kind))
		return
	}
	st, err := s.legal.Statement(c.Request.Context(), cs.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	lines := make([]lienLineJSON, 0, len(st.Lines))
	for _, l := range st.Lines {
		lines = append(lines, lienLineJSON{ChargeID: l.ChargeID, ServiceDate: l.ServiceDate.Format(time.DateOnly),
			Code: l.Code, Description: l.Description, Amount: l.Amount, Status: l.Status, Reduction: l.Reduction,
			Payments: l.Payments, Balance: l.Balance})
	}
	c.JSON(http.StatusOK, gin.H{"case_id": cs.ID, "as_of": st.AsOf, "lines": lines, "charges": st.Charges,
		"reduction": st.Reduction, "payments": st.Payments, "balance_due": st.BalanceDue,
		"owed": gin.H{"held": st.Owed.Held, "attorney": st.Owed.Attorney, "insurer": st.Owed.Insurer}})
}

// wcDecisionRequest is a workers' comp carrier's answer.
type wcDecisionRequest struct {
	Decision    string `json:"decision"`
	ClaimNumber string `json:"claim_number"`
	DeniedTo    string `json:"denied_to"`
	Reason      string `json:"reason" maxlen:"2000"`
}

// wcDecision records a workers' comp carrier's acceptance (the waiting visits
// are billed to it) or denial (to the health coverage or the patient).
func (s *Server) wcDecision(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in wcDecisionRequest
	if !bind(c, &in) {
		return
	}
	if cs.Kind != cases.WorkersComp {
		s.fail(c, apperr.Errorf(apperr.Conflict, "a %s case is not a workers' comp case", cs.Kind))
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	s.updateCase(c, cs, contract.UpdateWCDecision, derivedID(cs.ID, contract.UpdateWCDecision, key),
		contract.WCDecisionRequest{Decision: in.Decision, ClaimNumber: in.ClaimNumber, DeniedTo: in.DeniedTo,
			Reason: in.Reason, Actor: actor(c)}, &contract.WCStatus{}, http.StatusOK)
}

// exposureJSON is one attorney's line of held and attorney A/R by age.
type exposureJSON struct {
	Attorney     *holdAttorney   `json:"attorney"`
	Cases        int             `json:"cases"`
	Held         decimal.Decimal `json:"held"`
	AttorneyOwed decimal.Decimal `json:"attorney_owed"`
	Total        decimal.Decimal `json:"total"`
	Age0To90     decimal.Decimal `json:"age_0_90"`
	Age91To180   decimal.Decimal `json:"age_91_180"`
	Age181To365  decimal.Decimal `json:"age_181_365"`
	AgeOver365   decimal.Decimal `json:"age_over_365"`
}

// holdsByAttorney is held and attorney A/R by attorney and age: whose cases
// carry the practice's money, and for how long.
func (s *Server) holdsByAttorney(c *gin.Context) {
	if !checkQuery(c, []string{}) {
		return
	}
	rows, err := s.legal.ExposureByAttorney(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]exposureJSON, 0, len(rows))
	for _, r := range rows {
		x := exposureJSON{Cases: r.Cases, Held: r.Held, AttorneyOwed: r.AttorneyOwed, Total: r.Held.Add(r.AttorneyOwed),
			Age0To90: r.Age0To90, Age91To180: r.Age91To180, Age181To365: r.Age181To365, AgeOver365: r.AgeOver365}
		if r.AttorneyID != nil {
			x.Attorney = &holdAttorney{ID: *r.AttorneyID, Name: deref(r.AttorneyName), Organization: deref(r.AttorneyFirm)}
		}
		out = append(out, x)
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}
