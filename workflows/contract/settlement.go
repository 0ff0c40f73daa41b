package contract

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/audit"
)

// Update names of the hold workflow's settlement: how held charges leave the
// hold. Each answers with the hold's view.
const (
	// UpdateSettle records a settlement (SettlementRequest); a reduction above
	// the approval threshold waits for a manager.
	UpdateSettle = "settle"
	// UpdateDecideApproval is a manager's answer (ApprovalDecision) to the
	// approvals task of a reduction or of a dropped case's write-off.
	UpdateDecideApproval = "decide-approval"
	// UpdateRelease releases held charges (ReleaseRequest) to the attorney or
	// to the auto insurer / WC carrier.
	UpdateRelease = "release"
	// UpdateDrop ends a case with no recovery (DropRequest).
	UpdateDrop = "drop"
	// UpdateLegalPayment posts the attorney's or insurer's payment
	// (LegalPaymentRequest) against their receivable.
	UpdateLegalPayment = "legal-payment"
)

// Hold statuses after the settlement: settling while a settlement is recorded
// and charges are still held, released once nothing is held (the attorney may
// still owe), dropped when the attorney withdrew, closed when nothing is owed.
const (
	HoldStatusSettling = "settling"
	HoldStatusReleased = "released"
	HoldStatusDropped  = "dropped"
	HoldStatusClosed   = "closed"
)

// Release targets and pay-via choices: who pays the released charges.
const (
	PayAttorney = "attorney" // the attorney's check from the settlement
	PayInsurer  = "insurer"  // a claim to the auto insurer or WC carrier
)

// Dispositions of a dropped case.
const (
	DropToPatient = "patient"   // the balance becomes the patient's
	DropWriteOff  = "write_off" // written off, with a manager's approval
)

// Approval kinds and decisions.
const (
	ApprovalReduction = "reduction"
	ApprovalWriteOff  = "write_off"

	DecisionApprove = "approve"
	DecisionCounter = "counter" // a reduction: another amount
	DecisionRefuse  = "refuse"
)

// TimerApproval escalates an approval nobody answered.
const TimerApproval = "approval_escalation"

// DefaultApprovalDays is how many of a hold's days a manager has to answer an
// approval before it is escalated.
const DefaultApprovalDays = 2

// SettlementRequest is the settle update's argument: the settlement amount,
// the attorney's requested reduction of the practice's bill (an amount or a
// percent of the held balance, not both) and who pays.
type SettlementRequest struct {
	Amount           decimal.Decimal  `json:"amount"`
	ReductionAmount  *decimal.Decimal `json:"reduction_amount,omitempty"`
	ReductionPercent *decimal.Decimal `json:"reduction_percent,omitempty"`
	PayVia           string           `json:"pay_via"`
	Note             string           `json:"note,omitempty"`
	Actor            audit.Actor      `json:"actor"`
}

// Settlement is a recorded settlement as the hold keeps it.
type Settlement struct {
	ID                 string          `json:"id"`
	Amount             decimal.Decimal `json:"amount"`
	HeldTotal          decimal.Decimal `json:"held_total"`
	RequestedReduction decimal.Decimal `json:"requested_reduction"`
	RequestedPercent   decimal.Decimal `json:"requested_percent"`
	PayVia             string          `json:"pay_via"`
	// Status is pending_approval, approved, countered, refused or auto_approved.
	Status            string          `json:"status"`
	ApprovedReduction decimal.Decimal `json:"approved_reduction"`
	RecordedAt        time.Time       `json:"recorded_at"`
}

// Settlement statuses.
const (
	SettlementPending      = "pending_approval"
	SettlementApproved     = "approved"
	SettlementCountered    = "countered"
	SettlementRefused      = "refused"
	SettlementAutoApproved = "auto_approved"
)

// Approval is a decision the hold waits for from a manager.
type Approval struct {
	Kind        string    `json:"kind"`
	TaskID      string    `json:"task_id"`
	BusinessKey string    `json:"business_key"`
	RequestedAt time.Time `json:"requested_at"`
	Escalated   bool      `json:"escalated,omitempty"`
	// Drop is the dropped case waiting for a write-off approval.
	Drop *DropRequest `json:"drop,omitempty"`
}

// ApprovalDecision is the decide-approval update's argument.
type ApprovalDecision struct {
	Decision string `json:"decision"`
	// CounterReduction is the reduction a manager grants instead (counter).
	CounterReduction *decimal.Decimal `json:"counter_reduction,omitempty"`
	Note             string           `json:"note,omitempty"`
	Actor            audit.Actor      `json:"actor"`
}

// ReleaseRequest is the release update's argument: to whom, and which held
// charges (all of them when ChargeIDs is empty).
type ReleaseRequest struct {
	To        string   `json:"to"`
	ChargeIDs []string `json:"charge_ids,omitempty"`
	// ClaimDayLength is the payer's day for the claims a release to an insurer
	// starts (24h when zero).
	ClaimDayLength time.Duration `json:"claim_day_length,omitempty"`
	Note           string        `json:"note,omitempty"`
	Actor          audit.Actor   `json:"actor"`
}

// Release is a release as the hold keeps it.
type Release struct {
	ID        string          `json:"id"`
	To        string          `json:"to"`
	Amount    decimal.Decimal `json:"amount"`
	Reduction decimal.Decimal `json:"reduction"`
	Charges   int             `json:"charges"`
	ClaimIDs  []string        `json:"claim_ids,omitempty"`
	At        time.Time       `json:"at"`
}

// DropRequest is the drop update's argument.
type DropRequest struct {
	Disposition string      `json:"disposition"`
	Reason      string      `json:"reason"`
	Actor       audit.Actor `json:"actor"`
}

// LegalPaymentRequest is the legal-payment update's argument.
type LegalPaymentRequest struct {
	Payer          string          `json:"payer"`
	Amount         decimal.Decimal `json:"amount"`
	Method         string          `json:"method"`
	Reference      string          `json:"reference,omitempty"`
	ReceivedAt     time.Time       `json:"received_at"`
	IdempotencyKey string          `json:"idempotency_key"`
	Actor          audit.Actor     `json:"actor"`
}

// LegalMoney is what is still owed on a legal case, by whom, after a money
// move: held A/R, the attorney's A/R and the insurer's A/R.
type LegalMoney struct {
	Held     decimal.Decimal `json:"held"`
	Attorney decimal.Decimal `json:"attorney"`
	Insurer  decimal.Decimal `json:"insurer"`
}

// Settled reports whether nothing is held and the attorney owes nothing.
func (m LegalMoney) Settled() bool { return !m.Held.IsPositive() && !m.Attorney.IsPositive() }

// UpdateWCDecision records a workers' comp carrier's acceptance or denial on
// the case workflow (WCDecisionRequest): until then a workers' comp case's
// completed visits wait unbilled.
const UpdateWCDecision = "wc-decision"

// Workers' comp decisions and where a denied case's balance goes.
const (
	WCAccept         = "accept"
	WCDeny           = "deny"
	WCToHealthPlan   = "health_coverage"
	WCToPatient      = "patient"
	WCStatusAccepted = "accepted"
	WCStatusDenied   = "denied"
)

// WCDecisionRequest is the wc-decision update's argument: accept with the
// carrier's claim number, or deny with where the balance goes.
type WCDecisionRequest struct {
	Decision    string      `json:"decision"`
	ClaimNumber string      `json:"claim_number,omitempty"`
	DeniedTo    string      `json:"denied_to,omitempty"`
	Reason      string      `json:"reason,omitempty"`
	Actor       audit.Actor `json:"actor"`
}

// WCStatus is a workers' comp case's decision as the case workflow keeps it
// (nil while the carrier has not answered).
type WCStatus struct {
	Status    string    `json:"status"`
	DeniedTo  string    `json:"denied_to,omitempty"`
	DecidedAt time.Time `json:"decided_at"`
}
