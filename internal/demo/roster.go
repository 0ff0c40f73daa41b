package demo

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/workflows/contract"
)

// MaxRoster bounds the cases one clinic day sees.
const MaxRoster = 500

// Roster is the clinic day's roster: the open cases, oldest first, each with a
// location and provider (in turn) and the front desk and clinician users who
// act for it (in turn among the active users of those roles). It reads only.
func Roster(ctx context.Context, g *gorm.DB) ([]contract.ClinicSlot, error) {
	g = g.WithContext(ctx)
	var open []cases.Case
	if err := g.Where("status = ?", cases.StatusOpen).Order("opened_at, id").Limit(MaxRoster).Find(&open).Error; err != nil {
		return nil, fmt.Errorf("roster: open cases: %w", err)
	}
	var locs, provs, desks, clinicians []string
	for _, q := range []struct {
		dst   *[]string
		table string
		where string
		args  []any
		order string
	}{
		{&locs, "locations", "true", nil, "name, id"},
		{&provs, "providers", "true", nil, "npi, id"},
		{&desks, "users", "role = ? AND NOT disabled", []any{auth.RoleFrontDesk}, "email"},
		{&clinicians, "users", "role = ? AND NOT disabled", []any{auth.RoleProvider}, "email"},
	} {
		if err := g.Table(q.table).Where(q.where, q.args...).Order(q.order).Pluck("id", q.dst).Error; err != nil {
			return nil, fmt.Errorf("roster: %s: %w", q.table, err)
		}
	}
	if len(open) > 0 && (len(locs) == 0 || len(provs) == 0) {
		return nil, fmt.Errorf("roster: the clinic needs a location and a provider before it can see patients")
	}
	pick := func(ids []string, i int) string {
		if len(ids) == 0 {
			return ""
		}
		return ids[i%len(ids)]
	}
	out := make([]contract.ClinicSlot, len(open))
	for i, cs := range open {
		loc := i % len(locs)
		out[i] = contract.ClinicSlot{CaseID: cs.ID, PatientID: cs.PatientID, Kind: cs.Kind,
			LocationID: locs[loc], ProviderID: pick(provs, i), DeskUserID: pick(desks, loc), ClinicianUserID: pick(clinicians, loc)}
	}
	return out, nil
}
