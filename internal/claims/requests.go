package claims

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/x12"
)

// EligibilityRequest builds the 270 inquiry for the claim's coverage: payer,
// billing provider (the location's NPI, or the rendering provider's for a solo
// practitioner, as on the 837P), the subscriber's member ID, name and date of
// birth, and the claim's service date.
func (s *Service) EligibilityRequest(ctx context.Context, claimID string) (clearinghouse.EligibilityRequest, error) {
	b, err := loadForRequest(s.DB.WithContext(ctx), claimID)
	if err != nil {
		return clearinghouse.EligibilityRequest{}, err
	}
	npi, name := billingParty(b)
	first, last, dob := subscriberOf(b)
	return clearinghouse.EligibilityRequest{
		PayerID: b.payer.PayerID, PayerName: b.payer.Name, ProviderNPI: npi, ProviderName: name,
		MemberID: string(b.coverage.MemberID), FirstName: first, LastName: last, BirthDate: dob,
		ServiceDate: date(b.enc.ServiceDate),
	}, nil
}

// StatusRequest builds the 276 inquiry for the claim: payer, billing provider,
// subscriber, patient control number, payer claim number, total charge and the
// span of the lines' service dates. A replacement (frequency 7) sends no payer
// claim number while it only carries the original's (before its own 277CA),
// so the payer looks it up by patient control number.
func (s *Service) StatusRequest(ctx context.Context, claimID string) (clearinghouse.StatusRequest, error) {
	tx := s.DB.WithContext(ctx)
	b, err := loadForRequest(tx, claimID)
	if err != nil {
		return clearinghouse.StatusRequest{}, err
	}
	npi, name := billingParty(b)
	first, last, _ := subscriberOf(b)
	total := b.claim.TotalCharge
	req := clearinghouse.StatusRequest{
		PayerID: b.payer.PayerID, PayerName: b.payer.Name, ProviderNPI: npi, ProviderName: name,
		MemberID: string(b.coverage.MemberID), FirstName: first, LastName: last,
		PatientControlNumber: b.claim.PatientControlNumber, PayerClaimControlNumber: b.claim.PayerClaimNumber,
		TotalCharge: &total,
	}
	if b.claim.Frequency != "1" && b.claim.OriginalClaimID != nil && req.PayerClaimControlNumber != "" {
		var orig string
		if err := tx.Raw(`SELECT payer_claim_number FROM claims WHERE id = ?`, *b.claim.OriginalClaimID).Scan(&orig).Error; err != nil {
			return clearinghouse.StatusRequest{}, fmt.Errorf("original of claim %s: %w", claimID, err)
		}
		if orig == req.PayerClaimControlNumber {
			req.PayerClaimControlNumber = ""
		}
	}
	for i, l := range b.lines {
		if i == 0 || l.ServiceDate.Before(req.ServiceFrom.Time()) {
			req.ServiceFrom = date(l.ServiceDate)
		}
		if i == 0 || l.ServiceDate.After(req.ServiceTo.Time()) {
			req.ServiceTo = date(l.ServiceDate)
		}
	}
	if len(b.lines) == 0 {
		req.ServiceFrom = date(b.enc.ServiceDate)
	}
	if req.ServiceTo.Time().Equal(req.ServiceFrom.Time()) {
		req.ServiceTo = x12.Date{}
	}
	return req, nil
}

// loadForRequest loads the claim's bundle; a malformed id is not found rather
// than a database error.
func loadForRequest(tx *gorm.DB, claimID string) (bundle, error) {
	if !validID(claimID) {
		return bundle{}, fmt.Errorf("claim %q: %w", claimID, ErrNotFound)
	}
	return load(tx, claimID)
}

// billingParty is the billing provider's NPI and name as the 837P sends them.
func billingParty(b bundle) (npi, name string) {
	if b.location.NPI != nil && *b.location.NPI != "" {
		return *b.location.NPI, upper(b.location.Name)
	}
	return b.provider.NPI, upper(strings.TrimSpace(b.provider.FirstName + " " + b.provider.LastName))
}

// subscriberOf is the coverage's subscriber: the patient for a self coverage.
func subscriberOf(b bundle) (first, last string, dob x12.Date) {
	cov, pat := b.coverage, b.patient
	if cov.Relationship == "self" || cov.Relationship == "" {
		return upper(pat.FirstName), upper(pat.LastName), date(pat.DateOfBirth)
	}
	if cov.SubscriberDateOfBirth != nil {
		dob = date(*cov.SubscriberDateOfBirth)
	}
	return upper(cov.SubscriberFirstName), upper(cov.SubscriberLastName), dob
}

// eligibilityHoldable are the stages an inactive coverage may hold: the claim is
// not with the payer yet.
var eligibilityHoldable = []string{StageCreated, StageScrubbing, StageNeedsFix, StageRejected}

// RecordEligibility records a 270/271 answer on the claim's timeline (cause
// eligibility). An inactive coverage moves a claim not yet with the payer
// (created, scrubbing, needs_fix, rejected) to eligibility_hold; otherwise the
// stage is unchanged and the event goes from the stage to itself. detail must
// carry no PHI; keys that name PHI (names, member or subscriber IDs, birth
// dates, diagnoses, addresses, raw files) are dropped, and "active" is set.
func (s *Service) RecordEligibility(ctx context.Context, claimID string, active bool, detail map[string]any, actor audit.Actor) error {
	d := map[string]any{}
	for k, v := range detail {
		if !phiKey(k) {
			d[k] = v
		}
	}
	d["active"] = active
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockClaim(tx, claimID)
		if err != nil {
			return err
		}
		if !active && slices.Contains(eligibilityHoldable, c.Stage) {
			if err := move(tx, &c, StageEligibilityHold, CauseEligibility, d, actor); err != nil {
				return err
			}
		} else if err := appendEvent(tx, c.ID, c.Stage, c.Stage, CauseEligibility, d, actor); err != nil {
			return err
		}
		return audit.Record(tx, actor, "claim.eligibility", "claim", c.ID, map[string]any{"active": active, "stage": c.Stage})
	})
}

// phiKey reports whether a detail key names PHI.
func phiKey(k string) bool {
	k = strings.ToLower(k)
	if k == "plan" || k == "plan_name" {
		return false
	}
	for _, p := range []string{"name", "member", "subscriber", "patient", "birth", "dob", "diagnos", "address",
		"phone", "email", "ssn", "raw", "271", "270"} {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}
