package contract

import (
	"time"

	"github.com/clinicflow/rcm/internal/cases"
)

// The demo clinic's simulated day (`rcm dev --demo`, internal/demo): one
// workflow per deployment that keeps a seeded clinic busy through the same case
// workflow updates the API sends.
const (
	// ClinicDayWorkflowName is the function name of workflows.ClinicDayWorkflow.
	ClinicDayWorkflowName = "ClinicDayWorkflow"
	// ClinicDayWorkflowID is the one simulated clinic day of a deployment; a
	// restarted `rcm dev --demo` finds it running and leaves it be.
	ClinicDayWorkflowID = "demo/clinic-day"
	// QueryClinicDay answers the day's ClinicDayState.
	QueryClinicDay = "state"
)

// ClinicDaySettings are the simulated day's cadences. Zero values take the
// defaults of workflows.ClinicDayWorkflow.
type ClinicDaySettings struct {
	// VisitEvery is how often a patient is checked in.
	VisitEvery time.Duration `json:"visit_every"`
	// ChargeAfter is how long after check-in the provider captures the visit's
	// charges (less than VisitEvery).
	ChargeAfter time.Duration `json:"charge_after"`
	// Rounds is how many visits each open case gets per calendar day (UTC).
	// Each round bills other procedure codes, so no claim duplicates another of
	// the same patient, day and payer; when the rounds are done the clinic is
	// closed until the next day, while claims, holds and dunning go on.
	Rounds int `json:"rounds"`
	// ForgetEvery: every n-th visit's charges are captured but never completed,
	// so the case workflow raises a missing-charges task (negative: never).
	ForgetEvery int `json:"forget_every"`
	// PayEvery: every n-th visit on a self-pay case ends with the patient paying
	// part of the balance at the desk (negative: never); the rest goes to
	// dunning.
	PayEvery int `json:"pay_every"`
	// DisputeEvery: every n-th self-pay visit that does not end with a payment,
	// the patient disputes the balance, which pauses dunning and raises a task
	// in the disputes queue (negative: never).
	DisputeEvery int `json:"dispute_every"`
	// DecideEvery: after every n-th visit the billing office decides the oldest
	// denial waiting for a decision (write off, which a manager must approve;
	// appeal; transfer to the patient), as a biller would (negative: never).
	DecideEvery int `json:"decide_every"`
	// VisitsPerRun bounds one run's history: the workflow continues as new after
	// this many visits.
	VisitsPerRun int `json:"visits_per_run"`
	// MissingChargesAfter and ClaimDayLength are given to the case workflows a
	// first check-in starts, as the API gives them (MISSING_CHARGES_AFTER,
	// CLAIM_DAY_LENGTH).
	MissingChargesAfter time.Duration `json:"missing_charges_after"`
	ClaimDayLength      time.Duration `json:"claim_day_length,omitempty"`
}

// ClinicDayInput starts (or continues) the clinic day.
type ClinicDayInput struct {
	Settings ClinicDaySettings `json:"settings"`
	// State is set when the workflow continues as new.
	State *ClinicDayState `json:"state,omitempty"`
}

// ClinicDayState is the clinic day's durable state, carried through
// continue-as-new.
type ClinicDayState struct {
	// Day is the UTC date the day's visits are for; DayVisits how many of its
	// visits have been made.
	Day       string `json:"day"`
	DayVisits int    `json:"day_visits"`
	// Roster is the open cases the clinic sees, read at the start of each day.
	Roster []ClinicSlot `json:"roster"`
	// Visits, Payments, Disputes and Decisions count over the whole life of the demo;
	// Failed counts the visits and billing-office steps that failed.
	Visits    int `json:"visits"`
	Payments  int `json:"payments"`
	Disputes  int `json:"disputes"`
	Decisions int `json:"decisions"`
	Failed    int `json:"failed"`
	// SelfPayVisits counts the self-pay visits, every PayEvery-th of which
	// ends with a payment at the desk.
	SelfPayVisits int `json:"self_pay_visits"`
	// Closed is set while the day's rounds are done and the clinic waits for
	// the next day.
	Closed bool `json:"closed"`
}

// ClinicSlot is one open case on the clinic day's roster with the people who see
// it: ids only, never PHI.
type ClinicSlot struct {
	CaseID     string     `json:"case_id"`
	PatientID  string     `json:"patient_id"`
	Kind       cases.Kind `json:"kind"`
	LocationID string     `json:"location_id"`
	ProviderID string     `json:"provider_id"`
	// DeskUserID checks the patient in and takes payments; ClinicianUserID
	// captures the charges (audit actors; empty means the system).
	DeskUserID      string `json:"desk_user_id,omitempty"`
	ClinicianUserID string `json:"clinician_user_id,omitempty"`
}

// ClinicVisit is one visit of the clinic day: the case, which day and which
// visit of that day (the key every id of the visit is derived from, so a retried
// or replayed visit is the same visit), and its round.
type ClinicVisit struct {
	Slot        ClinicSlot        `json:"slot"`
	ServiceDate string            `json:"service_date"`
	Key         string            `json:"key"`
	Round       int               `json:"round"`
	Forget      bool              `json:"forget,omitempty"`
	Settings    ClinicDaySettings `json:"settings"`
}

// ClinicDenial is the oldest denied claim waiting for a biller's decision, as
// the clinic day's billing office found it (empty when there is none), and the
// biller who decides it.
type ClinicDenial struct {
	TaskID       string `json:"task_id,omitempty"`
	ClaimID      string `json:"claim_id,omitempty"`
	AppealLevel  int    `json:"appeal_level"`
	BillerUserID string `json:"biller_user_id,omitempty"`
}

// ClinicDecision is the billing office's decision on a ClinicDenial (one of
// Decisions).
type ClinicDecision struct {
	ClinicDenial
	Action string `json:"action"`
}
