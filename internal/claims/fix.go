package claims

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lib/pq"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/codes"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/scrub"
	"github.com/clinicflow/rcm/internal/validate"
)

// LineFix corrects the coding of one claim line; nil fields are unchanged.
type LineFix struct {
	LineNumber    int     `json:"line_number"`
	ProcedureCode *string `json:"procedure_code,omitempty"`
	// Modifiers replaces the line's modifiers: nil (or absent) = unchanged, an
	// empty list removes them. The tag has no omitempty so an empty list
	// survives JSON (workflow payloads) as "remove all".
	Modifiers         []string `json:"modifiers"`
	Units             *int     `json:"units,omitempty"`
	DiagnosisPointers []int    `json:"diagnosis_pointers,omitempty"` // empty = unchanged
}

// Fix is a person's correction of a claim the payer or the scrubber refused.
type Fix struct {
	CoverageID string    `json:"coverage_id,omitempty"` // re-point the claim at another active coverage of the same case (e.g. a corrected member ID)
	Diagnoses  []string  `json:"diagnoses,omitempty"`   // replaces the claim's diagnosis list; empty = unchanged
	Lines      []LineFix `json:"lines,omitempty"`
	Note       string    `json:"note" maxlen:"2000"` // maxlen: the API's text limit (api.NoteMaxLen)
}

// fixable are the stages in which a claim may be corrected: created covers a
// corrected (frequency 7) claim before its first scrub.
var fixable = []string{StageCreated, StageNeedsFix, StageRejected, StageEligibilityHold, StageDenied}

// ApplyFix corrects a claim in stage created, needs_fix, rejected,
// eligibility_hold or denied (otherwise ErrWrongStage, joined with a validate.Errors on claim_id).
// It checks the whole fix and reports every problem at once as validate.Errors
// (fields such as coverage_id, diagnoses[2], lines[0].procedure_code, note),
// writing nothing when any is found:
//
//   - coverage_id must be an active coverage of the claim's case with the
//     claim's priority, covering the service date; the claim's payer follows
//     the coverage;
//   - diagnoses are ICD-10-CM codes, with or without the dot (stored with it,
//     see codes.FormatICD10), at most 12, no repeats; every line's pointers
//     must stay within the new list; the same codes in another form are no change;
//   - procedure codes are CPT or HCPCS Level II, at most 4 two-character
//     modifiers, units from 1 to 9999, 1 to 4 distinct pointers.
//
// A units change keeps the line charge: charges are the ledger's, and a claim
// line's charge is the captured charge's amount, so this is a coding fix only
// (a price change is a charge correction in billing and a new claim).
//
// The stage is unchanged: the claim workflow decides what follows (scrub and
// resubmit, or a replacement for a denied claim). The timeline gets one event
// (cause user, from and to the current stage) listing the changed field names,
// never their values, and the note with the claim's PHI masked. A fix that
// changes nothing writes nothing and returns the claim, so a retry is harmless.
func (s *Service) ApplyFix(ctx context.Context, claimID string, f Fix, actor audit.Actor) (Built, error) {
	var out Built
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockClaim(tx, claimID)
		if err != nil {
			return err
		}
		if !slices.Contains(fixable, c.Stage) {
			return wrongStage(claimID, c.Stage, fixable)
		}
		var lines []ClaimLine
		if err := tx.Where("claim_id = ?", c.ID).Order("line_number").Find(&lines).Error; err != nil {
			return err
		}
		p, err := planFix(tx, c, lines, f)
		if err != nil {
			return err
		}
		if len(p.changed) == 0 {
			out = Built{Claim: c, Lines: lines}
			return nil
		}
		if err := p.write(tx, c); err != nil {
			return err
		}
		b, err := load(tx, c.ID)
		if err != nil {
			return err
		}
		covs := []records.Coverage{b.coverage}
		if p.coverage != nil {
			var old records.Coverage
			if err := first(tx, &old, c.CoverageID); err != nil {
				return err
			}
			covs = append(covs, old)
		}
		red := newRedactor(phiValues(b.patient, covs, append(slices.Clone([]string(c.Diagnoses)), p.diagnoses...))...)
		detail := map[string]any{"changed": p.changed, "note": red.apply(strings.TrimSpace(f.Note))}
		if err := appendEvent(tx, c.ID, c.Stage, c.Stage, CauseUser, detail, actor); err != nil {
			return err
		}
		if err := audit.Record(tx, actor, "claim.fix", "claim", c.ID, map[string]any{"changed": p.changed}); err != nil {
			return err
		}
		out = Built{Claim: b.claim, Lines: b.lines}
		return nil
	})
	return out, err
}

// fixPlan is a checked fix: what to write and the changed field names.
type fixPlan struct {
	coverage  *records.Coverage // new coverage, nil = unchanged
	diagnoses []string          // new list, nil = unchanged
	lines     []ClaimLine       // changed lines only
	changed   []string
}

// planFix checks f against the claim and its lines and returns what to write,
// or every problem found as validate.Errors.
func planFix(tx *gorm.DB, c Claim, lines []ClaimLine, f Fix) (fixPlan, error) {
	var (
		p    fixPlan
		errs validate.Errors
	)
	errs.Required("note", f.Note)

	if id := strings.TrimSpace(f.CoverageID); id != "" && id != c.CoverageID {
		cov, problem, err := checkCoverage(tx, c, id)
		if err != nil {
			return p, err
		}
		if problem != "" {
			errs.Add("coverage_id", "%s", problem)
		} else {
			p.coverage = &cov
			p.changed = append(p.changed, "coverage_id")
		}
	}

	dx := []string(c.Diagnoses)
	if len(f.Diagnoses) > 0 {
		if len(f.Diagnoses) > MaxDiagnoses {
			errs.Add("diagnoses", "a claim holds at most %d diagnoses", MaxDiagnoses)
		}
		nd := make([]string, len(f.Diagnoses))
		seen := map[string]bool{}
		for i, d := range f.Diagnoses {
			key := codes.NormalizeICD10(d)
			field := fmt.Sprintf("diagnoses[%d]", i)
			switch {
			case !codes.ValidICD10CM(d):
				errs.Add(field, "is not an ICD-10-CM code (e.g. E11.9)")
			case seen[key]:
				errs.Add(field, "repeats an earlier diagnosis")
			}
			seen[key] = true
			nd[i] = codes.FormatICD10(d)
		}
		// A claim built before diagnoses were stored dotted holds "E119":
		// the same list written "E11.9" is not a change.
		if !slices.EqualFunc(nd, dx, codes.SameICD10) {
			dx = nd
			p.diagnoses = nd
			p.changed = append(p.changed, "diagnoses")
		}
	}

	index := map[int]int{}
	for i, l := range lines {
		index[l.LineNumber] = i
	}
	fixed := slices.Clone(lines)
	lineChanges := make([][]string, len(lines))
	pointersGiven := make([]bool, len(lines))
	for i, lf := range f.Lines {
		pre := fmt.Sprintf("lines[%d]", i)
		idx, ok := index[lf.LineNumber]
		if !ok {
			errs.Add(pre+".line_number", "the claim has no line %d", lf.LineNumber)
			continue
		}
		if lineChanges[idx] != nil || pointersGiven[idx] {
			errs.Add(pre+".line_number", "line %d is fixed twice", lf.LineNumber)
			continue
		}
		l := &fixed[idx]
		var ch []string
		if lf.ProcedureCode != nil {
			pc := codes.NormalizeProcedure(*lf.ProcedureCode)
			if !codes.ValidProcedureCode(pc) {
				errs.Add(pre+".procedure_code", "is not a CPT (5 digits, or 4 digits + F/T) or HCPCS Level II (letter + 4 digits) code")
			} else if pc != l.ProcedureCode {
				l.ProcedureCode = pc
				ch = append(ch, "procedure_code")
			}
		}
		if lf.Modifiers != nil {
			if len(lf.Modifiers) > scrub.MaxModifiers {
				errs.Add(pre+".modifiers", "a line has at most %d modifiers", scrub.MaxModifiers)
			}
			mods := pq.StringArray{}
			seen := map[string]bool{}
			for j, m := range lf.Modifiers {
				m = codes.NormalizeProcedure(m)
				field := fmt.Sprintf("%s.modifiers[%d]", pre, j)
				switch {
				case !codes.ValidModifier(m):
					errs.Add(field, "is not a two-character modifier")
				case seen[m]:
					errs.Add(field, "repeats an earlier modifier")
				}
				seen[m] = true
				mods = append(mods, m)
			}
			if !slices.Equal(mods, l.Modifiers) {
				l.Modifiers = mods
				ch = append(ch, "modifiers")
			}
		}
		if lf.Units != nil {
			if u := *lf.Units; u < 1 || u > billing.MaxUnits {
				errs.Add(pre+".units", "must be from 1 to %d", billing.MaxUnits)
			} else if u != l.Units {
				l.Units = u
				ch = append(ch, "units")
			}
		}
		if len(lf.DiagnosisPointers) > 0 {
			pointersGiven[idx] = true
			if len(lf.DiagnosisPointers) > MaxPointers {
				errs.Add(pre+".diagnosis_pointers", "a line has at most %d pointers", MaxPointers)
			}
			ptrs := pq.Int64Array{}
			seen := map[int]bool{}
			for j, ptr := range lf.DiagnosisPointers {
				field := fmt.Sprintf("%s.diagnosis_pointers[%d]", pre, j)
				switch {
				case ptr < 1 || ptr > len(dx):
					errs.Add(field, "%d does not point at one of the claim's %d diagnoses", ptr, len(dx))
				case seen[ptr]:
					errs.Add(field, "%d is repeated", ptr)
				}
				seen[ptr] = true
				ptrs = append(ptrs, int64(ptr))
			}
			if !slices.Equal(ptrs, l.DiagnosisPointers) {
				l.DiagnosisPointers = ptrs
				ch = append(ch, "diagnosis_pointers")
			}
		}
		if ch == nil {
			ch = []string{}
		}
		lineChanges[idx] = ch
	}
	for i, l := range fixed {
		if !pointersGiven[i] {
			for _, ptr := range l.DiagnosisPointers {
				if int(ptr) > len(dx) {
					errs.Add("diagnoses", "line %d points at diagnosis %d but the list has %d: fix the line's diagnosis_pointers too",
						l.LineNumber, ptr, len(dx))
					break
				}
			}
		}
		if len(lineChanges[i]) > 0 {
			p.lines = append(p.lines, l)
			for _, name := range lineChanges[i] {
				p.changed = append(p.changed, fmt.Sprintf("line %d %s", l.LineNumber, name))
			}
		}
	}
	if len(errs) > 0 {
		return fixPlan{}, errs
	}
	return p, nil
}

// checkCoverage says why coverageID cannot be billed by claim c ("" when it can).
func checkCoverage(tx *gorm.DB, c Claim, coverageID string) (records.Coverage, string, error) {
	var cov records.Coverage
	if !validID(coverageID) {
		return cov, "is not a coverage id", nil
	}
	res := tx.Where("id = ? AND case_id = ?", coverageID, c.CaseID).Limit(1).Find(&cov)
	if res.Error != nil {
		return cov, "", res.Error
	}
	if res.RowsAffected == 0 {
		return cov, "is not a coverage of the claim's case", nil
	}
	var enc billing.Encounter
	if err := first(tx, &enc, c.EncounterID); err != nil {
		return cov, "", err
	}
	day := enc.ServiceDate
	switch {
	case cov.Status != records.CoverageActive:
		return cov, "the coverage is not active", nil
	case cov.Priority != c.Priority:
		return cov, fmt.Sprintf("is the case's %s coverage; the claim bills the %s coverage", cov.Priority, c.Priority), nil
	case day.Before(cov.EffectiveFrom) || (cov.EffectiveTo != nil && day.After(*cov.EffectiveTo)):
		return cov, "the coverage is not effective on the service date", nil
	}
	if c.Frequency == "1" {
		var n int64
		if err := tx.Model(&Claim{}).Where("encounter_id = ? AND coverage_id = ? AND frequency = '1' AND id <> ?",
			c.EncounterID, coverageID, c.ID).Count(&n).Error; err != nil {
			return cov, "", err
		}
		if n > 0 {
			return cov, "the encounter already has a claim for this coverage", nil
		}
	}
	return cov, "", nil
}

// write stores a checked fix.
func (p fixPlan) write(tx *gorm.DB, c Claim) error {
	upd := map[string]any{}
	if p.coverage != nil {
		upd["coverage_id"], upd["payer_id"] = p.coverage.ID, p.coverage.PayerID
	}
	if p.diagnoses != nil {
		upd["diagnoses"] = pq.StringArray(p.diagnoses)
	}
	if len(upd) > 0 {
		if err := tx.Model(&Claim{}).Where("id = ?", c.ID).Updates(upd).Error; err != nil {
			return fmt.Errorf("fix claim %s: %w", c.ID, err)
		}
	}
	for _, l := range p.lines {
		mods := l.Modifiers
		if mods == nil {
			mods = pq.StringArray{}
		}
		if err := tx.Model(&ClaimLine{}).Where("id = ?", l.ID).Updates(map[string]any{
			"procedure_code": l.ProcedureCode, "modifiers": mods, "units": l.Units,
			"diagnosis_pointers": l.DiagnosisPointers}).Error; err != nil {
			return fmt.Errorf("fix claim %s line %d: %w", c.ID, l.LineNumber, err)
		}
	}
	return nil
}
