package claims

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/validate"
)

// Open is what the claim's payer still owes on it, never negative. A claim is
// billed for what no one has settled yet:
//
//   - an original claim (no prior_claim_id) for its total charge;
//   - a claim billed after another payer (prior_claim_id set) for what the prior
//     payer left to the patient (cob.patient_responsibility); the rest of the
//     charge was settled on the prior claim.
//
// From that it subtracts what this payer paid, contracted away and left to the
// patient, and what was written off or transferred to the patient. A claim whose
// cob cannot be read owes nothing here, so it is never written off or transferred
// by mistake.
func Open(c Claim) decimal.Decimal {
	billed := c.TotalCharge
	if c.PriorClaimID != nil {
		billed = decimal.Zero
		if cob, err := claimCOB(c); err == nil && cob != nil {
			billed = cob.PatientResponsibility
		}
	}
	open := billed.Sub(c.Paid).Sub(c.Contractual).Sub(c.PatientResponsibility).Sub(c.WrittenOff).Sub(c.ToPatient)
	return decimal.Max(open, decimal.Zero)
}

// settlement is a way to close a claim's open amount without the payer.
type settlement struct {
	keyPrefix string // journal idempotency key prefix; the claim id follows
	kind      string // journals.kind
	memo      string
	column    string // the claims column that accumulates the amount
	stage     string
	action    string   // audit action
	refuse    []string // stages the claim must not be in
	lines     func(amount decimal.Decimal) []ledger.Line
	post      func(tx *gorm.DB, j ledger.Journal) (bool, error)
}

var (
	writeOff = settlement{keyPrefix: "claim-write-off:", kind: "insurance_write_off", memo: "claim write-off",
		column: "written_off", stage: StageWrittenOff, action: "claim.write_off",
		refuse: []string{StageVoided, StageReplaced, StageToPatient},
		lines: func(a decimal.Decimal) []ledger.Line {
			return []ledger.Line{ledger.Debit(ledger.InsuranceWriteOff, a), ledger.Credit(ledger.ARInsuranceUnbilled, a)}
		},
		post: ledger.Post}
	toPatient = settlement{keyPrefix: "claim-to-patient:", kind: "insurance_to_patient", memo: "claim balance transferred to the patient",
		column: "to_patient", stage: StageToPatient, action: "claim.transfer_to_patient",
		refuse: []string{StageVoided, StageReplaced, StageWrittenOff},
		lines: func(a decimal.Decimal) []ledger.Line {
			return []ledger.Line{ledger.Debit(ledger.ARPatient, a), ledger.Credit(ledger.ARInsuranceUnbilled, a)}
		},
		post: ledger.PostSettled}
)

// WriteOff writes the claim's open amount (Open) off insurance A/R to insurance
// write-offs (Dr 4920, Cr 1200), adds it to claims.written_off and moves the
// claim to written_off, all in one transaction. reason is a short code or phrase
// for the timeline and the audit log; it must not carry PHI. Retrying returns the
// amount written off the first time and changes nothing; with nothing open the
// claim still moves to written_off, without a journal. A voided, replaced or
// transferred claim is refused (validate.Errors naming claim_id).
func (s *Service) WriteOff(ctx context.Context, claimID, reason string, actor audit.Actor) (decimal.Decimal, error) {
	return s.settle(ctx, claimID, reason, actor, writeOff)
}

// TransferToPatient moves the claim's open amount (Open) from insurance A/R to
// the patient's balance, applying any patient credit first (ledger.PostSettled),
// adds it to claims.to_patient and moves the claim to transferred_to_patient, all
// in one transaction. It behaves like WriteOff otherwise: retries return the
// first amount, nothing open still transitions, and a voided, replaced or
// written-off claim is refused.
func (s *Service) TransferToPatient(ctx context.Context, claimID, reason string, actor audit.Actor) (decimal.Decimal, error) {
	return s.settle(ctx, claimID, reason, actor, toPatient)
}

func (s *Service) settle(ctx context.Context, claimID, reason string, actor audit.Actor, op settlement) (decimal.Decimal, error) {
	amount := decimal.Zero
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Claim before case, the order 835 posting locks them in.
		var cl Claim
		if res := tx.Raw(`SELECT * FROM claims WHERE id = ? FOR UPDATE`, claimID).Scan(&cl); res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return fmt.Errorf("claim %s: %w", claimID, ErrNotFound)
		}
		key := op.keyPrefix + cl.ID
		posted, done, err := journalAmount(tx, key)
		if err != nil {
			return err
		}
		if done {
			amount = posted
			return nil
		}
		if cl.Stage == op.stage {
			return nil // done before with nothing open
		}
		for _, st := range op.refuse {
			if cl.Stage == st {
				return validate.Errors{{Field: "claim_id", Message: fmt.Sprintf("the claim is %s", cl.Stage)}}
			}
		}
		var patientID string
		if err := tx.Raw(`SELECT patient_id FROM cases WHERE id = ? FOR UPDATE`, cl.CaseID).Scan(&patientID).Error; err != nil {
			return err
		}
		amount = Open(cl)
		if amount.IsPositive() {
			j := ledger.Journal{IdempotencyKey: key, Kind: op.kind, CaseID: cl.CaseID, PatientID: patientID,
				SourceType: "claim", SourceID: cl.ID, Memo: op.memo, Lines: op.lines(amount)}
			if posted, err := op.post(tx, j); err != nil {
				return err
			} else if !posted { // cannot happen under the claim's lock; never count twice
				amount, _, err = journalAmount(tx, key)
				return err
			}
			if err := tx.Model(&Claim{}).Where("id = ?", cl.ID).
				Update(op.column, gorm.Expr(op.column+" + ?", amount)).Error; err != nil {
				return fmt.Errorf("claim %s %s: %w", cl.ID, op.column, err)
			}
		}
		// The reason is a person's free text: the claim's own names, dates of
		// birth, member IDs and diagnoses are masked before it is kept.
		red, err := claimRedactor(tx, cl)
		if err != nil {
			return err
		}
		reason := red.apply(reason)
		detail := map[string]any{"amount": amount.StringFixed(2), "reason": reason}
		if err := (&Service{DB: tx}).Transition(ctx, cl.ID, op.stage, CauseUser, detail, actor); err != nil {
			return err
		}
		return audit.Record(tx, actor, op.action, "claim", cl.ID, map[string]any{
			"case_id": cl.CaseID, "amount": amount.StringFixed(2), "reason": reason, "from_stage": cl.Stage})
	})
	if err != nil {
		return decimal.Zero, err
	}
	return amount, nil
}

// journalAmount returns what the journal with the idempotency key took off
// insurance A/R, and whether that journal exists.
func journalAmount(tx *gorm.DB, key string) (decimal.Decimal, bool, error) {
	var rows []struct {
		Amount decimal.Decimal
	}
	err := tx.Raw(`SELECT coalesce(-sum(l.amount) FILTER (WHERE l.account_code = ?), 0) AS amount
		FROM journals j JOIN journal_lines l ON l.journal_id = j.id
		WHERE j.idempotency_key = ? GROUP BY j.id`, string(ledger.ARInsuranceUnbilled), key).Scan(&rows).Error
	if err != nil {
		return decimal.Zero, false, fmt.Errorf("journal %s: %w", key, err)
	}
	if len(rows) == 0 {
		return decimal.Zero, false, nil
	}
	return rows[0].Amount, true, nil
}
