package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/denials"
)

// SendAppeal writes the appeal letter for the claim's last denial and sends it to
// the payer at the given level. It is idempotent by claim and level: the
// clearinghouse receives one appeal per level, and the claim moves to appealed
// once. A payer that refuses the appeal (the claim is not denied there) answers
// Accepted false and the claim stays denied.
func (a *Activities) SendAppeal(ctx context.Context, in AppealInput) (AppealSent, error) {
	out := AppealSent{Level: in.Level}
	letter, payerID, cl, err := a.appealLetter(ctx, in)
	if err != nil {
		return out, classify(err)
	}
	out.Letter = letter
	r, err := a.Clearinghouse.Appeal(ctx, clearinghouse.AppealRequest{
		AppealID: fmt.Sprintf("%s-appeal-%d", cl.ID, in.Level), PayerID: payerID,
		PatientControlNumber: cl.PatientControlNumber, PayerClaimControlNumber: cl.PayerClaimNumber,
		Level: in.Level, Letter: letter})
	if err != nil {
		return out, classify(fmt.Errorf("send appeal of claim %s: %w", cl.ID, err))
	}
	out.Accepted, out.Reason = r.Accepted, r.Reason
	if !r.Accepted {
		return out, nil
	}
	err = a.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var stage string
		res := tx.Raw(`UPDATE claims SET appeal_level = ? WHERE id = ? AND appeal_level < ? RETURNING stage`,
			in.Level, cl.ID, in.Level).Scan(&stage)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // a retried activity
		}
		// The payer's answer to the appeal may be posted already (a retry
		// after a crash): a claim it paid is not moved back to appealed.
		if slices.Contains(appealable, stage) {
			if err := (&claims.Service{DB: tx}).Transition(ctx, cl.ID, claims.StageAppealed, claims.CauseUser,
				map[string]any{"level": in.Level, "letter_chars": len(letter)}, in.Actor); err != nil {
				return err
			}
		}
		return audit.Record(tx, in.Actor, "claim.appeal", "claim", cl.ID, map[string]any{"level": in.Level})
	})
	return out, classify(err)
}

// appealable are the stages an appeal moves to appealed: the payer denied the
// claim, in whole or in part.
var appealable = []string{claims.StageDenied, claims.StagePartiallyPaid}

// appealLetter gathers the claim, its payer, practice, patient and last denial and
// writes the letter.
func (a *Activities) appealLetter(ctx context.Context, in AppealInput) (string, string, claims.Claim, error) {
	f, err := a.Claims.AppealFacts(ctx, in.ClaimID)
	if err != nil {
		return "", "", f.Claim, classify(err)
	}
	cl, lines, payer, cov, pat, loc, prov := f.Claim, f.Lines, f.Payer, f.Coverage, f.Patient, f.Location, f.Provider
	// The denial appealed is the latest one: normally the last remittance. An
	// appeal sent again after a crash (the first attempt reached the payer,
	// its answer was lost) may find the payer's new 835 after it; the payer,
	// who receives each appeal id once, tells whether it took the appeal.
	var d denials.Denial
	for _, p := range f.Remittances {
		if d = denials.Classify(p); d.Denied {
			break
		}
	}
	if !d.Denied {
		return "", "", cl, classify(apperr.Errorf(apperr.Conflict, "claim %s: the last remittance is not a denial", cl.ID))
	}
	practice := denials.Practice{Name: loc.Name, TaxID: loc.TaxID, Phone: loc.Phone,
		Address:     nonEmptyLines(loc.Address1, loc.Address2, strings.TrimSpace(loc.City+", "+loc.State+" "+loc.Zip)),
		ContactName: a.Submitter.ContactName}
	if loc.NPI != nil {
		practice.NPI = *loc.NPI
	}
	if practice.NPI == "" {
		practice.NPI = prov.NPI
	}
	if practice.TaxID == "" {
		practice.TaxID = prov.TaxID
	}
	if practice.ContactName == "" {
		practice.ContactName = "Billing office"
	}
	letterClaim := denials.Claim{PatientControlNumber: cl.PatientControlNumber, PayerClaimNumber: cl.PayerClaimNumber,
		TotalCharge: cl.TotalCharge, Diagnoses: cl.Diagnoses}
	for _, l := range lines {
		letterClaim.ServiceDates = append(letterClaim.ServiceDates, l.ServiceDate)
		letterClaim.Lines = append(letterClaim.Lines, denials.ClaimLine{Code: l.ProcedureCode, Modifiers: l.Modifiers,
			Charge: l.Charge})
	}
	letter, err := denials.Letter(denials.LetterInput{
		Level: in.Level, Date: time.Now().UTC(),
		Payer: denials.Payer{Name: payer.Name, Address: nonEmptyLines(payer.Address1, payer.Address2,
			strings.TrimSpace(payer.City+", "+payer.State+" "+payer.Zip))},
		Practice: practice,
		Patient: denials.Patient{Name: strings.TrimSpace(pat.FirstName + " " + pat.LastName),
			DateOfBirth: pat.DateOfBirth, MemberID: string(cov.MemberID)},
		Claim: letterClaim, Denial: d, Argument: in.Argument,
		Enclosures: denials.SuggestedEnclosures(d.PrimaryCategory),
	})
	if err != nil {
		return "", "", cl, classify(apperr.Errorf(apperr.Conflict, "appeal letter for claim %s: %v", cl.ID, err))
	}
	return letter, payer.PayerID, cl, nil
}

func nonEmptyLines(lines ...string) []string {
	var out []string
	for _, l := range lines {
		if l = strings.TrimSpace(strings.Trim(strings.TrimSpace(l), ",")); l != "" {
			out = append(out, l)
		}
	}
	return out
}
