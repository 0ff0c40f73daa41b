package records

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/phicrypt"
	"github.com/clinicflow/rcm/internal/validate"
)

// Default payer limits, in days.
const (
	DefaultTimelyFilingDays = 365
	DefaultAppealWindowDays = 180
	DefaultAckWaitDays      = 3
	DefaultPaymentWaitDays  = 30
	maxPayerDays            = 3650
)

var (
	payerIDRe  = regexp.MustCompile(`^[A-Z0-9]{2,80}$`)
	memberIDRe = regexp.MustCompile(`^[A-Za-z0-9-]{2,80}$`)
	groupRe    = regexp.MustCompile(`^[A-Za-z0-9 -]{1,50}$`)
)

// NewPayer is the input to CreatePayer.
type NewPayer struct {
	Name string `json:"name"`
	// PayerID is the X12 payer ID (2-80 letters or digits); stored upper-case, unique.
	PayerID string `json:"payer_id"`
	Type    string `json:"type"`
	// TimelyFilingDays and AppealWindowDays default to 365 and 180 when absent.
	TimelyFilingDays *int `json:"timely_filing_days"`
	AppealWindowDays *int `json:"appeal_window_days"`
	// AckWaitDays (default 3, at most 90) is how long a submitted claim may go
	// without a 277CA before a follow-up task; PaymentWaitDays (default 30, at
	// most 365) how long an accepted claim may go without an 835 before a status
	// inquiry and a follow-up task.
	AckWaitDays     *int   `json:"ack_wait_days"`
	PaymentWaitDays *int   `json:"payment_wait_days"`
	Phone           string `json:"phone"`
	Address
}

// CreatePayer adds an insurance payer.
func (s *Service) CreatePayer(ctx context.Context, in NewPayer, actor audit.Actor) (Payer, error) {
	var errs validate.Errors
	errs.Required("name", in.Name)
	in.PayerID = strings.ToUpper(strings.TrimSpace(in.PayerID))
	if errs.Required("payer_id", in.PayerID) {
		errs.Check(payerIDRe.MatchString(in.PayerID), "payer_id", "must be 2 to 80 letters or digits (the X12 payer ID)")
	}
	errs.Check(slices.Contains(PayerTypes, in.Type), "type", "must be one of %v", PayerTypes)
	timely := dayLimit(&errs, "timely_filing_days", in.TimelyFilingDays, DefaultTimelyFilingDays)
	appeal := dayLimit(&errs, "appeal_window_days", in.AppealWindowDays, DefaultAppealWindowDays)
	ackWait := dayLimit(&errs, "ack_wait_days", in.AckWaitDays, DefaultAckWaitDays)
	errs.Check(ackWait <= 90 || ackWait > maxPayerDays, "ack_wait_days", "must be from 1 to 90 days")
	payWait := dayLimit(&errs, "payment_wait_days", in.PaymentWaitDays, DefaultPaymentWaitDays)
	errs.Check(payWait <= 365 || payWait > maxPayerDays, "payment_wait_days", "must be from 1 to 365 days")
	if in.Phone != "" {
		errs.Check(phoneRe.MatchString(in.Phone), "phone", "is not a phone number")
	}
	in.Address.check(&errs, false)
	if len(errs) > 0 {
		return Payer{}, errs
	}
	p := Payer{ID: uuid.NewString(), Name: strings.TrimSpace(in.Name), PayerID: in.PayerID, Type: in.Type,
		TimelyFilingDays: timely, AppealWindowDays: appeal, AckWaitDays: ackWait, PaymentWaitDays: payWait, Address1: in.Address1, Address2: in.Address2,
		City: in.City, State: in.State, Zip: in.Zip, Phone: in.Phone, CreatedAt: now()}
	err := s.create(ctx, &p, actor, "payer", p.ID)
	if errors.Is(err, ErrDuplicate) {
		return p, validate.Errors{{Field: "payer_id", Message: "a payer with this payer ID already exists"}}
	}
	return p, err
}

func dayLimit(errs *validate.Errors, field string, v *int, def int) int {
	if v == nil {
		return def
	}
	errs.Check(*v >= 1 && *v <= maxPayerDays, field, "must be from 1 to %d days", maxPayerDays)
	return *v
}

// NewCoverage is the input to AddCoverage. Subscriber fields describe the policy
// holder when it is not the patient (relationship other than self).
type NewCoverage struct {
	PayerID               string `json:"payer_id"`
	Priority              string `json:"priority"`
	MemberID              string `json:"member_id"`
	GroupNumber           string `json:"group_number"`
	Relationship          string `json:"relationship"`
	SubscriberFirstName   string `json:"subscriber_first_name"`
	SubscriberLastName    string `json:"subscriber_last_name"`
	SubscriberDateOfBirth string `json:"subscriber_date_of_birth"`
	SubscriberSex         string `json:"subscriber_sex"`
	SubscriberAddress1    string `json:"subscriber_address1"`
	SubscriberAddress2    string `json:"subscriber_address2"`
	SubscriberCity        string `json:"subscriber_city"`
	SubscriberState       string `json:"subscriber_state"`
	SubscriberZip         string `json:"subscriber_zip"`
	EffectiveFrom         string `json:"effective_from"`
	EffectiveTo           string `json:"effective_to"`
}

// Relationships of the patient to the subscriber.
var Relationships = []string{"self", "spouse", "child", "other"}

// AddCoverage attaches an insurance coverage to a case that is not private pay. A
// case has at most one active coverage per priority.
func (s *Service) AddCoverage(ctx context.Context, caseID string, in NewCoverage, actor audit.Actor) (Coverage, error) {
	var cs cases.Case
	if err := s.Get(ctx, &cs, caseID); err != nil {
		return Coverage{}, err
	}
	var errs validate.Errors
	if !cs.Kind.TakesCoverages() {
		var kinds []string
		for _, k := range cases.Kinds {
			if k.TakesCoverages() {
				kinds = append(kinds, string(k))
			}
		}
		errs.Add("case_id", "is a private-pay case; add coverages to an insurance-type case (%s)",
			strings.Join(kinds, ", "))
	}
	if errs.Required("payer_id", in.PayerID) && !s.exists(ctx, &Payer{}, in.PayerID) {
		errs.Add("payer_id", "no such payer")
	}
	errs.Check(slices.Contains(CoveragePriorities, in.Priority), "priority", "must be one of %v", CoveragePriorities)
	in.MemberID = strings.TrimSpace(in.MemberID)
	if errs.Required("member_id", in.MemberID) {
		errs.Check(memberIDRe.MatchString(in.MemberID), "member_id", "must be 2 to 80 letters, digits or dashes")
	}
	in.GroupNumber = strings.TrimSpace(in.GroupNumber)
	if in.GroupNumber != "" {
		errs.Check(groupRe.MatchString(in.GroupNumber), "group_number", "must be up to 50 letters, digits, spaces or dashes")
	}
	if in.Relationship == "" {
		in.Relationship = "self"
	}
	validRel := slices.Contains(Relationships, in.Relationship)
	errs.Check(validRel, "relationship", "must be one of %v", Relationships)
	if validRel && in.Relationship != "self" {
		errs.Required("subscriber_first_name", in.SubscriberFirstName)
		errs.Required("subscriber_last_name", in.SubscriberLastName)
		errs.Required("subscriber_date_of_birth", in.SubscriberDateOfBirth)
	}
	var dob *time.Time
	if in.SubscriberDateOfBirth != "" {
		d, err := time.Parse(time.DateOnly, in.SubscriberDateOfBirth)
		switch {
		case err != nil:
			errs.Add("subscriber_date_of_birth", "must be a date YYYY-MM-DD")
		case d.After(time.Now()):
			errs.Add("subscriber_date_of_birth", "must not be in the future")
		case d.Year() < 1900:
			errs.Add("subscriber_date_of_birth", "must be after 1900")
		default:
			dob = &d
		}
	}
	if in.SubscriberSex == "" {
		in.SubscriberSex = "U"
	}
	errs.Check(in.SubscriberSex == "F" || in.SubscriberSex == "M" || in.SubscriberSex == "U", "subscriber_sex", "must be F, M or U")
	addr := Address{Address1: in.SubscriberAddress1, Address2: in.SubscriberAddress2, City: in.SubscriberCity,
		State: in.SubscriberState, Zip: in.SubscriberZip}
	var addrErrs validate.Errors
	addr.check(&addrErrs, false)
	for _, e := range addrErrs {
		errs = append(errs, validate.FieldError{Field: "subscriber_" + e.Field, Message: e.Message})
	}
	var from time.Time
	if errs.Required("effective_from", in.EffectiveFrom) {
		var err error
		from, err = time.Parse(time.DateOnly, in.EffectiveFrom)
		errs.Check(err == nil, "effective_from", "must be a date YYYY-MM-DD")
	}
	var to *time.Time
	if in.EffectiveTo != "" {
		d, err := time.Parse(time.DateOnly, in.EffectiveTo)
		switch {
		case err != nil:
			errs.Add("effective_to", "must be a date YYYY-MM-DD")
		case !from.IsZero() && d.Before(from):
			errs.Add("effective_to", "must not be before effective_from")
		default:
			to = &d
		}
	}
	if len(errs) > 0 {
		return Coverage{}, errs
	}
	cv := Coverage{ID: uuid.NewString(), CaseID: cs.ID, PayerID: in.PayerID, Priority: in.Priority,
		MemberID: phicrypt.Text(in.MemberID), GroupNumber: phicrypt.Text(in.GroupNumber), Relationship: in.Relationship,
		SubscriberFirstName: strings.TrimSpace(in.SubscriberFirstName), SubscriberLastName: strings.TrimSpace(in.SubscriberLastName),
		SubscriberDateOfBirth: dob, SubscriberSex: in.SubscriberSex,
		SubscriberAddress1: addr.Address1, SubscriberAddress2: addr.Address2, SubscriberCity: addr.City,
		SubscriberState: addr.State, SubscriberZip: addr.Zip,
		EffectiveFrom: from, EffectiveTo: to, Status: CoverageActive, CreatedAt: now()}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&cv).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return validate.Errors{{Field: "priority", Message: "the case already has an active " + cv.Priority + " coverage"}}
			}
			return fmt.Errorf("create coverage: %w", err)
		}
		// Ids only: never the member ID or the subscriber's name.
		return audit.Record(tx, actor, "coverage.create", "coverage", cv.ID,
			map[string]any{"case_id": cv.CaseID, "payer_id": cv.PayerID, "priority": cv.Priority})
	})
	return cv, err
}

// ListCoverages returns a case's coverages: by priority (primary, secondary,
// tertiary), active before inactive, newest first.
func (s *Service) ListCoverages(ctx context.Context, caseID string) ([]Coverage, error) {
	out := []Coverage{}
	if uuid.Validate(caseID) != nil {
		return out, nil
	}
	err := s.DB.WithContext(ctx).Where("case_id = ?", caseID).
		Order("array_position(ARRAY['primary','secondary','tertiary'], priority), status = 'active' DESC, created_at DESC, id").
		Find(&out).Error
	return out, err
}

// DeactivateCoverage marks a case's coverage inactive. Deactivating an inactive
// coverage returns it unchanged.
func (s *Service) DeactivateCoverage(ctx context.Context, caseID, coverageID string, actor audit.Actor) (Coverage, error) {
	return s.DeactivateCoverageAs(ctx, caseID, coverageID, actor, true)
}

// ErrCoverageInFlight is returned when someone who may not stop a claim in
// flight deactivates the coverage it was billed to.
var ErrCoverageInFlight = apperr.New(apperr.Forbidden, "a claim in flight is billed to this coverage")

// inFlightClaimSQL finds a claim billed to a coverage that is not finished
// (internal/claims' terminal stages: paid, written_off, transferred_to_patient,
// voided, replaced).
const inFlightClaimSQL = `SELECT id, stage FROM claims WHERE coverage_id = ?
	AND stage NOT IN ('paid', 'written_off', 'transferred_to_patient', 'voided', 'replaced')
	ORDER BY created_at DESC LIMIT 1`

// DeactivateCoverageAs is DeactivateCoverage for an actor who may or may not
// stop claims in flight: when mayStopClaims is false and a claim billed to the
// coverage is still in flight, it answers ErrCoverageInFlight naming the claim
// and changes nothing (a biller decides; the claim's workflow would otherwise
// find its coverage gone mid-way). When it is true the audit row names the
// claims that were in flight.
func (s *Service) DeactivateCoverageAs(ctx context.Context, caseID, coverageID string, actor audit.Actor, mayStopClaims bool) (Coverage, error) {
	var cv Coverage
	if uuid.Validate(caseID) != nil || uuid.Validate(coverageID) != nil {
		return cv, ErrNotFound
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var inFlight struct{ ID, Stage string }
		flight := tx.Raw(inFlightClaimSQL+` FOR UPDATE`, coverageID).Scan(&inFlight)
		if flight.Error != nil {
			return flight.Error
		}
		if flight.RowsAffected > 0 && !mayStopClaims {
			return fmt.Errorf("%w: claim %s (stage %s); ask a biller to deactivate it, or to fix the claim's coverage first",
				ErrCoverageInFlight, inFlight.ID, inFlight.Stage)
		}
		res := tx.Model(&Coverage{}).Where("id = ? AND case_id = ? AND status = ?", coverageID, caseID, CoverageActive).
			Update("status", CoverageInactive)
		if res.Error != nil {
			return fmt.Errorf("deactivate coverage: %w", res.Error)
		}
		found := tx.Where("id = ? AND case_id = ?", coverageID, caseID).Limit(1).Find(&cv)
		if found.Error != nil {
			return found.Error
		}
		if found.RowsAffected == 0 {
			return ErrNotFound
		}
		if res.RowsAffected == 0 {
			return nil // already inactive
		}
		changes := audit.Merge(audit.Diff(map[string]any{"status": CoverageActive}, map[string]any{"status": cv.Status}),
			map[string]any{"case_id": cv.CaseID, "status": cv.Status})
		if flight.RowsAffected > 0 {
			changes["claim_in_flight"] = inFlight.ID
		}
		return audit.Record(tx, actor, "coverage.deactivate", "coverage", cv.ID, changes)
	})
	return cv, err
}
