package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/credits"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// Patient credits: prepayments, credits applied across cases, refunds with a
// manager's approval, and what a collection agency recovers or gives up on.

func (s *Server) credits() *credits.Service {
	return &credits.Service{DB: s.DB, Processor: s.Processor}
}

// recordCreditMoves tells each case workflow of the credit moves a credit
// operation posted, so its totals follow the ledger. The update id is the
// move's id: a retried request records each move once.
func (s *Server) recordCreditMoves(ctx context.Context, moves []billing.CreditMove) error {
	for _, m := range moves {
		cs, err := s.cases.Get(ctx, m.CaseID)
		if err != nil {
			return err
		}
		if err := s.caseUpdate(ctx, cs, contract.UpdateRecordCreditMove, "credit-move-"+m.ID, m, &contract.Totals{}); err != nil {
			return fmt.Errorf("record credit move on case %s: %w", m.CaseID, err)
		}
	}
	return nil
}

// patientCreditsJSON is a patient's credits: where they are, what was applied
// and what was refunded.
type patientCreditsJSON struct {
	credits.Position
	Applications []credits.Application `json:"applications"`
	Refunds      []credits.Refund      `json:"refunds"`
}

func (s *Server) getPatientCredits(c *gin.Context) {
	id, ok := s.patientExists(c)
	if !ok || !onlyQuery(c) {
		return
	}
	ctx := c.Request.Context()
	svc := s.credits()
	var out patientCreditsJSON
	var err error
	if out.Position, err = svc.Position(ctx, id); err == nil {
		if out.Applications, err = svc.Applications(ctx, id, 100); err == nil {
			out.Refunds, err = svc.Refunds(ctx, credits.RefundFilter{PatientID: id, Limit: 100})
		}
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

type applyCreditRequest struct {
	FromCaseID string  `json:"from_case_id"`
	ToCaseID   string  `json:"to_case_id"`
	Amount     *Amount `json:"amount"`
	Note       string  `json:"note" maxlen:"2000"`
}

// applyCredit applies a patient's credit on some cases to balances on others
// (one journal), idempotent by the Idempotency-Key header.
func (s *Server) applyCredit(c *gin.Context) {
	id, ok := s.patientExists(c)
	if !ok {
		return
	}
	var in applyCreditRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	amount := decimal.Zero
	if in.Amount != nil {
		amount = in.Amount.Decimal
		var errs validate.Errors
		if billing.ValidateMoney(&errs, "amount", amount, false); len(errs) > 0 {
			invalid(c, errs)
			return
		}
	}
	ctx := c.Request.Context()
	a, err := s.credits().Apply(ctx, credits.ApplyInput{PatientID: id, FromCaseID: in.FromCaseID, ToCaseID: in.ToCaseID,
		Amount: amount, Note: in.Note, IdempotencyKey: "api:" + id + ":" + key, Actor: actor(c)})
	if err == nil {
		err = s.recordCreditMoves(ctx, a.Moves)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	created(c, a.Replayed, a)
}

type prepaymentRequest struct {
	Amount     Amount     `json:"amount"`
	Method     string     `json:"method"`
	Reference  string     `json:"reference"`
	ReceivedAt *time.Time `json:"received_at"`
}

// recordPrepayment takes money before the visit it pays for: a patient payment
// held as patient credit on the case until its charges post (the ledger then
// applies it). It goes through the case workflow like any payment.
func (s *Server) recordPrepayment(c *gin.Context) {
	cs, ok := s.loadCase(c)
	if !ok {
		return
	}
	var in prepaymentRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	errs := billing.ValidatePayment(in.Amount.Decimal, in.Method)
	if billing.CheckCap(&errs, "amount", in.Amount.Decimal, s.maxAmount()); len(errs) > 0 {
		invalid(c, errs)
		return
	}
	received := time.Now().UTC()
	if in.ReceivedAt != nil {
		if in.ReceivedAt.After(received.Add(time.Hour)) {
			invalid(c, validate.Errors{{Field: "received_at", Message: "must not be in the future"}})
			return
		}
		received = *in.ReceivedAt
	}
	s.updateCase(c, cs, contract.UpdateRecordPayment, "prepayment-"+key+"-"+c.GetString(ctxRequestID), billing.PaymentInput{
		PaymentID: derivedID(cs.ID, "prepayment", key), CaseID: cs.ID, Amount: in.Amount.Decimal, Method: in.Method,
		Reference: in.Reference, ReceivedAt: received, IdempotencyKey: key, Prepayment: true, Actor: actor(c)},
		&billing.PaymentResult{}, http.StatusCreated)
}

type refundRequest struct {
	CaseID string `json:"case_id"`
	Amount Amount `json:"amount"`
	Method string `json:"method"`
	Reason string `json:"reason" maxlen:"2000"`
}

// requestRefund asks for a refund of a patient credit; a manager approves it
// (a task waits in the approvals queue).
func (s *Server) requestRefund(c *gin.Context) {
	var in refundRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var errs validate.Errors
	if billing.CheckCap(&errs, "amount", in.Amount.Decimal, s.maxAmount()); len(errs) > 0 {
		invalid(c, errs)
		return
	}
	r, replayed, err := s.credits().RequestRefund(c.Request.Context(), credits.RefundInput{CaseID: in.CaseID,
		Amount: in.Amount.Decimal, Method: in.Method, Reason: in.Reason, IdempotencyKey: "api:" + key, Actor: actor(c)})
	if err != nil {
		s.fail(c, err)
		return
	}
	created(c, replayed, r)
}

func (s *Server) listRefunds(c *gin.Context) {
	status := c.Query("status")
	if status != "" && !slices.Contains(credits.RefundStatuses, status) {
		invalid(c, validate.Errors{{Field: "status", Message: "must be one of " + strings.Join(credits.RefundStatuses, ", ")}})
		return
	}
	listed(c, s, func(ctx context.Context, limit int) ([]credits.Refund, error) {
		return s.credits().Refunds(ctx, credits.RefundFilter{Status: status, PatientID: c.Query("patient_id"), Limit: limit})
	}, func(r credits.Refund) credits.Refund { return r }, "status", "patient_id")
}

func (s *Server) getRefund(c *gin.Context) {
	if !onlyQuery(c) {
		return
	}
	r, err := s.credits().Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

type refundDecisionRequest struct {
	Approve   *bool  `json:"approve"`
	Note      string `json:"note" maxlen:"2000"`
	Reference string `json:"reference" maxlen:"100"`
}

// decideRefund is a manager's answer to a refund request: an approval moves
// the credit off the case and pays the refund (the processor's refund, or the
// check mailed); deciding the same way again retries a payout the processor
// did not make.
func (s *Server) decideRefund(c *gin.Context) {
	var in refundDecisionRequest
	if !bind(c, &in) {
		return
	}
	if in.Approve == nil {
		invalid(c, validate.Errors{{Field: "approve", Message: "is required: true or false"}})
		return
	}
	ctx := c.Request.Context()
	r, moves, err := s.credits().Decide(ctx, c.Param("id"), credits.Decision{Approve: *in.Approve, Note: in.Note,
		Reference: in.Reference, Actor: actor(c)})
	if err == nil || r.Status == credits.RefundApproved {
		// The credit left the case at approval, whatever the processor said.
		if merr := s.recordCreditMoves(ctx, moves); merr != nil && err == nil {
			err = merr
		}
	}
	if err != nil {
		if errors.Is(err, credits.ErrNoProcessor) {
			problem(c, http.StatusServiceUnavailable, ProblemUnavailable, "Refund not paid out",
				"the refund is approved but no card processor is configured to pay it; decide again once one is")
			return
		}
		if apperr.CodeOf(err) == apperr.Unavailable && r.Detail != "" {
			problem(c, http.StatusBadGateway, ProblemUnavailable, "Refund not paid out",
				"the refund is approved but the payment processor did not pay it: "+r.Detail+"; decide again to retry")
			return
		}
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

type recoveryRequest struct {
	PatientID       string     `json:"patient_id"`
	Amount          Amount     `json:"amount"`
	Fee             *Amount    `json:"fee"`
	AgencyReference string     `json:"agency_reference" maxlen:"100"`
	ReceivedAt      *time.Time `json:"received_at"`
}

// recordRecovery posts money the collection agency recovered on a patient's
// placed balance: the gross against collections A/R, case by case through
// each case workflow, with the agency's fee as commission expense.
func (s *Server) recordRecovery(c *gin.Context) {
	var in recoveryRequest
	if !bind(c, &in) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var errs validate.Errors
	// A patient the database cannot look up just now is not "not a patient":
	// the recovery goes ahead and fails with the database's own error (503).
	if errs.Required("patient_id", in.PatientID) && !db.Exists(s.DB.WithContext(c.Request.Context()).Table("patients"), in.PatientID) {
		errs.Add("patient_id", "is not a patient")
	}
	if billing.CheckCap(&errs, "amount", in.Amount.Decimal, s.maxAmount()); len(errs) > 0 {
		invalid(c, errs)
		return
	}
	fee := decimal.Zero
	if in.Fee != nil {
		fee = in.Fee.Decimal
	}
	at := time.Now().UTC()
	if in.ReceivedAt != nil {
		at = *in.ReceivedAt
	}
	ctx := c.Request.Context()
	pays, err := s.Dunning.RecoveryPayments(ctx, dunning.RecoveryInput{PatientID: in.PatientID, Amount: in.Amount.Decimal,
		Fee: fee, Reference: in.AgencyReference, At: at, Key: "recovery-" + key, Actor: actor(c)})
	if err != nil {
		s.fail(c, err)
		return
	}
	// As for a payment, the database's idempotency key (each case's payment is
	// keyed by it) catches a replay, so each request sends its own updates and
	// a request that posted nothing new is answered as a replay: 200 with
	// Idempotent-Replayed.
	out := []billing.PaymentResult{}
	replayed := len(pays) > 0
	for _, p := range pays {
		cs, err := s.cases.Get(ctx, p.CaseID)
		if err == nil {
			var r billing.PaymentResult
			err = s.caseUpdate(ctx, cs, contract.UpdateRecordPayment,
				"recovery-"+key+"-"+p.CaseID+"-"+c.GetString(ctxRequestID), p, &r)
			out = append(out, r)
			replayed = replayed && r.Replayed
		}
		if err != nil {
			s.fail(c, err)
			return
		}
	}
	created(c, replayed, gin.H{"payments": out, "amount": in.Amount.Decimal, "fee": fee, "cases": len(out)})
}

func (s *Server) listRecoveries(c *gin.Context) {
	listed(c, s, s.Dunning.Recoveries, func(r dunning.Recovery) dunning.Recovery { return r })
}

type badDebtRequest struct {
	Reason string `json:"reason" maxlen:"2000"`
}

// writeOffBadDebt writes off what a collection agency gave up on: each placed
// case's collections A/R goes to bad debt through its case workflow's
// record-adjustment update, and the placements are closed.
func (s *Server) writeOffBadDebt(c *gin.Context) {
	id, ok := s.patientExists(c)
	if !ok {
		return
	}
	var in badDebtRequest
	if !bind(c, &in) {
		return
	}
	if strings.TrimSpace(in.Reason) == "" {
		invalid(c, validate.Errors{{Field: "reason", Message: "is required"}})
		return
	}
	ctx := c.Request.Context()
	placed, err := s.Dunning.PlacedBalances(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(placed) == 0 {
		s.fail(c, dunning.ErrNotPlaced)
		return
	}
	total := decimal.Zero
	var ids []string
	for _, p := range placed {
		cs, err := s.cases.Get(ctx, p.CaseID)
		if err == nil {
			key := "bad-debt:" + p.PlacementID
			err = s.caseUpdate(ctx, cs, contract.UpdateRecordAdjustment, key, billing.AdjustmentInput{
				AdjustmentID: derivedID(p.CaseID, "bad-debt", p.PlacementID), CaseID: p.CaseID, Amount: p.Amount,
				Reason: "bad debt: " + in.Reason, IdempotencyKey: key, Category: billing.AdjustBadDebt, Actor: actor(c)},
				&billing.PaymentResult{})
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		total, ids = total.Add(p.Amount), append(ids, p.PlacementID)
	}
	if err := s.Dunning.MarkWrittenOff(ctx, id, ids, total, actor(c)); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"written_off": total, "cases": len(ids)})
}

// listDunningAccounts is the billing team's list of patients in dunning, by
// status (active, plan, disputed, collections, closed), next step first.
func (s *Server) listDunningAccounts(c *gin.Context) {
	status := c.Query("status")
	if status != "" && !slices.Contains(dunning.AccountStatuses, status) {
		invalid(c, validate.Errors{{Field: "status", Message: "must be one of " + strings.Join(dunning.AccountStatuses, ", ")}})
		return
	}
	listed(c, s, func(ctx context.Context, limit int) ([]dunning.Account, error) {
		return s.Dunning.Accounts(ctx, status, limit)
	}, func(a dunning.Account) dunning.Account { return a }, "status")
}

// listCreditHolders is the billing team's list of patients holding credit,
// largest first: credits to apply to other cases or refund.
func (s *Server) listCreditHolders(c *gin.Context) {
	listed(c, s, s.credits().Holders, func(h credits.Holder) credits.Holder { return h })
}
