// Package contract is what the API, the activities and the worker share with the
// workflows: task queue, workflow names and ids, update, signal and query names,
// inputs, payloads, results and error type names. It is a leaf: it imports neither
// the workflows nor the activities, so the API can talk to a workflow without
// importing either. Every name and JSON field here is recorded in workflow
// histories: renaming one breaks running workflows and the replay tests.
package contract

import (
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/cases"
)

// TaskQueue is the task queue every workflow and activity of the product runs on.
const TaskQueue = "rcm"

// Workflow type names, as the worker registers them (the workflow functions'
// names). Callers that must not import the workflows package start workflows by
// these names.
const (
	CaseWorkflowName    = "CaseWorkflow"
	ClaimWorkflowName   = "ClaimWorkflow"
	InboundWorkflowName = "InboundWorkflow"
	PollerWorkflowName  = "PollerWorkflow"
)

// Update and query names of the case workflow.
const (
	UpdateCheckIn          = "check-in"
	UpdateAddCharge        = "add-charge"
	UpdateVoidCharge       = "void-charge"
	UpdateCompleteCharges  = "complete-charges"
	UpdateRecordPayment    = "record-payment"
	UpdateRecordAdjustment = "record-adjustment"
	// UpdateRetryBilling bills again the completed visits that could not be
	// billed (a coverage was added since).
	UpdateRetryBilling = "retry-billing"
	QueryCaseState     = "state"
	// UpdateRecordCreditMove records a credit applied to or from another case
	// of the patient, or refunded (billing.CreditMove), whose journal
	// internal/credits already posted: the case's totals follow the ledger.
	UpdateRecordCreditMove = "record-credit-move"
)

// CaseWorkflowID is the workflow id of a case: an opaque key, never PHI.
func CaseWorkflowID(caseID string) string { return "case/" + caseID }

// Search attributes the product registers. They carry no PHI.
var (
	SearchCaseStage = temporal.NewSearchAttributeKeyKeyword("CaseStage")
	SearchCaseKind  = temporal.NewSearchAttributeKeyKeyword("CaseKind")
	// SearchClaimStage mirrors a claim workflow's stage (claims.Stage*).
	SearchClaimStage = temporal.NewSearchAttributeKeyKeyword("ClaimStage")
)

// SearchAttributes lists every custom search attribute with its type, for
// registration with the Temporal namespace.
var SearchAttributes = map[string]enums.IndexedValueType{
	SearchCaseStage.GetName():  enums.INDEXED_VALUE_TYPE_KEYWORD,
	SearchCaseKind.GetName():   enums.INDEXED_VALUE_TYPE_KEYWORD,
	SearchClaimStage.GetName(): enums.INDEXED_VALUE_TYPE_KEYWORD,
}

// CaseInput starts (or continues) a case workflow.
type CaseInput struct {
	CaseID              string        `json:"case_id"`
	PatientID           string        `json:"patient_id"`
	Kind                cases.Kind    `json:"kind"`
	MissingChargesAfter time.Duration `json:"missing_charges_after"`
	// ClaimDayLength is the length of a payer's day for the case's claim
	// workflows (24h when zero; see ClaimInput.DayLength).
	ClaimDayLength time.Duration `json:"claim_day_length,omitempty"`
	// State is set when the workflow continues as new.
	State *CaseState `json:"state,omitempty"`
}

// CaseState is the whole durable state of a case workflow, carried through
// continue-as-new.
type CaseState struct {
	CaseID              string        `json:"case_id"`
	PatientID           string        `json:"patient_id"`
	Kind                cases.Kind    `json:"kind"`
	MissingChargesAfter time.Duration `json:"missing_charges_after"`
	ClaimDayLength      time.Duration `json:"claim_day_length,omitempty"`
	// Stage is one of cases.Stages.
	Stage       string      `json:"stage"`
	Encounters  []Encounter `json:"encounters"`
	Payments    []Money     `json:"payments"`
	Adjustments []Money     `json:"adjustments"`
	// Insurance is every payer posting and claim settlement the case has seen.
	Insurance []InsuranceEvent `json:"insurance,omitempty"`
	// BillingProblems are the tasks raised because a completed visit could not be
	// billed (no active primary coverage), by encounter id.
	BillingProblems []BillingProblem `json:"billing_problems,omitempty"`
	// Hold is set once a legal case's hold workflow was started.
	Hold *HoldLink `json:"hold,omitempty"`
	// WC is a workers' comp case's carrier decision (nil while awaited).
	WC *WCStatus `json:"wc,omitempty"`
}

// RetryBillingRequest is the retry-billing update's argument.
type RetryBillingRequest struct {
	Actor audit.Actor `json:"actor"`
}

// BillingProblem is a completed visit the case workflow could not bill.
type BillingProblem struct {
	EncounterID string `json:"encounter_id"`
	TaskID      string `json:"task_id"`
	Problem     string `json:"problem"`
}

// Encounter is a visit in the case workflow's state.
type Encounter struct {
	ID                   string     `json:"id"`
	ProviderID           string     `json:"provider_id"`
	LocationID           string     `json:"location_id"`
	ServiceDate          string     `json:"service_date"`
	CheckedInAt          time.Time  `json:"checked_in_at"`
	ChargesCompletedAt   *time.Time `json:"charges_completed_at,omitempty"`
	MissingChargesTaskID string     `json:"missing_charges_task_id,omitempty"`
	// ClaimIDs are the claims billed for the visit (primary first).
	ClaimIDs []string `json:"claim_ids,omitempty"`
	// ToPatient is set once the visit of a workers' comp case denied to the
	// patient became the patient's balance.
	ToPatient bool     `json:"to_patient,omitempty"`
	Charges   []Charge `json:"charges"`
}

// Charge is a service line in the case workflow's state.
type Charge struct {
	ID                string          `json:"id"`
	ProcedureCode     string          `json:"procedure_code"`
	Modifiers         []string        `json:"modifiers"`
	Units             int             `json:"units"`
	Diagnoses         []string        `json:"diagnoses"`
	DiagnosisPointers []int           `json:"diagnosis_pointers"`
	UnitPrice         decimal.Decimal `json:"unit_price"`
	Amount            decimal.Decimal `json:"amount"`
	PriceOverridden   bool            `json:"price_overridden"`
	Voided            bool            `json:"voided"`
	// Discount is what a self-pay patient's package session or promotion took
	// off what the patient owes (internal/packages); Amount stays the full price.
	Discount decimal.Decimal `json:"discount,omitzero"`
}

// Money is a payment or adjustment the workflow has seen posted.
type Money struct {
	ID     string          `json:"id"`
	Amount decimal.Decimal `json:"amount"`
}

// CheckInRequest is the check-in update's argument.
type CheckInRequest struct {
	EncounterID string      `json:"encounter_id"`
	ProviderID  string      `json:"provider_id"`
	LocationID  string      `json:"location_id"`
	ServiceDate string      `json:"service_date"`
	Actor       audit.Actor `json:"actor"`
}

// VoidChargeRequest is the void-charge update's argument.
type VoidChargeRequest struct {
	ChargeID string      `json:"charge_id"`
	Reason   string      `json:"reason"`
	Actor    audit.Actor `json:"actor"`
}

// CompleteChargesRequest is the complete-charges update's argument.
type CompleteChargesRequest struct {
	EncounterID    string      `json:"encounter_id"`
	NoChargeReason string      `json:"no_charge_reason,omitempty"`
	Actor          audit.Actor `json:"actor"`
}

// The add-charge, record-payment and record-adjustment updates take
// billing.ChargeInput, billing.PaymentInput and billing.AdjustmentInput; the
// workflow fills in the case id.

// Totals is the case's money as the workflow sees it.
type Totals struct {
	Charges     decimal.Decimal `json:"charges"`
	Payments    decimal.Decimal `json:"payments"`
	Adjustments decimal.Decimal `json:"adjustments"`
	// InsurancePaid, Contractual and WrittenOff settled insurance A/R; ToPatient
	// moved from it to the patient.
	InsurancePaid decimal.Decimal `json:"insurance_paid"`
	Contractual   decimal.Decimal `json:"contractual"`
	WrittenOff    decimal.Decimal `json:"written_off"`
	ToPatient     decimal.Decimal `json:"to_patient"`
	// Balance is charges - payments - adjustments - insurance paid - contractual -
	// written off.
	Balance decimal.Decimal `json:"balance"`
	// PatientBalance is what the patient owes now.
	PatientBalance decimal.Decimal `json:"patient_balance"`
	// PatientCredit is money held for the patient (overpayment or prepayment).
	PatientCredit decimal.Decimal `json:"patient_credit"`
	// OtherReceivable is owed by payers or held for legal cases.
	OtherReceivable decimal.Decimal `json:"other_receivable"`
}

// CaseView is the answer to the state query and to every case update.
type CaseView struct {
	CaseState
	Totals Totals `json:"totals"`
}
