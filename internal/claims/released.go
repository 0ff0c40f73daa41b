package claims

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/records"
)

// ReleasedInput names the charges of one visit a held legal case releases to
// its auto insurer or workers' comp carrier, and the coverage to bill.
type ReleasedInput struct {
	CaseID      string
	EncounterID string
	CoverageID  string
	ChargeIDs   []string
	Actor       audit.Actor
}

// BuildReleased builds an original claim for released charges inside tx, the
// release's own transaction, so the claim exists exactly when the held A/R
// moved to insurance A/R. A visit has one original claim per coverage: one
// already built is a conflict the caller reports.
func BuildReleased(tx *gorm.DB, in ReleasedInput) (Built, error) {
	var cs cases.Case
	if err := first(tx, &cs, in.CaseID); err != nil {
		return Built{}, err
	}
	var enc billing.Encounter
	if err := first(tx, &enc, in.EncounterID); err != nil {
		return Built{}, err
	}
	if enc.ChargesCompletedAt == nil {
		return Built{}, apperr.Errorf(apperr.Conflict, "charge capture for the visit of %s is not complete: "+
			"complete it before its charges are released", enc.ServiceDate.Format(time.DateOnly))
	}
	var cov records.Coverage
	if err := first(tx, &cov, in.CoverageID); err != nil {
		return Built{}, err
	}
	var n int64
	if err := tx.Model(&Claim{}).Where("encounter_id = ? AND coverage_id = ? AND frequency = '1'", enc.ID, cov.ID).
		Count(&n).Error; err != nil {
		return Built{}, err
	}
	if n > 0 {
		return Built{}, apperr.Errorf(apperr.Conflict, "the visit of %s already has a claim to this payer",
			enc.ServiceDate.Format(time.DateOnly))
	}
	var charges []billing.Charge
	if err := tx.Where("id IN ? AND encounter_id = ? AND status = ?", in.ChargeIDs, enc.ID, billing.ChargeActive).
		Order("created_at, id").Find(&charges).Error; err != nil {
		return Built{}, err
	}
	claim, lines, err := assemble(cs, enc, cov, charges)
	if err != nil {
		return Built{}, err
	}
	if err := tx.Create(&claim).Error; err != nil {
		return Built{}, fmt.Errorf("create claim: %w", err)
	}
	if err := tx.Create(&lines).Error; err != nil {
		return Built{}, fmt.Errorf("create claim lines: %w", err)
	}
	if err := appendEvent(tx, claim.ID, "", StageCreated, CauseSystem, map[string]any{
		"lines": len(lines), "total_charge": claim.TotalCharge.StringFixed(2), "released_from_hold": true}, in.Actor); err != nil {
		return Built{}, err
	}
	return Built{Claim: claim, Lines: lines}, audit.Record(tx, in.Actor, "claim.create", "claim", claim.ID, map[string]any{
		"case_id": cs.ID, "encounter_id": enc.ID, "priority": cov.Priority, "total_charge": claim.TotalCharge.StringFixed(2),
		"released_from_hold": true})
}
