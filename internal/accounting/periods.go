package accounting

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/validate"
)

// Period statuses.
const (
	PeriodOpen   = "open"
	PeriodClosed = "closed"
)

// Period is an accounting period (a month, a quarter). Once closed, the ledger
// refuses journals dated inside it.
type Period struct {
	ID        string    `gorm:"primaryKey;type:uuid"`
	Name      string    // "2026-10"
	StartDate time.Time `gorm:"type:date"`
	EndDate   time.Time `gorm:"type:date"`
	Status    string
	ClosedAt  *time.Time
	ClosedBy  *string `gorm:"type:uuid"`
	CreatedAt time.Time
}

// TableName is the table of periods.
func (Period) TableName() string { return "accounting_periods" }

// NewPeriod is a period to create; dates are YYYY-MM-DD, both inclusive.
type NewPeriod struct {
	Name      string `json:"name"`
	StartDate string `json:"start_date"`
	EndDate   string `json:"end_date"`
}

// ErrPeriodOverlap is returned when a new period overlaps an existing one.
var ErrPeriodOverlap = apperr.New(apperr.Conflict, "the period overlaps another")

// CreatePeriod adds an open period. Periods may not overlap.
func (s *Service) CreatePeriod(ctx context.Context, in NewPeriod, actor audit.Actor) (Period, error) {
	var errs validate.Errors
	in.Name = strings.TrimSpace(in.Name)
	errs.Required("name", in.Name)
	start := ParseDay(&errs, "start_date", in.StartDate)
	end := ParseDay(&errs, "end_date", in.EndDate)
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		errs.Add("end_date", "must be on or after start_date")
	}
	if err := errs.Err(); err != nil {
		return Period{}, err
	}
	p := Period{ID: uuid.NewString(), Name: in.Name, StartDate: start, EndDate: end, Status: PeriodOpen, CreatedAt: time.Now().UTC()}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`LOCK TABLE accounting_periods IN SHARE ROW EXCLUSIVE MODE`).Error; err != nil {
			return err
		}
		var other Period
		res := tx.Where("start_date <= ? AND end_date >= ?", end, start).Limit(1).Find(&other)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			return coded(ErrPeriodOverlap, "%s to %s overlaps period %s (%s to %s)", in.StartDate, in.EndDate,
				other.Name, other.StartDate.Format(time.DateOnly), other.EndDate.Format(time.DateOnly))
		}
		var n int64
		if err := tx.Model(&Period{}).Where("name = ?", in.Name).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return validate.Errors{{Field: "name", Message: "a period with this name exists"}}
		}
		if err := tx.Create(&p).Error; err != nil {
			return fmt.Errorf("create period %s: %w", p.Name, err)
		}
		return audit.Record(tx, actor, "accounting.period.create", "accounting_period", p.ID,
			map[string]any{"start_date": in.StartDate, "end_date": in.EndDate})
	})
	return p, err
}

// coded is sentinel's code with a more precise message; errors.Is still finds
// the sentinel.
func coded(sentinel *apperr.Error, format string, args ...any) error {
	return &apperr.Error{Code: sentinel.Code, Message: fmt.Sprintf(format, args...), Err: sentinel}
}

// ListPeriods lists periods, latest first.
func (s *Service) ListPeriods(ctx context.Context, limit int) ([]Period, error) {
	var out []Period
	err := s.DB.WithContext(ctx).Order("start_date DESC").Limit(db.Page(limit)).Find(&out).Error
	return out, err
}

// ErrPeriodNotOver is returned when closing a period that has not ended.
var ErrPeriodNotOver = apperr.New(apperr.Conflict, "a period can be closed only after its last day")

// ClosePeriod closes a period whose last day is over; from then on the ledger
// refuses journals dated inside it. Closing a closed period changes nothing.
func (s *Service) ClosePeriod(ctx context.Context, id string, actor audit.Actor) (Period, error) {
	var p Period
	if uuid.Validate(id) != nil {
		return p, fmt.Errorf("period %s: %w", id, ErrNotFound)
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockBooks(tx); err != nil {
			return err
		}
		res := tx.Raw(`SELECT * FROM accounting_periods WHERE id = ? FOR UPDATE`, id).Scan(&p)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("period %s: %w", id, ErrNotFound)
		}
		if p.Status == PeriodClosed {
			return nil
		}
		if !p.EndDate.Before(s.today()) {
			return coded(ErrPeriodNotOver, "period %s ends on %s: it can be closed from the next day on",
				p.Name, p.EndDate.Format(time.DateOnly))
		}
		now := time.Now().UTC()
		p.Status, p.ClosedAt = PeriodClosed, &now
		if actor.UserID != "" {
			p.ClosedBy = &actor.UserID
		}
		if err := tx.Model(&Period{}).Where("id = ?", id).Updates(map[string]any{
			"status": PeriodClosed, "closed_at": now, "closed_by": p.ClosedBy}).Error; err != nil {
			return fmt.Errorf("close period %s: %w", id, err)
		}
		return audit.Record(tx, actor, "accounting.period.close", "accounting_period", p.ID, nil)
	})
	return p, err
}
