package legal

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/validate"
)

// States are the US state codes (and DC) an accident can happen in; each has a
// row in the statute-of-limitations table.
var States = []string{"AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL",
	"IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM",
	"NV", "NY", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VT", "WA", "WI", "WV", "WY"}

// ValidState reports whether code is a US state code (or DC).
func ValidState(code string) bool {
	_, ok := slices.BinarySearch(States, code)
	return ok
}

// SOLYears is one row of the statute-of-limitations table (sol_years): the
// years a personal-injury claim may be filed after the injury in a state. The
// defaults (migration 00014) are the general statutes; the practice edits them.
type SOLYears struct {
	State     string    `gorm:"primaryKey" json:"state"`
	Years     int       `json:"years"`
	UpdatedAt time.Time `json:"updated_at"`
}

// TableName is the table of SOLYears.
func (SOLYears) TableName() string { return "sol_years" }

// SOLDate is the statute-of-limitations date of an injury on injury in a state
// whose statute runs years.
func SOLDate(injury time.Time, years int) time.Time { return injury.AddDate(years, 0, 0) }

// ListSOLYears is the whole table, by state.
func (s *Service) ListSOLYears(ctx context.Context) ([]SOLYears, error) {
	out := []SOLYears{}
	if err := s.DB.WithContext(ctx).Order("state").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list sol years: %w", err)
	}
	return out, nil
}

// SetSOLYears changes a state's years and recomputes the SOL date of every
// case in that state whose date was not overridden, in one transaction. It
// returns the row and how many cases moved.
func (s *Service) SetSOLYears(ctx context.Context, state string, years int, actor audit.Actor) (SOLYears, int64, error) {
	var errs validate.Errors
	errs.Check(ValidState(state), "state", "must be a US state code such as IL")
	errs.Check(years >= 1 && years <= 10, "years", "must be from 1 to 10")
	if len(errs) > 0 {
		return SOLYears{}, 0, errs
	}
	row := SOLYears{State: state, Years: years, UpdatedAt: s.now()}
	var moved int64
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var was []int
		if err := tx.Raw(`SELECT years FROM sol_years WHERE state = ? FOR UPDATE`, state).Scan(&was).Error; err != nil {
			return fmt.Errorf("read sol years of %s: %w", state, err)
		}
		res := tx.Model(&SOLYears{}).Where("state = ?", state).Updates(map[string]any{"years": years, "updated_at": row.UpdatedAt})
		if res.Error != nil {
			return fmt.Errorf("set sol years of %s: %w", state, res.Error)
		}
		if res.RowsAffected == 0 {
			return apperr.Errorf(apperr.NotFound, "no statute-of-limitations row for %s", state)
		}
		res = tx.Exec(`UPDATE legal_cases SET sol_date = (date_of_injury + make_interval(years => ?))::date, updated_at = now()
			WHERE accident_state = ? AND NOT sol_overridden`, years, state)
		if res.Error != nil {
			return fmt.Errorf("recompute sol dates in %s: %w", state, res.Error)
		}
		moved = res.RowsAffected
		return audit.Record(tx, actor, "sol_years.update", "sol_years", state, audit.Merge(
			audit.Diff(map[string]any{"years": was[0]}, map[string]any{"years": years}),
			map[string]any{"years": years, "cases": moved}))
	})
	return row, moved, err
}

// solYearsOf reads a state's years within tx.
func solYearsOf(tx *gorm.DB, state string) (int, error) {
	var years []int
	if err := tx.Model(&SOLYears{}).Where("state = ?", state).Pluck("years", &years).Error; err != nil {
		return 0, fmt.Errorf("read sol years of %s: %w", state, err)
	}
	if len(years) == 0 {
		return 0, validate.Errors{{Field: "accident_state", Message: "has no statute-of-limitations row"}}
	}
	return years[0], nil
}

// DaysUntil is the number of calendar days from now's date to date (negative
// when date has passed).
func DaysUntil(now, date time.Time) int {
	return int(today(date).Sub(today(now)).Hours() / 24)
}
