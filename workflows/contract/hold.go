package contract

import (
	"time"

	"github.com/clinicflow/rcm/internal/audit"
)

// HoldWorkflowName is the hold workflow's type name.
const HoldWorkflowName = "HoldWorkflow"

// Update, signal and query names of the hold workflow.
const (
	// UpdateRecordFollowUp records an attorney follow-up's outcome
	// (FollowUpRequest); it answers follow-up tasks.
	UpdateRecordFollowUp = "record-follow-up"
	// SignalHoldVisit tells the hold of a visit (HoldVisit), from the case workflow.
	SignalHoldVisit = "hold-visit"
	// SignalHoldDetails tells the hold the case's legal details changed (no
	// payload: the hold reads them again).
	SignalHoldDetails = "hold-details-changed"
	QueryHoldState    = "state"
)

// HoldWorkflowID is the workflow id of a legal case's hold: the case's opaque
// key, never PHI.
func HoldWorkflowID(caseID string) string { return "hold/" + caseID }

// Follow-up outcomes: what the attorney's office said.
const (
	OutcomeTreating    = "treating"    // the patient is still treating
	OutcomeDemandSent  = "demand_sent" // the attorney sent the demand to the insurer
	OutcomeNegotiating = "negotiating" // the attorney negotiates a settlement
	OutcomeSettled     = "settled"     // settled; a settlement update follows
	OutcomeDropped     = "dropped"     // the attorney withdrew
	OutcomeNoAnswer    = "no_answer"   // nobody answered; try again
)

// FollowUpOutcomes lists the follow-up outcomes.
var FollowUpOutcomes = []string{OutcomeTreating, OutcomeDemandSent, OutcomeNegotiating, OutcomeSettled,
	OutcomeDropped, OutcomeNoAnswer}

// Hold timer kinds: each a branch of the hold workflow with a task of its own.
const (
	TimerFollowUp = "attorney_follow_up"
	TimerNoLien   = "no_lien"
	TimerGap      = "treatment_gap"
	TimerSOL90    = "sol_90"
	TimerSOL30    = "sol_30"
)

// HoldStatusHeld is a hold's status while its charges wait for a settlement.
const HoldStatusHeld = "held"

// HoldInput starts (or continues) a hold workflow.
type HoldInput struct {
	CaseID string `json:"case_id"`
	// Visits are the case's check-ins when the hold starts; later ones arrive
	// as SignalHoldVisit.
	Visits []HoldVisit `json:"visits,omitempty"`
	// State is set when the workflow continues as new.
	State *HoldState `json:"state,omitempty"`
}

// HoldVisit is a check-in of a held case.
type HoldVisit struct {
	EncounterID string    `json:"encounter_id"`
	At          time.Time `json:"at"`
}

// HoldSettings are a hold's timer lengths, read once when it starts. DayLength
// is how long one of its days lasts (24h; LEGAL_DAY_LENGTH shortens it for
// development and tests).
type HoldSettings struct {
	DayLength    time.Duration `json:"day_length"`
	LienDays     int           `json:"lien_days"`
	GapDays      int           `json:"gap_days"`
	SOLFirstDays int           `json:"sol_first_days"`
	SOLFinalDays int           `json:"sol_final_days"`
	// ApprovalDays is how long a manager has to answer an approval before it
	// is escalated (DefaultApprovalDays when zero: holds started before
	// settlements existed).
	ApprovalDays int `json:"approval_days,omitempty"`
}

// HoldFacts are what the hold watches of the case's legal details, as the
// LoadHoldFacts activity reads them.
type HoldFacts struct {
	// Recorded is false until PUT /cases/{id}/legal.
	Recorded     bool `json:"recorded"`
	FollowUpDays int  `json:"follow_up_days"`
	LienOnFile   bool `json:"lien_on_file"`
	// SOLDate is YYYY-MM-DD, empty while unknown.
	SOLDate string `json:"sol_date,omitempty"`
	// Today is the calendar date (YYYY-MM-DD) when the facts were read; it
	// anchors calendar dates to the hold's clock.
	Today string `json:"today"`
}

// HoldState is the whole durable state of a hold workflow.
type HoldState struct {
	CaseID    string       `json:"case_id"`
	Status    string       `json:"status"`
	Settings  HoldSettings `json:"settings"`
	Facts     HoldFacts    `json:"facts"`
	StartedAt time.Time    `json:"started_at"`
	// AnchorAt and AnchorDate tie the hold's clock to calendar dates: the
	// date AnchorDate starts at AnchorAt, and each later date one DayLength on.
	AnchorAt   time.Time   `json:"anchor_at"`
	AnchorDate string      `json:"anchor_date"`
	Visits     []HoldVisit `json:"visits"`
	// NextFollowUpAt is when the next attorney follow-up is due.
	NextFollowUpAt time.Time     `json:"next_follow_up_at"`
	FollowUpRound  int           `json:"follow_up_round"`
	FollowUps      []FollowUp    `json:"follow_ups"`
	Tasks          []HoldTask    `json:"tasks"`
	LienTaskRaised bool          `json:"lien_task_raised,omitempty"`
	GapNoticedFor  time.Time     `json:"gap_noticed_for,omitzero"`
	SOLFirstFor    string        `json:"sol_first_for,omitempty"`
	SOLFinalFor    string        `json:"sol_final_for,omitempty"`
	LastOutcome    string        `json:"last_outcome,omitempty"`
	Published      HoldPublished `json:"published"`
	// Settlement is the latest settlement recorded (settlement.go); Approval
	// the manager's decision the hold waits for; Releases the charges
	// released so far; Owed what was still owed after the last money move.
	Settlement *Settlement  `json:"settlement,omitempty"`
	Approval   *Approval    `json:"approval,omitempty"`
	Releases   []Release    `json:"releases,omitempty"`
	Owed       *LegalMoney  `json:"owed,omitempty"`
	Dropped    *DropRequest `json:"dropped,omitempty"`
}

// HoldPublished is what the hold last wrote to the holds read model.
type HoldPublished struct {
	Status         string    `json:"status,omitempty"`
	NextFollowUpAt time.Time `json:"next_follow_up_at,omitzero"`
	FollowUps      int       `json:"follow_ups,omitempty"`
}

// HoldTask is a task the hold raised.
type HoldTask struct {
	Kind        string    `json:"kind"`
	TaskID      string    `json:"task_id"`
	BusinessKey string    `json:"business_key"`
	RaisedAt    time.Time `json:"raised_at"`
}

// FollowUp is a recorded attorney follow-up.
type FollowUp struct {
	ID           string    `json:"id"`
	At           time.Time `json:"at"`
	Outcome      string    `json:"outcome"`
	Note         string    `json:"note,omitempty"`
	NextFollowUp string    `json:"next_follow_up,omitempty"`
}

// FollowUpRequest is the record-follow-up update's argument: an outcome, an
// optional note and, optionally, the date (YYYY-MM-DD) of the next follow-up
// (otherwise the case's follow-up interval from now).
type FollowUpRequest struct {
	Outcome      string      `json:"outcome"`
	Note         string      `json:"note,omitempty"`
	NextFollowUp string      `json:"next_follow_up,omitempty"`
	Actor        audit.Actor `json:"actor"`
}

// HoldTimer is a timer the hold waits on.
type HoldTimer struct {
	Kind  string    `json:"kind"`
	DueAt time.Time `json:"due_at"`
}

// HoldView is the answer to the hold's state query.
type HoldView struct {
	HoldState
	// Timers are the hold's pending timers, soonest first.
	Timers []HoldTimer `json:"timers"`
}

// HoldLink is what a case workflow knows of its hold workflow: that it runs,
// and how many of the case's visits it was told of.
type HoldLink struct {
	Started    bool `json:"started"`
	VisitsSent int  `json:"visits_sent"`
}
