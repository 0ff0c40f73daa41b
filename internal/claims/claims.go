// Package claims assembles insurance claims from a case's completed charges and
// keeps each claim's stage and timeline. A claim's process (scrub, submit, wait,
// post, appeal) belongs to its workflow; this package is the record it writes.
package claims

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/codes"
	"github.com/clinicflow/rcm/internal/metrics"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/validate"
)

// Claim stages. A stage change is recorded in claim_events with its cause.
const (
	StageCreated         = "created"
	StageScrubbing       = "scrubbing"
	StageNeedsFix        = "needs_fix"
	StageEligibilityHold = "eligibility_hold"
	StageSubmitted       = "submitted"
	StageAccepted        = "accepted"
	StageRejected        = "rejected"
	StagePaid            = "paid"
	StagePartiallyPaid   = "partially_paid"
	StageDenied          = "denied"
	StageAppealed        = "appealed"
	StageWrittenOff      = "written_off"
	StageToPatient       = "transferred_to_patient"
	StageVoided          = "voided"
	StageReplaced        = "replaced" // a corrected claim (frequency 7) took its place
)

// Stages lists every claim stage in lifecycle order.
var Stages = []string{StageCreated, StageScrubbing, StageNeedsFix, StageEligibilityHold, StageSubmitted,
	StageAccepted, StageRejected, StagePaid, StagePartiallyPaid, StageDenied, StageAppealed, StageWrittenOff,
	StageToPatient, StageVoided, StageReplaced}

// Terminal stages: the claim needs nothing more, so it is never "stuck".
var Terminal = []string{StagePaid, StageWrittenOff, StageToPatient, StageVoided, StageReplaced}

// Causes of a stage change.
const (
	CauseUser   = "user"
	CauseSystem = "system"
	CauseScrub  = "scrub"
	Cause999    = "999"
	Cause277CA  = "277ca"
	Cause835    = "835"
	CauseTimer  = "timer"
	// CauseEligibility is a 270/271 answer; Cause277 a 276/277 status inquiry.
	CauseEligibility = "eligibility"
	Cause277         = "277"
)

// Limits of a professional claim (837P).
const (
	MaxLines     = 50
	MaxDiagnoses = 12
	MaxPointers  = 4
)

// ErrNotFound is returned for an unknown claim, case or encounter.
var ErrNotFound = apperr.New(apperr.NotFound, "not found")

// ErrNotReady is returned when the encounter's charge capture is not complete.
var ErrNotReady = apperr.New(apperr.Conflict, "charge capture for the encounter is not complete")

// Service reads and writes claims.
type Service struct {
	DB *gorm.DB
}

// BuildInput names the encounter to bill and the coverage priority to bill it to.
type BuildInput struct {
	CaseID      string      `json:"case_id"`
	EncounterID string      `json:"encounter_id"`
	Priority    string      `json:"priority"` // default primary
	Actor       audit.Actor `json:"actor"`
}

// Built is a claim with its lines.
type Built struct {
	Claim Claim       `json:"claim"`
	Lines []ClaimLine `json:"lines"`
}

// Build groups the encounter's active charges into an original (frequency 1) claim
// for the case's active coverage of the given priority. It is idempotent: building
// again returns the claim already built.
func (s *Service) Build(ctx context.Context, in BuildInput) (Built, error) {
	if in.Priority == "" {
		in.Priority = "primary"
	}
	var out Built
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cs cases.Case
		if res := tx.Raw(`SELECT * FROM cases WHERE id = ? FOR UPDATE`, in.CaseID).Scan(&cs); res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return fmt.Errorf("case %s: %w", in.CaseID, ErrNotFound)
		}
		if cs.Kind.BillsPatient() {
			return validate.Errors{{Field: "case_id", Message: "a private-pay case is billed to the patient, not to a payer"}}
		}
		var enc billing.Encounter
		if res := tx.Where("id = ? AND case_id = ?", in.EncounterID, in.CaseID).Limit(1).Find(&enc); res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return fmt.Errorf("encounter %s: %w", in.EncounterID, ErrNotFound)
		}
		if enc.ChargesCompletedAt == nil {
			return ErrNotReady
		}
		var cov records.Coverage
		res := tx.Where(`case_id = ? AND priority = ? AND status = 'active' AND effective_from <= ?
			AND (effective_to IS NULL OR effective_to >= ?)`, in.CaseID, in.Priority, enc.ServiceDate, enc.ServiceDate).
			Limit(1).Find(&cov)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return validate.Errors{{Field: "priority", Message: fmt.Sprintf(
				"the case has no active %s coverage on the service date %s", in.Priority, enc.ServiceDate.Format(time.DateOnly))}}
		}
		var existing Claim
		if res := tx.Where("encounter_id = ? AND coverage_id = ? AND frequency = '1'", enc.ID, cov.ID).Limit(1).Find(&existing); res.Error != nil {
			return res.Error
		} else if res.RowsAffected > 0 {
			out.Claim = existing
			return tx.Where("claim_id = ?", existing.ID).Order("line_number").Find(&out.Lines).Error
		}
		var charges []billing.Charge
		if err := tx.Where("encounter_id = ? AND status = ?", enc.ID, billing.ChargeActive).
			Order("created_at, id").Find(&charges).Error; err != nil {
			return err
		}
		claim, lines, err := assemble(cs, enc, cov, charges)
		if err != nil {
			return err
		}
		if err := tx.Create(&claim).Error; err != nil {
			return fmt.Errorf("create claim: %w", err)
		}
		if err := tx.Create(&lines).Error; err != nil {
			return fmt.Errorf("create claim lines: %w", err)
		}
		if err := appendEvent(tx, claim.ID, "", StageCreated, CauseSystem, map[string]any{
			"lines": len(lines), "total_charge": claim.TotalCharge.StringFixed(2)}, in.Actor); err != nil {
			return err
		}
		out = Built{Claim: claim, Lines: lines}
		return audit.Record(tx, in.Actor, "claim.create", "claim", claim.ID, map[string]any{
			"case_id": cs.ID, "encounter_id": enc.ID, "priority": cov.Priority, "total_charge": claim.TotalCharge.StringFixed(2)})
	})
	return out, err
}

// assemble maps charges to claim lines. Each charge points at its own diagnoses;
// the claim carries one diagnosis list (at most 12, first-seen order) and each
// line's pointers are renumbered into it. Codes are matched without their dot,
// since charges captured before diagnoses were stored dotted hold "E119" where
// newer ones hold "E11.9", and the claim keeps the dotted form (the 837P drops it).
func assemble(cs cases.Case, enc billing.Encounter, cov records.Coverage, charges []billing.Charge) (Claim, []ClaimLine, error) {
	var errs validate.Errors
	if len(charges) == 0 {
		errs.Add("encounter_id", "the encounter has no active charges to bill")
	}
	if len(charges) > MaxLines {
		errs.Add("encounter_id", "the encounter has %d charges; a claim holds at most %d lines", len(charges), MaxLines)
	}
	var diagnoses []string
	index := map[string]int{}
	claimID := uuid.NewString()
	lines := make([]ClaimLine, 0, len(charges))
	total := decimal.Zero
	for i, ch := range charges {
		var ptrs []int64
		for _, p := range ch.DiagnosisPointers {
			if p < 1 || int(p) > len(ch.Diagnoses) {
				continue // validated at capture; ignore defensively
			}
			d := ch.Diagnoses[p-1]
			key := codes.NormalizeICD10(d)
			n, ok := index[key]
			if !ok {
				diagnoses = append(diagnoses, codes.FormatICD10(d))
				n = len(diagnoses)
				index[key] = n
			}
			if len(ptrs) < MaxPointers {
				ptrs = append(ptrs, int64(n))
			}
		}
		lines = append(lines, ClaimLine{ID: uuid.NewString(), ClaimID: claimID, ChargeID: ch.ID,
			LineNumber: i + 1, ProcedureCode: ch.ProcedureCode, Modifiers: ch.Modifiers, Units: ch.Units,
			Charge: ch.Amount, DiagnosisPointers: ptrs, ServiceDate: enc.ServiceDate})
		total = total.Add(ch.Amount)
	}
	if len(diagnoses) > MaxDiagnoses {
		errs.Add("diagnoses", "the charges point at %d diagnoses; a claim holds at most %d: split the encounter's charges", len(diagnoses), MaxDiagnoses)
	}
	if len(errs) > 0 {
		return Claim{}, nil, errs
	}
	now := time.Now().UTC()
	claim := Claim{ID: claimID, CaseID: cs.ID, EncounterID: enc.ID, CoverageID: cov.ID, PayerID: cov.PayerID,
		Priority: cov.Priority, Frequency: "1", PatientControlNumber: ControlNumber(claimID), Stage: StageCreated,
		Diagnoses: diagnoses, TotalCharge: total, StageChangedAt: now, CreatedAt: now}
	return claim, lines, nil
}

// ControlNumber is the claim's patient control number (CLM01): 16 characters
// derived from the claim id, opaque and free of PHI.
func ControlNumber(claimID string) string {
	u, err := uuid.Parse(claimID)
	if err != nil {
		return ""
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(u[:10])
}

// Transition moves a claim to a stage and appends the event; moving to the stage it
// is already in does nothing, so a retried activity records one event.
func (s *Service) Transition(ctx context.Context, claimID, to, cause string, detail map[string]any, actor audit.Actor) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var from string
		res := tx.Raw(`SELECT stage FROM claims WHERE id = ? FOR UPDATE`, claimID).Scan(&from)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("claim %s: %w", claimID, ErrNotFound)
		}
		if from == to {
			return nil
		}
		if err := tx.Model(&Claim{}).Where("id = ?", claimID).
			Updates(map[string]any{"stage": to, "stage_changed_at": time.Now().UTC()}).Error; err != nil {
			return err
		}
		return appendEvent(tx, claimID, from, to, cause, detail, actor)
	})
}

func appendEvent(tx *gorm.DB, claimID, from, to, cause string, detail map[string]any, actor audit.Actor) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	ev := ClaimEvent{ClaimID: claimID, At: time.Now().UTC(), FromStage: from, ToStage: to, Cause: cause, Detail: b}
	if actor.UserID != "" {
		ev.ActorID = &actor.UserID
	}
	if err := tx.Create(&ev).Error; err != nil {
		return fmt.Errorf("claim %s event: %w", claimID, err)
	}
	metrics.ClaimTransition(to)
	return nil
}

// Timeline returns a claim's events, oldest first.
func (s *Service) Timeline(ctx context.Context, claimID string) ([]ClaimEvent, error) {
	var evs []ClaimEvent
	err := s.DB.WithContext(ctx).Where("claim_id = ?", claimID).Order("at, id").Find(&evs).Error
	return evs, err
}

// Stuck is a claim that has not moved for a while.
type Stuck struct {
	ClaimID        string    `json:"claim_id"`
	CaseID         string    `json:"case_id"`
	PayerID        string    `json:"payer_id"`
	Stage          string    `json:"stage"`
	StageChangedAt time.Time `json:"stage_changed_at"`
	DaysInStage    int       `json:"days_in_stage"`
	LastCause      string    `json:"last_cause"`
}

// StuckSince lists claims outside the terminal stages whose stage has not changed
// for at least minAge as of now, longest-waiting first.
func (s *Service) StuckSince(ctx context.Context, now time.Time, minAge time.Duration) ([]Stuck, error) {
	var rows []Stuck
	scope, scopeArgs := access.FromContext(ctx).Case("c.case_id")
	err := s.DB.WithContext(ctx).Raw(`SELECT c.id AS claim_id, c.case_id, c.payer_id, c.stage, c.stage_changed_at,
			coalesce((SELECT e.cause FROM claim_events e WHERE e.claim_id = c.id ORDER BY e.at DESC, e.id DESC LIMIT 1), '') AS last_cause
		FROM claims c
		WHERE c.stage NOT IN ? AND c.stage_changed_at <= ? AND `+scope+`
		ORDER BY c.stage_changed_at, c.id`, append([]any{Terminal, now.Add(-minAge)}, scopeArgs...)...).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("stuck claims: %w", err)
	}
	for i := range rows {
		rows[i].DaysInStage = int(now.Sub(rows[i].StageChangedAt).Hours() / 24)
	}
	return rows, nil
}
