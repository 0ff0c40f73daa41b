// Package clearinghouse defines how the system talks to an X12 clearinghouse
// (eligibility 270/271, claim submission 837P with 999/277CA/835 coming
// back, claim status 276/277, written appeals of denied claims answered by
// an 835) and provides Simulator, an in-memory, deterministic clearinghouse
// and payer for development and tests.
package clearinghouse

import (
	"context"
	"errors"
	"time"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/x12"
	"github.com/shopspring/decimal"
)

// Clearinghouse is the outbound/inbound EDI channel to payers.
type Clearinghouse interface {
	// CheckEligibility sends a 270 built from req and returns the parsed
	// 271.
	CheckEligibility(ctx context.Context, req EligibilityRequest) (EligibilityResult, error)
	// Submit sends an 837 batch. It is idempotent by submissionID: a
	// retry with the same id returns the first result and submits nothing.
	Submit(ctx context.Context, submissionID string, batch837 []byte) (SubmitResult, error)
	// Poll returns, in ID order, the available inbound files (999, 277CA,
	// 835) whose ID sorts after the cursor after ("" reads from the oldest
	// file still kept). Files are not consumed: a caller keeps its cursor
	// durably and advances it to the ID of the last file it has processed,
	// so a poll retried after a crash loses nothing. A file is never added
	// behind a cursor: IDs sort in the order files become available.
	Poll(ctx context.Context, after string) ([]Inbound, error)
	// ClaimStatus sends a 276 built from req and returns the raw 277.
	ClaimStatus(ctx context.Context, req StatusRequest) ([]byte, error)
	// Appeal sends a written appeal of a denied claim to its payer. It is
	// idempotent by AppealID: a repeated id returns the first result. A
	// payer that refuses the appeal answers Accepted false with a reason,
	// not an error; an accepted appeal is decided by an 835 (re-adjudicating
	// the claim) that arrives through Poll.
	Appeal(ctx context.Context, req AppealRequest) (AppealResult, error)
}

// Waiter is a Clearinghouse that can say when inbound files arrive, so a poller
// asks again as soon as there is something to fetch instead of on a fixed
// cadence.
type Waiter interface {
	// Wait returns when a file whose ID sorts after the cursor after is
	// available, when until passes, or when ctx is done (with its error).
	Wait(ctx context.Context, after string, until time.Time) error
}

// Kind is the type of an inbound file.
type Kind string

// Inbound file kinds.
const (
	Kind999   Kind = "999"
	Kind277CA Kind = "277CA"
	Kind835   Kind = "835"
)

// Inbound is one file received from the clearinghouse.
type Inbound struct {
	// ID identifies the file. IDs sort lexically (plain string
	// comparison) in the order the files became available, which makes
	// them usable as a Poll cursor.
	ID string `json:"id"`
	// Kind is 999, 277CA or 835.
	Kind Kind `json:"kind"`
	// SubmissionID is the Submit id the file relates to (for the 835
	// deciding an appeal, the Submit id of the appealed claim).
	SubmissionID string `json:"submission_id"`
	// AppealID is the Appeal id an 835 decides; empty for files answering
	// a submission.
	AppealID string `json:"appeal_id,omitempty"`
	// Data is the raw X12 interchange.
	Data []byte `json:"data"`
	// AvailableAt is when the file became available.
	AvailableAt time.Time `json:"available_at"`
}

// SubmitResult is what Submit reports about a received batch.
type SubmitResult struct {
	SubmissionID string    `json:"submission_id"`
	ReceivedAt   time.Time `json:"received_at"`
	// Accepted reports whether the 999 accepts the batch (the 999 itself
	// arrives through Poll).
	Accepted bool `json:"accepted"`
	// Claims is the number of claims read from the batch (0 when the batch
	// could not be parsed).
	Claims int `json:"claims"`
	// InterchangeControlNumber is ISA13 of the received 837.
	InterchangeControlNumber int `json:"interchange_control_number"`
}

// EligibilityRequest describes a 270 inquiry for one subscriber.
type EligibilityRequest struct {
	PayerID      string   `json:"payer_id"`
	PayerName    string   `json:"payer_name"`
	ProviderNPI  string   `json:"provider_npi"`
	ProviderName string   `json:"provider_name"`
	MemberID     string   `json:"member_id"`
	FirstName    string   `json:"first_name"`
	LastName     string   `json:"last_name"`
	BirthDate    x12.Date `json:"birth_date,omitzero"`
	// ServiceDate is the date of service (today when zero).
	ServiceDate x12.Date `json:"service_date,omitzero"`
	// ServiceTypes are EQ01 codes ("30" when empty).
	ServiceTypes []string `json:"service_types,omitempty"`
}

// EligibilityResult is the parsed 271.
type EligibilityResult struct {
	Active   bool   `json:"active"`
	PlanName string `json:"plan_name,omitempty"`
	// Copay is the office-visit co-payment (EB*B), zero when none.
	Copay decimal.Decimal `json:"copay"`
	// DeductibleRemaining is EB*C with time period 29, zero when none.
	DeductibleRemaining decimal.Decimal `json:"deductible_remaining"`
	// RejectReasons are AAA03 codes (e.g. 72 invalid member ID).
	RejectReasons []string `json:"reject_reasons,omitempty"`
	// Raw271 is the 271 interchange.
	Raw271 []byte `json:"raw_271"`
}

// StatusRequest describes a 276 inquiry for one claim.
type StatusRequest struct {
	PayerID      string `json:"payer_id"`
	PayerName    string `json:"payer_name"`
	ProviderNPI  string `json:"provider_npi"`
	ProviderName string `json:"provider_name"`
	MemberID     string `json:"member_id"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	// PatientControlNumber (CLM01) and/or PayerClaimControlNumber identify
	// the claim.
	PatientControlNumber    string           `json:"patient_control_number"`
	PayerClaimControlNumber string           `json:"payer_claim_control_number,omitempty"`
	TotalCharge             *decimal.Decimal `json:"total_charge,omitempty"`
	ServiceFrom             x12.Date         `json:"service_from,omitzero"`
	ServiceTo               x12.Date         `json:"service_to,omitzero"`
}

// AppealRequest is a written appeal of one denied claim.
type AppealRequest struct {
	// AppealID is the caller's idempotency key for the appeal.
	AppealID string `json:"appeal_id"`
	// PayerID is the payer the claim was billed to (NM1*PR NM109 of the
	// 837).
	PayerID string `json:"payer_id"`
	// PatientControlNumber (CLM01) identifies the claim; when
	// PayerClaimControlNumber (CLP07) is given it must name the same claim.
	PatientControlNumber    string `json:"patient_control_number"`
	PayerClaimControlNumber string `json:"payer_claim_control_number,omitempty"`
	// Level is the appeal level: 1, or 2 after a level 1 appeal was upheld.
	Level int `json:"level"`
	// Letter is the appeal letter.
	Letter string `json:"letter"`
}

// AppealResult is the payer's receipt of an appeal.
type AppealResult struct {
	AppealID   string    `json:"appeal_id"`
	ReceivedAt time.Time `json:"received_at"`
	// Accepted is false when the payer refused to take the appeal (unknown
	// or not denied claim); Reason then says why.
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason,omitempty"`
}

// ErrInvalidAppeal (a conflict) is returned by Appeal for a request that cannot be sent
// at all (no appeal id, payer, patient control number or letter, or a
// level other than 1 or 2); retrying it cannot succeed.
var ErrInvalidAppeal = apperr.New(apperr.Conflict, "clearinghouse: invalid appeal request")

// ErrSubmissionConflict is returned by Submit when a submission id is reused
// with different content.
var ErrSubmissionConflict = apperr.New(apperr.Conflict, "clearinghouse: submission id reused with different content")

// ErrUnreadableInterchange is returned by Submit when the data is not an
// X12 interchange at all (no ISA/IEA envelope); a real clearinghouse answers
// such files with a TA1, not a 999.
var ErrUnreadableInterchange = errors.New("clearinghouse: unreadable interchange")
