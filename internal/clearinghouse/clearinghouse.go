// Package clearinghouse defines how the system talks to an X12 clearinghouse
// (eligibility 270/271, claim submission 837P with 999/277CA/835 coming
// back, claim status 276/277) and provides Simulator, an in-memory,
// deterministic clearinghouse and payer for development and tests.
package clearinghouse

import (
	"context"
	"errors"
	"time"

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
	// Poll returns the inbound files (999, 277CA, 835) that became
	// available since the last call; each file is delivered once.
	Poll(ctx context.Context) ([]Inbound, error)
	// ClaimStatus sends a 276 built from req and returns the raw 277.
	ClaimStatus(ctx context.Context, req StatusRequest) ([]byte, error)
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
	// ID identifies the file; IDs increase in creation order.
	ID string `json:"id"`
	// Kind is 999, 277CA or 835.
	Kind Kind `json:"kind"`
	// SubmissionID is the Submit id the file relates to.
	SubmissionID string `json:"submission_id"`
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

// ErrSubmissionConflict is returned by Submit when a submission id is reused
// with different content.
var ErrSubmissionConflict = errors.New("clearinghouse: submission id reused with different content")

// ErrUnreadableInterchange is returned by Submit when the data is not an
// X12 interchange at all (no ISA/IEA envelope); a real clearinghouse answers
// such files with a TA1, not a 999.
var ErrUnreadableInterchange = errors.New("clearinghouse: unreadable interchange")
