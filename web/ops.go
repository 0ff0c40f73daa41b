package web

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/workflows/contract"
)

// Operations are the writes and live reads whose logic sits with the API
// (checks before a workflow update, the update itself, the case workflow's
// Update-With-Start): the API server implements them, its handlers call the
// same methods, so a page and an API call do exactly the same thing. A page
// group that needs more adds its own small interface here, one line.
type Operations interface {
	CaseOps
	WorkOps
}

// CaseOps are a case's operations (api/web.go implements them).
type CaseOps interface {
	// CheckIn records a visit in the case workflow (starting it on the first
	// one); key makes a repeated form post the same visit. An empty
	// serviceDate means today.
	CheckIn(ctx context.Context, caseID, providerID, locationID, serviceDate, key string, actor audit.Actor) (contract.Encounter, error)
	// AddCharge captures a charge on a visit (in.ChargeID is derived from
	// key); role is the signed-in user's, as only some roles may override a
	// fee-schedule price.
	AddCharge(ctx context.Context, in billing.ChargeInput, role, key string) (contract.Charge, error)
	// CompleteCharges marks a visit's charge capture complete.
	CompleteCharges(ctx context.Context, caseID, encounterID, noChargeReason string, actor audit.Actor) (contract.Encounter, error)
	// VoidCharge voids a charge with a reason.
	VoidCharge(ctx context.Context, caseID, chargeID, reason string, actor audit.Actor) (contract.Charge, error)
	// AddCoverage adds a coverage to a case, then lets the case workflow bill
	// visits that waited for one.
	AddCoverage(ctx context.Context, caseID string, in records.NewCoverage, actor audit.Actor) (records.Coverage, error)
	// RecordPayment records a patient payment (receivedAt nil: now); key makes
	// a repeated form post one payment.
	RecordPayment(ctx context.Context, caseID string, amount decimal.Decimal, method, reference string,
		receivedAt *time.Time, key string, actor audit.Actor) (billing.PaymentResult, error)
	// CaseDetail is a case with its workflow's live view and its ledger.
	CaseDetail(ctx context.Context, caseID string) (CaseDetail, error)
	// ClaimState is a claim workflow's live state (nil when it has none).
	ClaimState(ctx context.Context, claimID string) (*contract.ClaimState, error)
}

// CaseDetail is what the API's GET /cases/{id} answers, as Go values.
type CaseDetail struct {
	Case cases.Case
	View contract.CaseView
	// Ledger is the case's money as the ledger has it; InAgreement says the
	// workflow's totals agree with it to the cent.
	Ledger      LedgerView
	InAgreement bool
	// Hold is a legal case's hold (nil when the case holds no charges).
	Hold any
	// WorkflowURL opens the case workflow in the Temporal Web UI ("" when none).
	WorkflowURL string
}

// LedgerView is a case's balances from the ledger.
type LedgerView struct {
	PatientBalance  decimal.Decimal `json:"patient_balance"`
	PatientCredit   decimal.Decimal `json:"patient_credit"`
	OtherReceivable decimal.Decimal `json:"other_receivable"`
	Balance         decimal.Decimal `json:"balance"`
}
