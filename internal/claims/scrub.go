package claims

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/scrub"
)

// Scrub runs the scrub rules over a stored claim as of now and returns every
// failure (none for a clean claim). Duplicates are other live claims to the same
// payer for the same patient, service date and procedure code.
func (s *Service) Scrub(ctx context.Context, claimID string, now time.Time, rules []scrub.Rule) ([]scrub.Failure, error) {
	if rules == nil {
		rules = scrub.DefaultRules()
	}
	tx := s.DB.WithContext(ctx)
	b, err := load(tx, claimID)
	if err != nil {
		return nil, err
	}
	return scrub.Run(scrubClaim(b), scrub.Env{Now: now, Duplicates: duplicates{tx: tx, b: b}}, rules)
}

// scrubbable are the stages a scrub may move a claim out of: the payer does not
// have it (rejected: it is scrubbed again after its fix).
var scrubbable = []string{StageCreated, StageScrubbing, StageNeedsFix, StageEligibilityHold, StageRejected}

// Submitted reports whether the claim's submission submissionID is recorded.
// The claim workflow names each step before a submission (scrub, eligibility)
// by the submission that follows it, so a step that finds its submission
// recorded is a run again after a crash (the workflow task that ran the step
// and the submission was not completed): it passed then, and the claim is
// with the payer.
func (s *Service) Submitted(ctx context.Context, claimID, submissionID string) (bool, error) {
	if submissionID == "" {
		return false, nil
	}
	row, found, err := findSubmission(s.DB.WithContext(ctx), submissionID, false)
	return found && row.ClaimID == claimID, err
}

// RecordScrub records a scrub's outcome (to: scrubbing for a pass, needs_fix
// for failures, cause scrub) on the claim before its submission submissionID.
// It reports false and records nothing when the step already passed: the
// submission is recorded (Submitted), or the claim is with the payer or past it
// (submitted, accepted, paid, denied, ...). So a scrub run again after a crash
// never moves a claim back from submitted to scrubbing, where a 277CA would
// take it for a late file (make chaos left a rejected claim unannounced so),
// nor a claim the payer rejected meanwhile, which waits for its fix.
// submissionID "" (runs begun before the workflow named it) guards by stage
// only. Moving to the stage the claim is in records nothing either.
func (s *Service) RecordScrub(ctx context.Context, claimID, submissionID, to string, detail map[string]any, actor audit.Actor) (bool, error) {
	recorded := false
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The claim's lock orders this after a submission being recorded
		// (PrepareSubmission locks the claim first).
		c, err := lockClaim(tx, claimID)
		if err != nil {
			return err
		}
		if submissionID != "" {
			row, found, err := findSubmission(tx, submissionID, false)
			if err != nil {
				return err
			}
			if found && row.ClaimID == claimID {
				return nil
			}
		}
		if !slices.Contains(scrubbable, c.Stage) {
			return nil
		}
		recorded = true
		if c.Stage == to {
			return nil
		}
		return move(tx, &c, to, CauseScrub, detail, actor)
	})
	return recorded, err
}

// ScrubHistory scrubs a stored claim again, as of the moment it was created,
// once with each rule set in sets, and returns the failures of each (nil for a
// set it passes) and that moment. Only claims created before it count as its
// duplicates, so a claim is judged on what was known when it was billed. It
// writes nothing: what-if runs (internal/scrubrules) use it.
func (s *Service) ScrubHistory(ctx context.Context, claimID string, sets ...[]scrub.Rule) ([][]scrub.Failure, time.Time, error) {
	tx := s.DB.WithContext(ctx)
	b, err := load(tx, claimID)
	if err != nil {
		return nil, time.Time{}, err
	}
	asOf := b.claim.CreatedAt
	c := scrubClaim(b)
	out := make([][]scrub.Failure, len(sets))
	for i, rules := range sets {
		if out[i], err = scrub.Run(c, scrub.Env{Now: asOf, Duplicates: duplicates{tx: tx, b: b, before: &asOf}}, rules); err != nil {
			return nil, asOf, err
		}
	}
	return out, asOf, nil
}

func scrubClaim(b bundle) scrub.Claim {
	cl, cov, pat := b.claim, b.coverage, b.patient
	c := scrub.Claim{
		ID: cl.ID, PatientControlNumber: cl.PatientControlNumber, Frequency: cl.Frequency,
		OriginalPayerClaimNumber: cl.PayerClaimNumber,
		Payer:                    scrub.Payer{Name: b.payer.Name, PayerID: b.payer.PayerID, TimelyFilingDays: b.payer.TimelyFilingDays},
		BillingProvider: scrub.BillingProvider{Name: b.location.Name, TaxID: b.location.TaxID, Taxonomy: b.location.Taxonomy,
			Address1: b.location.Address1, City: b.location.City, State: b.location.State, Zip: b.location.Zip},
		RenderingProvider: &scrub.RenderingProvider{FirstName: b.provider.FirstName, LastName: b.provider.LastName, NPI: b.provider.NPI},
		Patient: scrub.Patient{FirstName: pat.FirstName, LastName: pat.LastName, DateOfBirth: pat.DateOfBirth, Sex: pat.Sex,
			Address1: pat.Address1, City: pat.City, State: pat.State, Zip: pat.Zip},
		PlaceOfService: "11",
		Diagnoses:      []string(cl.Diagnoses),
	}
	if b.location.NPI != nil {
		c.BillingProvider.NPI = *b.location.NPI
	} else {
		c.BillingProvider.NPI = b.provider.NPI
	}
	if c.BillingProvider.TaxID == "" {
		c.BillingProvider.TaxID = b.provider.TaxID
	}
	c.Subscriber = scrub.Subscriber{MemberID: string(cov.MemberID), Relationship: cov.Relationship}
	if cov.Relationship == "self" {
		c.Subscriber.FirstName, c.Subscriber.LastName, c.Subscriber.DateOfBirth = pat.FirstName, pat.LastName, pat.DateOfBirth
		c.Subscriber.Address1, c.Subscriber.City, c.Subscriber.State, c.Subscriber.Zip = pat.Address1, pat.City, pat.State, pat.Zip
	} else {
		c.Subscriber.FirstName, c.Subscriber.LastName = cov.SubscriberFirstName, cov.SubscriberLastName
		if cov.SubscriberDateOfBirth != nil {
			c.Subscriber.DateOfBirth = *cov.SubscriberDateOfBirth
		}
	}
	for _, l := range b.lines {
		ptrs := make([]int, len(l.DiagnosisPointers))
		for i, p := range l.DiagnosisPointers {
			ptrs[i] = int(p)
		}
		c.Lines = append(c.Lines, scrub.Line{Number: l.LineNumber, ProcedureCode: l.ProcedureCode,
			Modifiers: []string(l.Modifiers), Units: l.Units, Charge: l.Charge, ServiceDate: l.ServiceDate,
			DiagnosisPointers: ptrs})
	}
	return c
}

// duplicates finds other live claims for the same patient, payer, service date
// and procedure code.
type duplicates struct {
	tx *gorm.DB
	b  bundle
	// before, when set, counts only claims created before it.
	before *time.Time
}

func (d duplicates) FindDuplicates(c scrub.Claim) ([]scrub.DuplicateRef, error) {
	var rows []struct {
		LineNumber       int
		ClaimID          string
		PayerClaimNumber string
	}
	err := d.tx.Raw(`SELECT mine.line_number, other.id AS claim_id, other.payer_claim_number
		FROM claim_lines mine
		JOIN claim_lines ol ON ol.procedure_code = mine.procedure_code AND ol.service_date = mine.service_date
		JOIN claims other ON other.id = ol.claim_id
		JOIN cases oc ON oc.id = other.case_id
		WHERE mine.claim_id = ? AND other.id <> ? AND other.payer_id = ? AND oc.patient_id = ?
		  AND other.frequency <> '8' AND other.stage NOT IN ?
		  AND (?::timestamptz IS NULL OR other.created_at < ?::timestamptz)
		ORDER BY mine.line_number, other.id`,
		d.b.claim.ID, d.b.claim.ID, d.b.claim.PayerID, d.b.kase.PatientID, []string{StageVoided}, d.before, d.before).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]scrub.DuplicateRef, len(rows))
	for i, r := range rows {
		out[i] = scrub.DuplicateRef{LineNumber: r.LineNumber, ClaimID: r.ClaimID, PayerClaimNumber: r.PayerClaimNumber}
	}
	return out, nil
}
