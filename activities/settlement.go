package activities

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/legal"
	"github.com/clinicflow/rcm/workflows/contract"
)

// SettleInput records a settlement on a held case; UpdateID (the hold's
// update) makes its id, so a retried activity writes once.
type SettleInput struct {
	CaseID   string                     `json:"case_id"`
	UpdateID string                     `json:"update_id"`
	Request  contract.SettlementRequest `json:"request"`
	At       time.Time                  `json:"at"`
}

// RecordSettlement stores a settlement; its reduction is approved by itself up
// to the threshold (LEGAL_REDUCTION_APPROVAL_PERCENT) or waits for a manager.
func (a *Activities) RecordSettlement(ctx context.Context, in SettleInput) (contract.Settlement, error) {
	r := in.Request
	st, err := a.legal().RecordSettlement(ctx, legal.SettlementInput{ID: legal.DerivedID(in.CaseID, "settlement", in.UpdateID),
		CaseID: in.CaseID, Amount: r.Amount, ReductionAmount: r.ReductionAmount, ReductionPercent: r.ReductionPercent,
		PayVia: r.PayVia, Note: r.Note, At: in.At, Actor: r.Actor}, legal.ReductionApprovalPercent())
	if err != nil {
		return contract.Settlement{}, classify(err)
	}
	return showSettlement(st), nil
}

func showSettlement(st legal.Settlement) contract.Settlement {
	out := contract.Settlement{ID: st.ID, Amount: st.Amount, HeldTotal: st.HeldTotal, RequestedReduction: st.RequestedReduction,
		RequestedPercent: st.RequestedPercent, PayVia: st.PayVia, Status: st.Status, RecordedAt: st.RecordedAt}
	if st.ApprovedReduction != nil {
		out.ApprovedReduction = *st.ApprovedReduction
	}
	return out
}

// DecideReductionInput is a manager's decision on a settlement's reduction.
type DecideReductionInput struct {
	SettlementID string           `json:"settlement_id"`
	Decision     string           `json:"decision"`
	Counter      *decimal.Decimal `json:"counter,omitempty"`
	Note         string           `json:"note,omitempty"`
	Actor        audit.Actor      `json:"actor"`
}

// DecideReduction records the decision once.
func (a *Activities) DecideReduction(ctx context.Context, in DecideReductionInput) (contract.Settlement, error) {
	st, err := a.legal().DecideReduction(ctx, in.SettlementID, in.Decision, in.Counter, in.Note, in.Actor)
	if err != nil {
		return contract.Settlement{}, classify(err)
	}
	return showSettlement(st), nil
}

// ReleaseInput releases held charges of a case.
type ReleaseInput struct {
	CaseID   string                  `json:"case_id"`
	UpdateID string                  `json:"update_id"`
	Request  contract.ReleaseRequest `json:"request"`
	At       time.Time               `json:"at"`
}

// ReleaseOutcome is a release and what is owed after it.
type ReleaseOutcome struct {
	Release contract.Release    `json:"release"`
	Owed    contract.LegalMoney `json:"owed"`
}

// ReleaseHeld moves released charges out of held A/R (and builds the
// insurer's claims) in one transaction, once per update.
func (a *Activities) ReleaseHeld(ctx context.Context, in ReleaseInput) (ReleaseOutcome, error) {
	r := in.Request
	res, err := a.legal().Release(ctx, legal.ReleaseInput{ID: legal.DerivedID(in.CaseID, "release", in.UpdateID),
		CaseID: in.CaseID, To: r.To, ChargeIDs: r.ChargeIDs, Note: r.Note, At: in.At, Actor: r.Actor})
	if err != nil {
		return ReleaseOutcome{}, classify(err)
	}
	return ReleaseOutcome{Owed: owedOf(res.Owed), Release: contract.Release{ID: res.ReleaseID, To: res.To,
		Amount: res.Amount, Reduction: res.Reduction, Charges: res.Charges, ClaimIDs: res.ClaimIDs, At: in.At}}, nil
}

func owedOf(o legal.Owed) contract.LegalMoney {
	return contract.LegalMoney{Held: o.Held, Attorney: o.Attorney, Insurer: o.Insurer}
}

// DropInput ends a held case with no recovery.
type DropInput struct {
	CaseID   string               `json:"case_id"`
	UpdateID string               `json:"update_id"`
	Request  contract.DropRequest `json:"request"`
	// ApprovedBy is the manager who approved a write-off.
	ApprovedBy string    `json:"approved_by,omitempty"`
	At         time.Time `json:"at"`
}

// DropOutcome is what a drop moved and what is owed after it.
type DropOutcome struct {
	Amount decimal.Decimal     `json:"amount"`
	Owed   contract.LegalMoney `json:"owed"`
}

// DropCase records the drop and moves the balance, once per case.
func (a *Activities) DropCase(ctx context.Context, in DropInput) (DropOutcome, error) {
	r := in.Request
	res, err := a.legal().Drop(ctx, legal.DropInput{ID: legal.DerivedID(in.CaseID, "drop", in.UpdateID), CaseID: in.CaseID,
		Disposition: r.Disposition, Reason: r.Reason, ApprovedBy: in.ApprovedBy, At: in.At, Actor: r.Actor})
	if err == nil && r.Disposition == legal.DropToPatient && res.Amount.IsPositive() {
		// The patient owes it now: patient billing follows it up.
		err = a.nudgeDunning(ctx, in.CaseID, "legal_drop", true)
	}
	if err != nil {
		return DropOutcome{}, classify(err)
	}
	return DropOutcome{Amount: res.Amount, Owed: owedOf(res.Owed)}, nil
}

// LegalPaymentInput posts a payer's money on a legal case.
type LegalPaymentInput struct {
	CaseID   string                       `json:"case_id"`
	UpdateID string                       `json:"update_id"`
	Request  contract.LegalPaymentRequest `json:"request"`
}

// LegalPaymentOutcome is a posted payment and what is owed after it.
type LegalPaymentOutcome struct {
	PaymentID string              `json:"payment_id"`
	Amount    decimal.Decimal     `json:"amount"`
	Replayed  bool                `json:"replayed,omitempty"`
	Owed      contract.LegalMoney `json:"owed"`
}

// RecordLegalPayment posts the attorney's or insurer's payment once per
// idempotency key.
func (a *Activities) RecordLegalPayment(ctx context.Context, in LegalPaymentInput) (LegalPaymentOutcome, error) {
	r := in.Request
	res, err := a.legal().RecordLegalPayment(ctx, legal.LegalPaymentInput{
		ID: legal.DerivedID(in.CaseID, "payment", in.UpdateID), CaseID: in.CaseID, Payer: r.Payer, Amount: r.Amount,
		Method: r.Method, Reference: r.Reference, ReceivedAt: r.ReceivedAt, IdempotencyKey: r.IdempotencyKey, Actor: r.Actor})
	if err != nil {
		return LegalPaymentOutcome{}, classify(err)
	}
	return LegalPaymentOutcome{PaymentID: res.PaymentID, Amount: res.Amount, Replayed: res.Replayed, Owed: owedOf(res.Owed)}, nil
}

// WCDecisionInput records a workers' comp carrier's decision.
type WCDecisionInput struct {
	CaseID  string                     `json:"case_id"`
	Request contract.WCDecisionRequest `json:"request"`
	At      time.Time                  `json:"at"`
}

// RecordWCDecision records the carrier's acceptance or denial once.
func (a *Activities) RecordWCDecision(ctx context.Context, in WCDecisionInput) error {
	r := in.Request
	return classify(a.legal().RecordWCDecision(ctx, legal.WCDecisionInput{CaseID: in.CaseID, Decision: r.Decision,
		ClaimNumber: r.ClaimNumber, DeniedTo: r.DeniedTo, Reason: r.Reason, At: in.At, Actor: r.Actor}))
}

// WCVisitInput names a visit of a workers' comp case denied to the patient.
type WCVisitInput struct {
	CaseID      string `json:"case_id"`
	EncounterID string `json:"encounter_id"`
}

// WCVisitToPatient moves the visit to the patient's balance once and returns
// the amount moved.
func (a *Activities) WCVisitToPatient(ctx context.Context, in WCVisitInput) (decimal.Decimal, error) {
	moved, err := a.legal().WCVisitToPatient(ctx, in.CaseID, in.EncounterID, audit.System)
	if err == nil && moved.IsPositive() {
		err = a.nudgeDunning(ctx, in.CaseID, "wc_denied", true)
	}
	return moved, classify(err)
}
