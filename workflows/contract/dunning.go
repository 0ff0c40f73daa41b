package contract

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/dunning"
)

// DunningWorkflowName is the dunning workflow's type name.
const DunningWorkflowName = "DunningWorkflow"

// DunningWorkflowID is the one dunning workflow of a patient account: an opaque
// key, never PHI. Signal-with-start on this id means there is never a second.
func DunningWorkflowID(patientID string) string { return "dunning/" + patientID }

// Signal, update and query names of the dunning workflow.
const (
	// SignalDunningBalance tells the workflow a patient's balance changed (a
	// charge, a payment, an insurance transfer): it reads the balance again.
	SignalDunningBalance = "balance-changed"
	// UpdatePaymentPlan replaces the cadence with instalment reminders.
	UpdatePaymentPlan = "payment-plan"
	// UpdateDispute pauses dunning and opens a task in the disputes queue.
	UpdateDispute = "dispute"
	// UpdateResolveDispute answers the dispute task: resume, adjust or write off.
	UpdateResolveDispute = "resolve-dispute"
	QueryDunningState    = "state"
)

// Dunning statuses.
const (
	DunningActive      = "active"      // following the cadence
	DunningPlan        = "plan"        // on a payment plan
	DunningDisputed    = "disputed"    // paused by a dispute
	DunningCollections = "collections" // placed with the agency; no more reminders
	DunningClosed      = "closed"      // paid, written off
)

// Dispute outcomes.
const (
	DisputeResume   = "resume"
	DisputeAdjust   = "adjust"
	DisputeWriteOff = "write_off"
)

// DunningInput starts (or continues) a patient's dunning workflow.
type DunningInput struct {
	PatientID string         `json:"patient_id"`
	Config    dunning.Config `json:"config"`
	State     *DunningState  `json:"state,omitempty"`
}

// BalanceSignal is the balance-changed signal's payload.
type BalanceSignal struct {
	// Cause names what changed the balance (charge, payment, era, transfer).
	Cause  string `json:"cause"`
	CaseID string `json:"case_id,omitempty"`
}

// DunningState is the durable state, carried through continue-as-new.
type DunningState struct {
	PatientID string `json:"patient_id"`
	// Cycle distinguishes this dunning process from an earlier one of the same
	// patient (the first run id): outbox rows and statements are keyed by it.
	Cycle  string `json:"cycle"`
	Status string `json:"status"`
	// StartedAt is day 0 of the cadence; Shift is the time spent paused
	// (disputes, payment plans) that pushes the remaining steps out.
	StartedAt time.Time     `json:"started_at"`
	Shift     time.Duration `json:"shift"`
	// NextStep indexes Config.Steps.
	NextStep int             `json:"next_step"`
	Due      decimal.Decimal `json:"due"`
	// Sent are the steps whose messages went out, in order.
	Sent     []string      `json:"sent"`
	Plan     *PlanState    `json:"plan,omitempty"`
	Dispute  *DisputeState `json:"dispute,omitempty"`
	PausedAt *time.Time    `json:"paused_at,omitempty"`
	// Outcome is why the workflow ended: paid, written_off, collections.
	Outcome string `json:"outcome,omitempty"`
	// Plans counts payment plans (outbox steps of each are distinct).
	Plans int `json:"plans"`
	// Disputes counts disputes (each has its own task).
	Disputes int `json:"disputes"`
	// Texts are text messages waiting for the patient's waking hours; the
	// cadence goes on meanwhile.
	Texts []PendingText `json:"texts,omitempty"`
}

// PendingText is an outbox text message and when it may go.
type PendingText struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

// PlanState is a payment plan in force.
type PlanState struct {
	Instalments []dunning.Instalment `json:"instalments"`
	// StartDate is the calendar day the plan was agreed; due dates count in
	// cadence days from it (so a shortened day length shortens plans too).
	StartDate string          `json:"start_date"`
	StartedAt time.Time       `json:"started_at"`
	Balance   decimal.Decimal `json:"balance"`
	Next      int             `json:"next"`
	Reminded  int             `json:"reminded"` // instalments reminded so far
	// MissedNotices is set on plans agreed since the missed-instalment notice
	// exists (workflow version "plan-missed-notice"): the day after an
	// instalment falls due unpaid, the patient is told, within the grace.
	MissedNotices bool `json:"missed_notices,omitempty"`
	// Missed counts the instalments whose missed notice went (or that were
	// paid before one was needed).
	Missed int `json:"missed,omitempty"`
}

// DisputeState is an open dispute.
type DisputeState struct {
	TaskID   string    `json:"task_id"`
	Reason   string    `json:"reason"`
	OpenedAt time.Time `json:"opened_at"`
	// Resume is the status to go back to.
	Resume string `json:"resume"`
}

// PaymentPlanRequest is the payment-plan update's argument.
type PaymentPlanRequest struct {
	Instalments []dunning.Instalment `json:"instalments"`
	Actor       audit.Actor          `json:"actor"`
}

// DisputeRequest is the dispute update's argument.
type DisputeRequest struct {
	Reason string      `json:"reason"`
	Actor  audit.Actor `json:"actor"`
}

// ResolveDisputeRequest is the resolve-dispute update's argument (the outcome
// of the disputes task).
type ResolveDisputeRequest struct {
	Outcome string          `json:"outcome"`
	Amount  decimal.Decimal `json:"amount"`
	Note    string          `json:"note"`
	Actor   audit.Actor     `json:"actor"`
}

// DunningView answers the state query and the updates.
type DunningView struct {
	DunningState
	NextStepName string     `json:"next_step_name,omitempty"`
	NextStepAt   *time.Time `json:"next_step_at,omitempty"`
}
