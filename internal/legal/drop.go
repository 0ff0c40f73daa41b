package legal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/validate"
)

// DropInput ends a legal case with no recovery: the attorney withdrew. What is
// still held or owed by the attorney moves to the patient or is written off
// (the hold asks a manager first). ApprovedBy is the manager who approved a
// write-off.
type DropInput struct {
	ID          string
	CaseID      string
	Disposition string
	Reason      string
	ApprovedBy  string
	At          time.Time
	Actor       audit.Actor
}

// DropResult is what a drop moved and what is owed after it.
type DropResult struct {
	DropID      string
	Disposition string
	Amount      decimal.Decimal
	Owed        Owed
}

// ValidateDrop checks a drop request on its own.
func ValidateDrop(disposition, reason string) validate.Errors {
	var errs validate.Errors
	errs.Check(disposition == DropToPatient || disposition == DropWriteOff, "disposition", "must be %s or %s",
		DropToPatient, DropWriteOff)
	errs.Required("reason", strings.TrimSpace(reason))
	return errs
}

// Drop records a dropped case and moves its held and attorney balances in one
// balanced journal: to patient A/R (a patient credit pays it down first) or
// to legal write-offs. Insurance A/R of claims already released stays with
// their claims. A case is dropped once; a retry returns the first drop.
func (s *Service) Drop(ctx context.Context, in DropInput) (DropResult, error) {
	if errs := ValidateDrop(in.Disposition, in.Reason); len(errs) > 0 {
		return DropResult{}, errs
	}
	var out DropResult
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockHeldCase(tx, in.CaseID)
		if err != nil {
			return err
		}
		var prior struct {
			ID          string
			Disposition string
			Amount      decimal.Decimal
		}
		res := tx.Table("legal_drops").Select("id, disposition, amount").Where("case_id = ?", c.ID).Limit(1).Scan(&prior)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			if prior.ID != in.ID {
				return apperr.New(apperr.Conflict, "the case was already dropped")
			}
			out = DropResult{DropID: prior.ID, Disposition: prior.Disposition, Amount: prior.Amount}
			out.Owed, err = OwedOn(tx, c.ID)
			return err
		}
		owed, err := OwedOn(tx, c.ID)
		if err != nil {
			return err
		}
		amount := owed.Held.Add(owed.Attorney)
		to, kind := ledger.ARPatient, "legal_drop_to_patient"
		if in.Disposition == DropWriteOff {
			to, kind = ledger.LegalWriteOff, "legal_drop_write_off"
		}
		if err := tx.Exec(`INSERT INTO legal_drops (id, case_id, disposition, amount, reason, approved_by, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, in.ID, c.ID, in.Disposition, amount, strings.TrimSpace(in.Reason),
			nonEmpty(in.ApprovedBy), in.At.UTC(), nonEmpty(in.Actor.UserID)).Error; err != nil {
			return fmt.Errorf("record drop of case %s: %w", c.ID, err)
		}
		if amount.IsPositive() {
			if err := post(tx, c, ledger.Journal{IdempotencyKey: "legal-drop:" + in.ID, Kind: kind,
				SourceType: "legal_drop", SourceID: in.ID, Memo: "dropped legal case: " + in.Disposition,
				Lines: []ledger.Line{ledger.Debit(to, amount), ledger.Credit(ledger.ARHeld, owed.Held),
					ledger.Credit(ledger.ARAttorney, owed.Attorney)}}); err != nil {
				return err
			}
		}
		out = DropResult{DropID: in.ID, Disposition: in.Disposition, Amount: amount}
		if out.Owed, err = OwedOn(tx, c.ID); err != nil {
			return err
		}
		return audit.Record(tx, in.Actor, "legal.drop", "case", c.ID, map[string]any{"drop_id": in.ID,
			"disposition": in.Disposition, "amount": amount.StringFixed(2), "approved_by": in.ApprovedBy})
	})
	return out, err
}

// LegalPaymentInput is money from the attorney (against attorney A/R) or the
// insurer (against insurance A/R) on a legal case.
type LegalPaymentInput struct {
	ID             string
	CaseID         string
	Payer          string
	Amount         decimal.Decimal
	Method         string
	Reference      string
	ReceivedAt     time.Time
	IdempotencyKey string
	Actor          audit.Actor
}

// LegalPaymentResult is a posted payment and what is owed after it.
type LegalPaymentResult struct {
	PaymentID string
	Payer     string
	Amount    decimal.Decimal
	Replayed  bool
	Owed      Owed
}

// ValidateLegalPayment checks a payment request on its own.
func ValidateLegalPayment(payer string, amount decimal.Decimal, method string) validate.Errors {
	errs := billing.ValidatePayment(amount, method)
	errs.Check(payer == PayAttorney || payer == PayInsurer, "payer", "must be %s or %s (a patient's payment is "+
		"recorded with POST /cases/{id}/payments once nothing is held)", PayAttorney, PayInsurer)
	return errs
}

// RecordLegalPayment posts a payer's money against what that payer owes on the
// case, never more: an attorney's check beyond the attorney's A/R, or an
// insurer's beyond insurance A/R, is refused rather than left as a credit
// beside a receivable. The idempotency key makes a retry post once.
func (s *Service) RecordLegalPayment(ctx context.Context, in LegalPaymentInput) (LegalPaymentResult, error) {
	if errs := ValidateLegalPayment(in.Payer, in.Amount, in.Method); len(errs) > 0 {
		return LegalPaymentResult{}, errs
	}
	hash := billing.RequestHash(in.Payer, in.Amount.StringFixed(2), in.Method, in.Reference)
	var out LegalPaymentResult
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockHeldCase(tx, in.CaseID)
		if err != nil {
			return err
		}
		var prior struct {
			ID          string
			Payer       string
			Amount      decimal.Decimal
			RequestHash string
		}
		res := tx.Table("legal_payments").Select("id, payer, amount, request_hash").
			Where("case_id = ? AND idempotency_key = ?", c.ID, in.IdempotencyKey).Limit(1).Scan(&prior)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			if prior.RequestHash != hash {
				return billing.ErrIdempotencyConflict
			}
			out = LegalPaymentResult{PaymentID: prior.ID, Payer: prior.Payer, Amount: prior.Amount, Replayed: true}
			out.Owed, err = OwedOn(tx, c.ID)
			return err
		}
		owed, err := OwedOn(tx, c.ID)
		if err != nil {
			return err
		}
		account, due := ledger.ARAttorney, owed.Attorney
		if in.Payer == PayInsurer {
			account, due = ledger.ARInsuranceUnbilled, owed.Insurer
			// A claim still with the payer is paid by its 835: a check posted
			// here as well would be posted twice.
			var open int64
			if err := tx.Table("claims").Where("case_id = ? AND stage NOT IN ?", c.ID, claims.Terminal).
				Count(&open).Error; err != nil {
				return err
			}
			if open > 0 {
				return apperr.Errorf(apperr.Conflict, "%d of the insurer's claims on this case are still open: their "+
					"payment posts from the insurer's 835 (an unmatched one is worked in the unmatched-era queue)", open)
			}
		}
		if in.Amount.GreaterThan(due) {
			return apperr.Errorf(apperr.Conflict, "the %s owes %s on this case: a payment of %s is more than that "+
				"(release the charges to the %s first, or return the excess)", in.Payer, due.StringFixed(2),
				in.Amount.StringFixed(2), in.Payer)
		}
		if err := tx.Exec(`INSERT INTO legal_payments (id, case_id, payer, amount, method, reference, received_at,
			idempotency_key, request_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.ID, c.ID, in.Payer, in.Amount, in.Method, strings.TrimSpace(in.Reference), in.ReceivedAt.UTC(),
			in.IdempotencyKey, hash, s.now(), nonEmpty(in.Actor.UserID)).Error; err != nil {
			return fmt.Errorf("record %s payment on case %s: %w", in.Payer, c.ID, err)
		}
		if err := post(tx, c, ledger.Journal{IdempotencyKey: "legal-payment:" + in.ID, Kind: in.Payer + "_payment",
			SourceType: "legal_payment", SourceID: in.ID, Memo: in.Payer + " payment (" + in.Method + ")",
			Lines: []ledger.Line{ledger.Debit(ledger.Cash, in.Amount), ledger.Credit(account, in.Amount)}}); err != nil {
			return err
		}
		out = LegalPaymentResult{PaymentID: in.ID, Payer: in.Payer, Amount: in.Amount}
		if out.Owed, err = OwedOn(tx, c.ID); err != nil {
			return err
		}
		return audit.Record(tx, in.Actor, "legal.payment", "case", c.ID, map[string]any{"payment_id": in.ID,
			"payer": in.Payer, "amount": in.Amount.StringFixed(2), "method": in.Method})
	})
	return out, err
}
