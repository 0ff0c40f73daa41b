// Package records manages the reference data and registrations around cases:
// locations, providers, fee schedules, patients, payers and coverages (the cases
// themselves live in package cases). Each create validates the whole input, then
// writes the row and its audit entry in one transaction.
package records

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/codes"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/validate"
)

// ErrNotFound is returned for an unknown record.
var ErrNotFound = apperr.New(apperr.NotFound, "not found")

// ErrDuplicate is returned when a unique field (NPI, name) is already taken.
var ErrDuplicate = apperr.New(apperr.Conflict, "already exists")

// Service reads and writes records.
type Service struct {
	DB *gorm.DB
}

var (
	stateRe = regexp.MustCompile(`^[A-Z]{2}$`)
	zipRe   = regexp.MustCompile(`^\d{5}(-?\d{4})?$`)
)

// Address is the postal address shared by several records.
type Address struct {
	Address1 string `json:"address1"`
	Address2 string `json:"address2"`
	City     string `json:"city"`
	State    string `json:"state"`
	Zip      string `json:"zip"`
}

func (a *Address) check(errs *validate.Errors, required bool) {
	a.State = strings.ToUpper(strings.TrimSpace(a.State))
	if !required && a.Address1 == "" && a.City == "" && a.State == "" && a.Zip == "" {
		return
	}
	errs.Required("address1", a.Address1)
	errs.Required("city", a.City)
	errs.Check(stateRe.MatchString(a.State), "state", "must be a two-letter state code")
	errs.Check(zipRe.MatchString(a.Zip), "zip", "must be a ZIP or ZIP+4 code")
}

// NewLocation is the input to CreateLocation.
type NewLocation struct {
	Name  string  `json:"name"`
	NPI   *string `json:"npi"`
	Phone string  `json:"phone"`
	// TaxID is the billing provider's EIN (9 digits, or NN-NNNNNNN); stored as 9 digits.
	TaxID string `json:"tax_id"`
	// Taxonomy is the billing provider's NUCC taxonomy code for the 837P.
	Taxonomy string `json:"taxonomy"`
	Address
}

// CreateLocation adds a place of service.
func (s *Service) CreateLocation(ctx context.Context, in NewLocation, actor audit.Actor) (Location, error) {
	var errs validate.Errors
	errs.Required("name", in.Name)
	if in.NPI != nil {
		errs.Check(codes.ValidNPI(*in.NPI), "npi", "is not a valid NPI (10 digits with a correct check digit)")
	}
	checkTaxID(&errs, &in.TaxID)
	in.Taxonomy = strings.TrimSpace(in.Taxonomy)
	if in.Taxonomy != "" {
		errs.Check(taxonomyRe.MatchString(in.Taxonomy), "taxonomy", "must be a 10-character NUCC taxonomy code such as 207Q00000X")
	}
	in.Address.check(&errs, true)
	if len(errs) > 0 {
		return Location{}, errs
	}
	l := Location{ID: uuid.NewString(), Name: strings.TrimSpace(in.Name), NPI: in.NPI, Phone: in.Phone,
		Address1: in.Address1, Address2: in.Address2, City: in.City, State: in.State, Zip: in.Zip,
		TaxID: in.TaxID, Taxonomy: in.Taxonomy, CreatedAt: now()}
	return l, s.create(ctx, &l, actor, "location", l.ID)
}

// NewProvider is the input to CreateProvider.
type NewProvider struct {
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	Credential string `json:"credential"`
	NPI        string `json:"npi"`
	Taxonomy   string `json:"taxonomy"`
	// TaxID is the provider's own tax ID (EIN or SSN digits), optional; stored as 9 digits.
	TaxID string `json:"tax_id"`
}

var taxonomyRe = regexp.MustCompile(`^[0-9A-Z]{9}X$`)

// checkTaxID validates an optional tax ID and normalizes it to its 9 digits.
func checkTaxID(errs *validate.Errors, id *string) {
	*id = strings.TrimSpace(*id)
	if *id == "" {
		return
	}
	if !codes.ValidTaxID(*id) {
		errs.Add("tax_id", "must be a 9-digit tax ID (123456789 or 12-3456789)")
		return
	}
	*id = strings.ReplaceAll(*id, "-", "")
}

// CreateProvider adds a rendering provider.
func (s *Service) CreateProvider(ctx context.Context, in NewProvider, actor audit.Actor) (Provider, error) {
	var errs validate.Errors
	errs.Required("first_name", in.FirstName)
	errs.Required("last_name", in.LastName)
	if errs.Required("npi", in.NPI) {
		errs.Check(codes.ValidNPI(in.NPI), "npi", "is not a valid NPI (10 digits with a correct check digit)")
	}
	if in.Taxonomy != "" {
		errs.Check(taxonomyRe.MatchString(in.Taxonomy), "taxonomy", "must be a 10-character NUCC taxonomy code such as 207Q00000X")
	}
	checkTaxID(&errs, &in.TaxID)
	if len(errs) > 0 {
		return Provider{}, errs
	}
	p := Provider{ID: uuid.NewString(), FirstName: in.FirstName, LastName: in.LastName,
		Credential: in.Credential, NPI: in.NPI, Taxonomy: in.Taxonomy, TaxID: in.TaxID, CreatedAt: now()}
	err := s.create(ctx, &p, actor, "provider", p.ID)
	if errors.Is(err, ErrDuplicate) {
		return p, validate.Errors{{Field: "npi", Message: "a provider with this NPI already exists"}}
	}
	return p, err
}

// NewFeeSchedule is the input to CreateFeeSchedule.
type NewFeeSchedule struct {
	Name      string       `json:"name"`
	IsDefault bool         `json:"is_default"`
	Items     []NewFeeItem `json:"items"`
}

// NewFeeItem is one price in a new fee schedule.
type NewFeeItem struct {
	ProcedureCode string          `json:"procedure_code"`
	Description   string          `json:"description"`
	Price         decimal.Decimal `json:"price"`
}

// CreateFeeSchedule adds a fee schedule with its prices. Making it the default
// clears the flag on the previous default in the same transaction.
func (s *Service) CreateFeeSchedule(ctx context.Context, in NewFeeSchedule, actor audit.Actor) (billing.FeeSchedule, error) {
	var errs validate.Errors
	errs.Required("name", in.Name)
	errs.Check(len(in.Items) > 0, "items", "at least one price is required")
	seen := map[string]bool{}
	for i, it := range in.Items {
		code := codes.NormalizeProcedure(it.ProcedureCode)
		in.Items[i].ProcedureCode = code
		f := fmt.Sprintf("items[%d].", i)
		switch {
		case !codes.ValidProcedureCode(code):
			errs.Add(f+"procedure_code", "%q is not a CPT or HCPCS code", it.ProcedureCode)
		case seen[code]:
			errs.Add(f+"procedure_code", "%s is listed twice", code)
		}
		seen[code] = true
		billing.ValidateMoney(&errs, f+"price", it.Price, true)
	}
	if len(errs) > 0 {
		return billing.FeeSchedule{}, errs
	}
	fs := billing.FeeSchedule{ID: uuid.NewString(), Name: strings.TrimSpace(in.Name), IsDefault: in.IsDefault, CreatedAt: now()}
	for _, it := range in.Items {
		fs.Items = append(fs.Items, billing.FeeScheduleItem{FeeScheduleID: fs.ID, ProcedureCode: it.ProcedureCode,
			Description: it.Description, Price: it.Price})
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if fs.IsDefault {
			if err := tx.Model(&billing.FeeSchedule{}).Where("is_default").Update("is_default", false).Error; err != nil {
				return err
			}
		}
		if err := tx.Create(&fs).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return validate.Errors{{Field: "name", Message: "a fee schedule with this name already exists"}}
			}
			return fmt.Errorf("create fee schedule: %w", err)
		}
		return audit.Record(tx, actor, "fee_schedule.create", "fee_schedule", fs.ID,
			map[string]any{"items": len(fs.Items), "is_default": fs.IsDefault})
	})
	return fs, err
}

// NewPatient is the input to CreatePatient.
type NewPatient struct {
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	DateOfBirth string `json:"date_of_birth"`
	Sex         string `json:"sex"`
	Email       string `json:"email"`
	Phone       string `json:"phone"`
	// LocationID is the location registering the patient: optional for a
	// user who works at every location, defaulted for a user limited to one.
	LocationID *string `json:"location_id"`
	Address
}

var phoneRe = regexp.MustCompile(`^\+?[0-9 ().-]{7,20}$`)

// CreatePatient registers a person once.
func (s *Service) CreatePatient(ctx context.Context, in NewPatient, actor audit.Actor) (Patient, error) {
	p, err := s.validPatient(ctx, in, true)
	if err != nil {
		return Patient{}, err
	}
	p.ID, p.CreatedAt, p.UpdatedAt = uuid.NewString(), now(), now()
	return p, s.create(ctx, &p, actor, "patient", p.ID)
}

// validPatient validates a patient's fields (and their location when
// checkLocation is set) and returns the patient they describe, without id
// or times.
func (s *Service) validPatient(ctx context.Context, in NewPatient, checkLocation bool) (Patient, error) {
	var errs validate.Errors
	errs.Required("first_name", in.FirstName)
	errs.Required("last_name", in.LastName)
	var dob time.Time
	if errs.Required("date_of_birth", in.DateOfBirth) {
		var err error
		dob, err = time.Parse(time.DateOnly, in.DateOfBirth)
		switch {
		case err != nil:
			errs.Add("date_of_birth", "must be a date YYYY-MM-DD")
		case dob.After(time.Now()):
			errs.Add("date_of_birth", "must not be in the future")
		case dob.Year() < 1900:
			errs.Add("date_of_birth", "must be after 1900")
		}
	}
	if in.Sex == "" {
		in.Sex = "U"
	}
	errs.Check(in.Sex == "F" || in.Sex == "M" || in.Sex == "U", "sex", "must be F, M or U")
	if in.Email != "" {
		_, err := mail.ParseAddress(in.Email)
		errs.Check(err == nil, "email", "is not an email address")
	}
	if in.Phone != "" {
		errs.Check(phoneRe.MatchString(in.Phone), "phone", "is not a phone number")
	}
	in.Address.check(&errs, false)
	loc := in.LocationID
	if checkLocation {
		var msg string
		loc, msg = access.FromContext(ctx).CheckLocation(in.LocationID, func(id string) bool {
			return s.exists(ctx, &Location{}, id)
		})
		errs.Check(msg == "", "location_id", "%s", msg)
	}
	if len(errs) > 0 {
		return Patient{}, errs
	}
	return Patient{LocationID: loc, FirstName: strings.TrimSpace(in.FirstName), LastName: strings.TrimSpace(in.LastName),
		DateOfBirth: dob, Sex: in.Sex, Email: in.Email, Phone: in.Phone, Address1: in.Address1, Address2: in.Address2,
		City: in.City, State: in.State, Zip: in.Zip}, nil
}

// Exists reports whether a row of model's table has id (false for malformed ids).
func (s *Service) Exists(ctx context.Context, model any, id string) bool {
	return s.exists(ctx, model, id)
}

func (s *Service) exists(ctx context.Context, model any, id string) bool {
	return db.Exists(s.DB.WithContext(ctx).Model(model), id)
}

// Get loads one row by id into dst, returning ErrNotFound when absent.
func (s *Service) Get(ctx context.Context, dst any, id string) error {
	if found, err := db.FindByID(s.DB.WithContext(ctx), dst, id); err != nil {
		return err
	} else if !found {
		return ErrNotFound
	}
	return nil
}

func (s *Service) create(ctx context.Context, row any, actor audit.Actor, entity, id string) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(row).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return fmt.Errorf("%s: %w", entity, ErrDuplicate)
			}
			return fmt.Errorf("create %s: %w", entity, err)
		}
		return audit.Record(tx, actor, entity+".create", entity, id, nil)
	})
}

func now() time.Time { return time.Now().UTC() }
