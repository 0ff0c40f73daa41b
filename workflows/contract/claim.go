package contract

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/scrub"
)

// Update, query and signal names of the claim workflow, and the case workflow's
// insurance signal.
const (
	UpdateFixClaim        = "fix"
	UpdateDecideDenial    = "decide"
	UpdateApproveWriteOff = "approve-write-off"
	QueryClaimState       = "state"
	// SignalClaimNotice carries a ClaimNotice (acknowledgement or remittance).
	SignalClaimNotice = "claim-notice"
	// SignalInsurance carries an InsuranceEvent to the case workflow.
	SignalInsurance = "insurance-posted"
)

// ClaimWorkflowID is the workflow id of a claim: an opaque key, never PHI.
func ClaimWorkflowID(claimID string) string { return "claim/" + claimID }

// Denial decisions a biller can take on a denied claim.
const (
	DecisionResubmit = "resubmit"            // a corrected claim (frequency 7)
	DecisionAppeal   = "appeal"              // the next appeal level, with a letter
	DecisionWriteOff = "write_off"           // needs a manager's approval
	DecisionTransfer = "transfer_to_patient" // the open balance becomes the patient's
)

// Decisions lists the denial decisions.
var Decisions = []string{DecisionResubmit, DecisionAppeal, DecisionWriteOff, DecisionTransfer}

// Claim phases: what the claim workflow is doing or waiting for.
const (
	PhaseStart            = ""
	PhaseScrub            = "scrub"
	PhaseEligibility      = "eligibility"
	PhaseNeedsFix         = "needs_fix" // scrub failures, inactive coverage or a payer rejection
	PhaseSubmit           = "submit"
	PhaseAwaitingAck      = "awaiting_ack"
	PhaseAwaitingPayment  = "awaiting_payment"
	PhaseDenied           = "denied" // waiting for a decision
	PhaseAwaitingApproval = "awaiting_approval"
	PhaseDone             = "done"
)

// ClaimInput starts (or continues) a claim workflow.
type ClaimInput struct {
	ClaimID string `json:"claim_id"`
	CaseID  string `json:"case_id"`
	// DayLength is how long one of the payer's days lasts for the claim's timers
	// (acknowledgement and payment waits, filing and appeal deadlines): 24h in
	// production, seconds in development and tests.
	DayLength time.Duration `json:"day_length"`
	// State is set when the workflow continues as new.
	State *ClaimState `json:"state,omitempty"`
}

// ClaimState is the whole durable state of a claim workflow.
type ClaimState struct {
	ClaimID   string        `json:"claim_id"`
	CaseID    string        `json:"case_id"`
	DayLength time.Duration `json:"day_length"`
	Facts     *ClaimFacts   `json:"facts,omitempty"`
	Phase     string        `json:"phase"`
	// Stage mirrors claims.Stage* as the workflow last moved it.
	Stage string `json:"stage"`
	// Round counts fixes; it names the tasks raised for each round.
	Round int `json:"round"`
	// Fixed is set by the fix update until the workflow scrubs again.
	Fixed bool `json:"fixed,omitempty"`
	// Problems are why the claim waits for a fix: scrub failures, an inactive
	// coverage or the payer's rejection.
	Problems           []scrub.Failure `json:"problems,omitempty"`
	EligibilityChecked bool            `json:"eligibility_checked"`
	Submissions        int             `json:"submissions"`
	SubmissionID       string          `json:"submission_id,omitempty"`
	SubmittedAt        time.Time       `json:"submitted_at,omitzero"`
	AckFollowUp        bool            `json:"ack_follow_up"`
	WaitingSince       time.Time       `json:"waiting_since,omitzero"`
	Inquiries          int             `json:"inquiries"`
	FilingEscalated    bool            `json:"filing_escalated"`
	Denials            int             `json:"denials"`
	Denial             *DenialInfo     `json:"denial,omitempty"`
	AppealLevel        int             `json:"appeal_level"`
	AppealDeadline     time.Time       `json:"appeal_deadline,omitzero"`
	AppealEscalated    bool            `json:"appeal_escalated"`
	AppealMissed       bool            `json:"appeal_missed"`
	WriteOff           *DenialDecision `json:"write_off,omitempty"`
	// Related are the claims this one started: a replacement or a secondary.
	Related []string      `json:"related,omitempty"`
	Inbox   []ClaimNotice `json:"inbox,omitempty"`
	// Remittances are the remittance claims already applied, so one announced
	// twice is applied once.
	Remittances []string `json:"remittances,omitempty"`
	// Waiting is what the workflow waits for now. Only the state query fills it
	// (it is computed, never carried through continue-as-new).
	Waiting *ClaimWaiting `json:"waiting,omitempty"`
}

// Files a claim workflow can wait for from the payer.
const (
	AwaitFile999or277CA = "999/277CA"
	AwaitFile835        = "835"
)

// ClaimWaiting says what a claim workflow waits for at the moment it was asked:
// a person (an update answering an open task), a file from the payer, a timer, or
// nothing (it is working, or done).
type ClaimWaiting struct {
	Phase string `json:"phase"`
	// For is the wait in a few words, for a manager.
	For string `json:"for"`
	// Update is the update that ends the wait (a person's answer to a task),
	// empty when no person is awaited.
	Update string `json:"update,omitempty"`
	// File is the payer file awaited: AwaitFile999or277CA or AwaitFile835.
	File string `json:"file,omitempty"`
	// Timer is the next timer that acts when nothing else happens first.
	Timer *ClaimTimer `json:"timer,omitempty"`
}

// ClaimTimer is a durable timer of a claim workflow.
type ClaimTimer struct {
	// Name says what the timer does when it fires: ack_follow_up,
	// status_inquiry, filing_escalation, appeal_escalation, appeal_deadline.
	Name    string    `json:"name"`
	FiresAt time.Time `json:"fires_at"`
}

// FixRequest is the fix update's argument.
type FixRequest struct {
	Fix   claims.Fix  `json:"fix"`
	Actor audit.Actor `json:"actor"`
}

// DenialDecision is the decide update's argument.
type DenialDecision struct {
	Action string `json:"action"`
	// Fix corrects the replacement claim of a resubmission.
	Fix *claims.Fix `json:"fix,omitempty"`
	// Argument is the biller's own words for an appeal letter.
	Argument string      `json:"argument,omitempty"`
	Note     string      `json:"note"`
	Actor    audit.Actor `json:"actor"`
}

// DecisionResult answers the decide update.
type DecisionResult struct {
	Action string `json:"action"`
	Phase  string `json:"phase"`
	// ClaimID is the replacement claim of a resubmission.
	ClaimID     string `json:"claim_id,omitempty"`
	AppealLevel int    `json:"appeal_level,omitempty"`
	// Letter is the appeal letter sent to the payer, for the biller's records.
	Letter string          `json:"letter,omitempty"`
	Amount decimal.Decimal `json:"amount"`
}

// WriteOffApproval is the approve-write-off update's argument (a manager's).
type WriteOffApproval struct {
	Approve bool        `json:"approve"`
	Note    string      `json:"note"`
	Actor   audit.Actor `json:"actor"`
}

// ClaimFacts are what a claim workflow needs to know about its claim and payer.
type ClaimFacts struct {
	Priority             string    `json:"priority"`
	Frequency            string    `json:"frequency"`
	PatientControlNumber string    `json:"patient_control_number"`
	AckWaitDays          int       `json:"ack_wait_days"`
	PaymentWaitDays      int       `json:"payment_wait_days"`
	AppealWindowDays     int       `json:"appeal_window_days"`
	TimelyFilingDays     int       `json:"timely_filing_days"`
	ServiceDate          time.Time `json:"service_date"`
}

// DenialInfo is a classified denial of a claim.
type DenialInfo struct {
	Category        string   `json:"category"`
	Codes           []string `json:"codes"`
	RemarkCodes     []string `json:"remark_codes,omitempty"`
	SuggestedAction string   `json:"suggested_action"`
	Partial         bool     `json:"partial"`
}
