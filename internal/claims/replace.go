package claims

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/validate"
)

// replaceable are the stages of a claim the payer adjudicated.
var replaceable = []string{StageDenied, StagePaid, StagePartiallyPaid}

// Replacement creates the corrected (frequency 7) claim of a claim the payer
// adjudicated (stage denied, paid or partially_paid; otherwise ErrWrongStage
// joined with a validate.Errors on claim_id). The replacement points at the
// original (original_claim_id) and copies its case, encounter, coverage,
// payer, priority, diagnoses, secondary-claim facts (prior claim, COB) and
// lines (new ids, same charges); it gets its own patient control number and
// the original's payer claim number, which batch837 sends as REF*F8 (the
// 837P of a frequency 7 claim must carry the payer claim number it replaces).
// The original moves to stage replaced. Correct the original first
// (ApplyFix) when the replacement must carry a coding change.
//
// It is idempotent: while a replacement of the claim is open (not voided or
// replaced) it is returned and nothing is written. An original without a payer
// claim number is refused with a validate.Errors on claim_id.
func (s *Service) Replacement(ctx context.Context, originalClaimID string, actor audit.Actor) (Built, error) {
	var out Built
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		orig, err := lockClaim(tx, originalClaimID)
		if err != nil {
			return err
		}
		var open Claim
		res := tx.Where("original_claim_id = ? AND frequency = '7' AND stage NOT IN ?", orig.ID,
			[]string{StageVoided, StageReplaced}).Order("created_at DESC").Limit(1).Find(&open)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			out.Claim = open
			return tx.Where("claim_id = ?", open.ID).Order("line_number").Find(&out.Lines).Error
		}
		if !slices.Contains(replaceable, orig.Stage) {
			return wrongStage(orig.ID, orig.Stage, replaceable)
		}
		if strings.TrimSpace(orig.PayerClaimNumber) == "" {
			return validate.Errors{{Field: "claim_id", Message: "the payer claim number of the claim is unknown; a replacement must name it (REF*F8)"}}
		}
		var lines []ClaimLine
		if err := tx.Where("claim_id = ?", orig.ID).Order("line_number").Find(&lines).Error; err != nil {
			return err
		}
		id := uuid.NewString()
		now := time.Now().UTC()
		origID := orig.ID
		repl := orig
		repl.ID, repl.Frequency, repl.OriginalClaimID = id, "7", &origID
		repl.PatientControlNumber, repl.Stage, repl.StageChangedAt, repl.CreatedAt = ControlNumber(id), StageCreated, now, now
		repl.Diagnoses = slices.Clone(orig.Diagnoses)
		// Money and appeals start afresh on the new claim.
		zero := decimal.Zero
		repl.Paid, repl.PatientResponsibility, repl.Contractual, repl.WrittenOff, repl.ToPatient = zero, zero, zero, zero, zero
		repl.AppealLevel = 0
		copied := make([]ClaimLine, len(lines))
		for i, l := range lines {
			l.ID, l.ClaimID = uuid.NewString(), id
			l.Modifiers, l.DiagnosisPointers = slices.Clone(l.Modifiers), slices.Clone(l.DiagnosisPointers)
			copied[i] = l
		}
		if err := tx.Create(&repl).Error; err != nil {
			return fmt.Errorf("create replacement of claim %s: %w", orig.ID, err)
		}
		if len(copied) > 0 {
			if err := tx.Create(&copied).Error; err != nil {
				return fmt.Errorf("create replacement lines of claim %s: %w", orig.ID, err)
			}
		}
		cause := causeOf(actor)
		if err := appendEvent(tx, id, "", StageCreated, cause, map[string]any{"original_claim_id": orig.ID,
			"frequency": "7", "lines": len(copied), "total_charge": repl.TotalCharge.StringFixed(2)}, actor); err != nil {
			return err
		}
		if err := move(tx, &orig, StageReplaced, cause, map[string]any{"replacement_claim_id": id}, actor); err != nil {
			return err
		}
		if err := audit.Record(tx, actor, "claim.replace", "claim", orig.ID, map[string]any{
			"replacement_claim_id": id, "total_charge": repl.TotalCharge.StringFixed(2)}); err != nil {
			return err
		}
		out = Built{Claim: repl, Lines: copied}
		return nil
	})
	return out, err
}
