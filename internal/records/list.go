package records

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/phicrypt"
)

// listOrdered reads a page of T's table (db.Page(limit) rows) in order.
func listOrdered[T any](q *gorm.DB, order string, limit int) ([]T, error) {
	out := []T{}
	if err := q.Order(order).Limit(db.Page(limit)).Find(&out).Error; err != nil {
		var zero T
		return nil, fmt.Errorf("list %T: %w", zero, err)
	}
	return out, nil
}

// ListLocations lists places of service by name.
func (s *Service) ListLocations(ctx context.Context, limit int) ([]Location, error) {
	return listOrdered[Location](access.Restrict(ctx, s.DB.WithContext(ctx), "locations"), "name", limit)
}

// ListProviders lists rendering providers by name.
func (s *Service) ListProviders(ctx context.Context, limit int) ([]Provider, error) {
	return listOrdered[Provider](s.DB.WithContext(ctx), "last_name, first_name", limit)
}

// ListPayers lists payers by name.
func (s *Service) ListPayers(ctx context.Context, limit int) ([]Payer, error) {
	return listOrdered[Payer](s.DB.WithContext(ctx), "name, payer_id", limit)
}

// ListFeeSchedules lists fee schedules by name, each with its prices by code.
func (s *Service) ListFeeSchedules(ctx context.Context, limit int) ([]billing.FeeSchedule, error) {
	q := s.DB.WithContext(ctx).Preload("Items", func(db *gorm.DB) *gorm.DB { return db.Order("procedure_code") })
	return listOrdered[billing.FeeSchedule](q, "name", limit)
}

// GetFeeSchedule reads a fee schedule with its prices by code.
func (s *Service) GetFeeSchedule(ctx context.Context, id string) (billing.FeeSchedule, error) {
	var fs billing.FeeSchedule
	if err := s.Get(ctx, &fs, id); err != nil {
		return fs, err
	}
	err := s.DB.WithContext(ctx).Where("fee_schedule_id = ?", fs.ID).Order("procedure_code").Find(&fs.Items).Error
	return fs, err
}

// PatientFilter selects patients: by name prefix (of the first or last name,
// any case) and by date of birth.
type PatientFilter struct {
	Name        string
	DateOfBirth time.Time
	// Phone matches patients whose phone number holds these digits, however
	// either is punctuated ("555-0100" finds "(555) 0100").
	Phone string
	// MemberID matches patients with a coverage of this member ID, exactly
	// but for case, spaces and dashes: member IDs are sealed at rest, so the
	// match is on their keyed hash (coverages.member_id_hash).
	MemberID string
	Limit    int
}

// ListPatients finds patients by name, date of birth, phone and member ID.
func (s *Service) ListPatients(ctx context.Context, f PatientFilter) ([]Patient, error) {
	q := access.Restrict(ctx, s.DB.WithContext(ctx), "patients")
	if term := strings.TrimSpace(f.Name); term != "" {
		like := strings.ToLower(term) + "%"
		q = q.Where("lower(last_name) LIKE ? OR lower(first_name) LIKE ?", like, like)
	}
	if !f.DateOfBirth.IsZero() {
		q = q.Where("date_of_birth = ?", f.DateOfBirth.Format(time.DateOnly))
	}
	if digits := onlyDigits(f.Phone); digits != "" {
		q = q.Where("regexp_replace(phone, '[^0-9]', '', 'g') LIKE ?", "%"+digits+"%")
	}
	if strings.TrimSpace(f.MemberID) != "" {
		h, err := phicrypt.Lookup(f.MemberID)
		if err != nil {
			return nil, err
		}
		q = q.Where(`id IN (SELECT c.patient_id FROM cases c JOIN coverages cv ON cv.case_id = c.id
			WHERE cv.member_id_hash = ?)`, h)
	}
	return listOrdered[Patient](q, "last_name, first_name, id", f.Limit)
}

// onlyDigits keeps the digits of s.
func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
