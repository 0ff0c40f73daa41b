package packages

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/codes"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/validate"
)

// Promotion kinds.
const (
	Percent = "percent" // value percent off the charge
	Fixed   = "fixed"   // value off each unit, at most the charge
)

// Promotion is a discount offered at charge capture to self-pay patients.
type Promotion struct {
	ID            string          `gorm:"primaryKey;type:uuid"`
	Name          string          //
	Kind          string          //
	Value         decimal.Decimal `gorm:"type:numeric(14,2)"`
	ProcedureCode *string         // nil: any procedure
	PatientGroup  *string         // nil: any patient
	StartsOn      time.Time       `gorm:"type:date"`
	EndsOn        time.Time       `gorm:"type:date"`
	Active        bool
	CreatedAt     time.Time
}

// TableName is the table of promotions.
func (Promotion) TableName() string { return "promotions" }

// NewPromotion is a promotion to offer; dates are YYYY-MM-DD service dates,
// inclusive.
type NewPromotion struct {
	Name          string
	Kind          string
	Value         decimal.Decimal
	ProcedureCode string
	PatientGroup  string
	StartsOn      string
	EndsOn        string
}

// CreatePromotion offers a promotion.
func (s *Service) CreatePromotion(ctx context.Context, in NewPromotion, actor audit.Actor) (Promotion, error) {
	var errs validate.Errors
	in.Name, in.PatientGroup = strings.TrimSpace(in.Name), strings.TrimSpace(in.PatientGroup)
	in.ProcedureCode = codes.NormalizeProcedure(in.ProcedureCode)
	errs.Required("name", in.Name)
	errs.Check(in.Kind == Percent || in.Kind == Fixed, "kind", "must be percent or fixed")
	checkMoney(&errs, "value", in.Value, true)
	if in.Kind == Percent && in.Value.GreaterThan(decimal.NewFromInt(100)) {
		errs.Add("value", "a percentage is at most 100")
	}
	if in.ProcedureCode != "" {
		errs.Check(codes.ValidProcedureCode(in.ProcedureCode), "procedure_code", "%q is not a CPT or HCPCS code", in.ProcedureCode)
	}
	start, end := parseDay(&errs, "starts_on", in.StartsOn), parseDay(&errs, "ends_on", in.EndsOn)
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		errs.Add("ends_on", "must be on or after starts_on")
	}
	if err := errs.Err(); err != nil {
		return Promotion{}, err
	}
	p := Promotion{ID: uuid.NewString(), Name: in.Name, Kind: in.Kind, Value: in.Value, StartsOn: start, EndsOn: end,
		Active: true, CreatedAt: time.Now().UTC()}
	if in.ProcedureCode != "" {
		p.ProcedureCode = &in.ProcedureCode
	}
	if in.PatientGroup != "" {
		p.PatientGroup = &in.PatientGroup
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Promotion{}).Where("name = ?", p.Name).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return validate.Errors{{Field: "name", Message: "a promotion with this name exists"}}
		}
		if err := tx.Create(&p).Error; err != nil {
			return fmt.Errorf("create promotion: %w", err)
		}
		return audit.Record(tx, actor, "promotion.create", "promotion", p.ID, map[string]any{
			"kind": p.Kind, "value": p.Value.StringFixed(2), "procedure_code": in.ProcedureCode, "patient_group": in.PatientGroup})
	})
	return p, err
}

// ListPromotions lists promotions, latest start first.
func (s *Service) ListPromotions(ctx context.Context, limit int) ([]Promotion, error) {
	var out []Promotion
	err := s.DB.WithContext(ctx).Order("starts_on DESC, name").Limit(db.Page(limit)).Find(&out).Error
	return out, err
}

// AddToGroup puts a patient in a named group (staff, seniors, students) that
// promotions can target. Adding twice changes nothing.
func (s *Service) AddToGroup(ctx context.Context, group, patientID string, actor audit.Actor) error {
	group = strings.TrimSpace(group)
	var errs validate.Errors
	errs.Required("group", group)
	if err := errs.Err(); err != nil {
		return err
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if uuid.Validate(patientID) != nil || !exists(tx, "patients", patientID) {
			return validate.Errors{{Field: "patient_id", Message: "no such patient"}}
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Table("patient_group_members").
			Create(map[string]any{"group_name": group, "patient_id": patientID, "added_at": time.Now().UTC()})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return audit.Record(tx, actor, "patient.group.add", "patient", patientID, map[string]any{"group": group})
	})
}

func parseDay(errs *validate.Errors, field, v string) time.Time {
	if !errs.Required(field, v) {
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		errs.Add(field, "must be a date YYYY-MM-DD")
		return time.Time{}
	}
	return d
}
