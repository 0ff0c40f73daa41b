// Package packages is what a self-pay patient is offered around the charge:
// prepaid session packages ("10 physiotherapy sessions for $500") and promotions
// (percent or fixed off by procedure, patient group and dates).
//
// Neither changes a charge: the charge keeps its fee-schedule amount, which is what
// an insurance claim bills. At charge capture on a case billed to the patient, a
// package session is drawn from the package's credit at the package's unit price,
// the fee-schedule difference posted as a package discount, and a promotion is its
// own adjustment journal; both are charge_discounts rows the statement and the
// ledger show as their own lines. A void reverses them. Cases billed to a payer
// (insurance, workers' comp, MVA, personal injury) get neither at capture.
package packages

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/codes"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/validate"
)

// Service runs package and promotion operations against the database.
type Service struct {
	DB *gorm.DB
}

// ErrNotFound is returned for an unknown plan, package, patient or promotion.
var ErrNotFound = apperr.New(apperr.NotFound, "not found")

// Expiry rules: what happens to the unused part of a package when it expires.
const (
	Refund  = "refund"
	Forfeit = "forfeit"
)

// Plan is a package on offer.
type Plan struct {
	ID            string          `gorm:"primaryKey;type:uuid" json:"id"`
	Name          string          `json:"name"`
	ProcedureCode string          `json:"procedure_code"`
	Sessions      int             `json:"sessions"`
	Price         decimal.Decimal `gorm:"type:numeric(14,2)" json:"price"`
	ValidDays     int             `json:"valid_days"`
	ExpiryRule    string          `json:"expiry_rule"`
	Active        bool            `json:"active"`
	CreatedAt     time.Time       `json:"created_at"`
}

// TableName is the table of plans.
func (Plan) TableName() string { return "package_plans" }

// NewPlan is a plan to offer.
type NewPlan struct {
	Name          string
	ProcedureCode string
	Sessions      int
	Price         decimal.Decimal
	ValidDays     int
	ExpiryRule    string
}

func checkMoney(errs *validate.Errors, field string, v decimal.Decimal, positive bool) {
	switch {
	case v.IsNegative() || (positive && v.IsZero()):
		errs.Add(field, "must be positive")
	case !v.Equal(v.Round(2)):
		errs.Add(field, "must have at most two decimals")
	case v.GreaterThanOrEqual(decimal.New(1, 9)):
		errs.Add(field, "is too large")
	}
}

// CreatePlan offers a package.
func (s *Service) CreatePlan(ctx context.Context, in NewPlan, actor audit.Actor) (Plan, error) {
	var errs validate.Errors
	in.Name = strings.TrimSpace(in.Name)
	in.ProcedureCode = codes.NormalizeProcedure(in.ProcedureCode)
	errs.Required("name", in.Name)
	if errs.Required("procedure_code", in.ProcedureCode) {
		errs.Check(codes.ValidProcedureCode(in.ProcedureCode), "procedure_code", "%q is not a CPT or HCPCS code", in.ProcedureCode)
	}
	errs.Check(in.Sessions >= 1 && in.Sessions <= 1000, "sessions", "must be between 1 and 1000")
	checkMoney(&errs, "price", in.Price, true)
	if in.ValidDays == 0 {
		in.ValidDays = 365
	}
	errs.Check(in.ValidDays >= 1 && in.ValidDays <= 3660, "valid_days", "must be between 1 and 3660")
	errs.Check(in.ExpiryRule == Refund || in.ExpiryRule == Forfeit, "expiry_rule", "must be refund or forfeit")
	if err := errs.Err(); err != nil {
		return Plan{}, err
	}
	p := Plan{ID: uuid.NewString(), Name: in.Name, ProcedureCode: in.ProcedureCode, Sessions: in.Sessions, Price: in.Price,
		ValidDays: in.ValidDays, ExpiryRule: in.ExpiryRule, Active: true, CreatedAt: time.Now().UTC()}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Plan{}).Where("name = ?", p.Name).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return validate.Errors{{Field: "name", Message: "a package with this name exists"}}
		}
		if err := tx.Create(&p).Error; err != nil {
			return fmt.Errorf("create package plan: %w", err)
		}
		return audit.Record(tx, actor, "package.plan.create", "package_plan", p.ID, map[string]any{
			"procedure_code": p.ProcedureCode, "sessions": p.Sessions, "price": p.Price.StringFixed(2), "expiry_rule": p.ExpiryRule})
	})
	return p, err
}

// ListPlans lists plans by name.
func (s *Service) ListPlans(ctx context.Context, limit int) ([]Plan, error) {
	var out []Plan
	err := s.DB.WithContext(ctx).Order("name").Limit(db.Page(limit)).Find(&out).Error
	return out, err
}

// Package statuses.
const (
	Active  = "active"
	Used    = "used"
	Expired = "expired"
)

// Package is a plan sold to a patient.
type Package struct {
	ID             string           `gorm:"primaryKey;type:uuid"`
	PlanID         string           `gorm:"type:uuid"`
	PatientID      string           `gorm:"type:uuid"`
	ProcedureCode  string           //
	Sessions       int              //
	Price          decimal.Decimal  `gorm:"type:numeric(14,2)"`
	UnitPrice      decimal.Decimal  `gorm:"type:numeric(14,2)"`
	Method         string           //
	SoldAt         time.Time        //
	ExpiresOn      time.Time        `gorm:"type:date"`
	Status         string           //
	ExpiryOutcome  *string          // refunded, forfeited
	ExpiredAmount  *decimal.Decimal `gorm:"type:numeric(14,2)"`
	ExpiredAt      *time.Time       //
	IdempotencyKey string           //
	CreatedBy      *string          `gorm:"type:uuid"`
	// SessionsUsed and CreditLeft are derived from its uses (not stored).
	SessionsUsed int             `gorm:"-"`
	CreditLeft   decimal.Decimal `gorm:"-"`
}

// TableName is the table of sold packages.
func (Package) TableName() string { return "patient_packages" }

// Sale sells a plan to a patient, paid up front.
type Sale struct {
	PatientID      string
	PlanID         string
	Method         string
	IdempotencyKey string
}

// Methods are how a package may be paid.
var Methods = []string{"cash", "check", "card", "ach", "other"}

// Sell records the sale and its journal (cash against the package credit). The
// same idempotency key sells once.
func (s *Service) Sell(ctx context.Context, in Sale, actor audit.Actor) (Package, error) {
	var errs validate.Errors
	errs.Required("plan_id", in.PlanID)
	if in.Method == "" {
		in.Method = "card"
	}
	errs.Check(slices.Contains(Methods, in.Method), "method", "must be one of %s", strings.Join(Methods, ", "))
	if err := errs.Err(); err != nil {
		return Package{}, err
	}
	if in.IdempotencyKey == "" {
		in.IdempotencyKey = uuid.NewString()
	}
	var out Package
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if uuid.Validate(in.PatientID) != nil || !exists(tx, "patients", in.PatientID) {
			return fmt.Errorf("patient %s: %w", in.PatientID, ErrNotFound)
		}
		key := in.PatientID + ":" + in.IdempotencyKey
		if res := tx.Where("idempotency_key = ?", key).Limit(1).Find(&out); res.Error != nil || res.RowsAffected > 0 {
			if res.Error == nil {
				return fill(tx, &out)
			}
			return res.Error
		}
		var p Plan
		if uuid.Validate(in.PlanID) != nil {
			return validate.Errors{{Field: "plan_id", Message: "no such package"}}
		}
		if res := tx.Where("id = ? AND active", in.PlanID).Limit(1).Find(&p); res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return validate.Errors{{Field: "plan_id", Message: "no such active package"}}
		}
		now := time.Now().UTC()
		out = Package{ID: uuid.NewString(), PlanID: p.ID, PatientID: in.PatientID, ProcedureCode: p.ProcedureCode,
			Sessions: p.Sessions, Price: p.Price, UnitPrice: p.Price.Div(decimal.NewFromInt(int64(p.Sessions))).Round(2),
			Method: in.Method, SoldAt: now, ExpiresOn: day(now).AddDate(0, 0, p.ValidDays), Status: Active, IdempotencyKey: key}
		if actor.UserID != "" {
			out.CreatedBy = &actor.UserID
		}
		if err := tx.Create(&out).Error; err != nil {
			return fmt.Errorf("sell package: %w", err)
		}
		if _, err := ledger.Post(tx, ledger.Journal{IdempotencyKey: "package-sale:" + out.ID, Kind: "package_sale",
			PatientID: in.PatientID, SourceType: "patient_package", SourceID: out.ID, Memo: "package " + p.Name,
			Lines: []ledger.Line{ledger.Debit(ledger.Cash, p.Price), ledger.Credit(ledger.PackageCredit, p.Price)}}); err != nil {
			return err
		}
		out.CreditLeft = out.Price
		return audit.Record(tx, actor, "package.sell", "patient_package", out.ID, map[string]any{
			"plan_id": p.ID, "patient_id": in.PatientID, "price": p.Price.StringFixed(2), "method": in.Method})
	})
	return out, err
}

// fill derives what is used and left of a package from its uses.
func fill(tx *gorm.DB, p *Package) error {
	var u struct {
		Sessions int
		Drawn    decimal.Decimal
	}
	if err := tx.Raw(`SELECT coalesce(sum(sessions), 0) AS sessions, coalesce(sum(drawn), 0) AS drawn
		FROM charge_discounts WHERE package_id = ? AND voided_at IS NULL`, p.ID).Scan(&u).Error; err != nil {
		return err
	}
	p.SessionsUsed = u.Sessions
	p.CreditLeft = p.Price.Sub(u.Drawn)
	if p.ExpiredAmount != nil {
		p.CreditLeft = p.CreditLeft.Sub(*p.ExpiredAmount)
	}
	return nil
}

// PatientPackages lists a patient's packages, newest first, with what is left.
func (s *Service) PatientPackages(ctx context.Context, patientID string) ([]Package, error) {
	db := s.DB.WithContext(ctx)
	if uuid.Validate(patientID) != nil || !exists(db, "patients", patientID) {
		return nil, fmt.Errorf("patient %s: %w", patientID, ErrNotFound)
	}
	var out []Package
	if err := db.Where("patient_id = ?", patientID).Order("sold_at DESC").Find(&out).Error; err != nil {
		return nil, err
	}
	for i := range out {
		if err := fill(db, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ExpiryResult is what one expiry run did.
type ExpiryResult struct {
	Expired   int             `json:"expired"`
	Refunded  decimal.Decimal `json:"refunded"`
	Forfeited decimal.Decimal `json:"forfeited"`
}

// Expire ends every active package whose last valid day is before asOf: the
// unused credit is refunded (package credit against cash) or forfeited (against
// forfeited package credits, a revenue account), by its plan's rule, and the
// package records which. Running it again expires nothing twice.
func (s *Service) Expire(ctx context.Context, asOf time.Time, actor audit.Actor) (ExpiryResult, error) {
	out := ExpiryResult{Refunded: decimal.Zero, Forfeited: decimal.Zero}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var due []Package
		if err := tx.Raw(`SELECT * FROM patient_packages WHERE status IN ('active', 'used') AND expires_on < ?
			ORDER BY expires_on, id FOR UPDATE`, day(asOf)).Scan(&due).Error; err != nil {
			return err
		}
		for _, p := range due {
			if err := fill(tx, &p); err != nil {
				return err
			}
			var rule string
			if err := tx.Raw(`SELECT expiry_rule FROM package_plans WHERE id = ?`, p.PlanID).Scan(&rule).Error; err != nil {
				return err
			}
			outcome, other := "forfeited", ledger.PackageForfeit
			if rule == Refund {
				outcome, other = "refunded", ledger.Cash
			}
			left := p.CreditLeft
			if left.IsPositive() {
				if _, err := ledger.Post(tx, ledger.Journal{IdempotencyKey: "package-expiry:" + p.ID, Kind: "package_" + outcome,
					PatientID: p.PatientID, SourceType: "patient_package", SourceID: p.ID, Memo: "package expired: unused credit " + outcome,
					Lines: []ledger.Line{ledger.Debit(ledger.PackageCredit, left), ledger.Credit(other, left)}}); err != nil {
					return err
				}
			}
			now := time.Now().UTC()
			if err := tx.Model(&Package{}).Where("id = ?", p.ID).Updates(map[string]any{"status": Expired,
				"expiry_outcome": outcome, "expired_amount": left, "expired_at": now}).Error; err != nil {
				return err
			}
			out.Expired++
			if rule == Refund {
				out.Refunded = out.Refunded.Add(left)
			} else {
				out.Forfeited = out.Forfeited.Add(left)
			}
			if err := audit.Record(tx, actor, "package.expire", "patient_package", p.ID, map[string]any{
				"outcome": outcome, "amount": left.StringFixed(2), "sessions_unused": p.Sessions - p.SessionsUsed}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func exists(tx *gorm.DB, table, id string) bool {
	return db.Exists(tx.Table(table), id) // a patient of another location does not exist for a limited user
}
