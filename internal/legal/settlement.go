package legal

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/validate"
)

// Who pays released charges, and what becomes of a dropped case.
const (
	PayAttorney   = "attorney"
	PayInsurer    = "insurer"
	DropToPatient = "patient"
	DropWriteOff  = "write_off"
)

// Settlement statuses (legal_settlements.status).
const (
	SettlementPending      = "pending_approval"
	SettlementApproved     = "approved"
	SettlementCountered    = "countered"
	SettlementRefused      = "refused"
	SettlementAutoApproved = "auto_approved"
)

// DefaultReductionApprovalPercent is the reduction, in percent of the held
// balance, above which a manager must approve it (LEGAL_REDUCTION_APPROVAL_PERCENT
// overrides it).
const DefaultReductionApprovalPercent = 15

// ReductionApprovalPercent is the configured approval threshold.
func ReductionApprovalPercent() decimal.Decimal {
	if v, err := decimal.NewFromString(os.Getenv("LEGAL_REDUCTION_APPROVAL_PERCENT")); err == nil &&
		!v.IsNegative() && v.LessThanOrEqual(decimal.NewFromInt(100)) {
		return v
	}
	return decimal.NewFromInt(DefaultReductionApprovalPercent)
}

var hundred = decimal.NewFromInt(100)

// Settlement is a recorded settlement (table legal_settlements).
type Settlement struct {
	ID                 string `gorm:"primaryKey;type:uuid"`
	CaseID             string `gorm:"type:uuid"`
	Amount             decimal.Decimal
	HeldTotal          decimal.Decimal
	RequestedReduction decimal.Decimal
	RequestedPercent   decimal.Decimal
	PayVia             string
	Status             string
	ApprovedReduction  *decimal.Decimal
	Note               string
	DecisionNote       string
	DecidedBy          *string `gorm:"type:uuid"`
	DecidedAt          *time.Time
	RecordedAt         time.Time
	RecordedBy         *string `gorm:"type:uuid"`
}

// TableName is the table of Settlement.
func (Settlement) TableName() string { return "legal_settlements" }

// NeedsApproval reports whether a manager must decide the reduction.
func (s Settlement) NeedsApproval() bool { return s.Status == SettlementPending }

// Owed is what is still owed on a legal case, by whom: held A/R, the
// attorney's A/R and insurance A/R (the auto insurer's or carrier's claims).
type Owed struct {
	Held     decimal.Decimal
	Attorney decimal.Decimal
	Insurer  decimal.Decimal
}

// OwedOn reads a case's legal balances from the ledger.
func OwedOn(tx *gorm.DB, caseID string) (Owed, error) {
	b, err := ledger.CaseBalances(tx, caseID)
	if err != nil {
		return Owed{}, err
	}
	return Owed{Held: b.Get(ledger.ARHeld), Attorney: b.Get(ledger.ARAttorney), Insurer: b.Get(ledger.ARInsuranceUnbilled)}, nil
}

// legalCase is the locked case row a money move works on.
type legalCase struct {
	ID        string
	PatientID string
	Kind      cases.Kind
}

// lockHeldCase locks a case whose charges are held (mva, personal injury).
func lockHeldCase(tx *gorm.DB, caseID string) (legalCase, error) {
	var c legalCase
	res := tx.Raw(`SELECT id, patient_id, kind FROM cases WHERE id = ? FOR UPDATE`, caseID).Scan(&c)
	if res.Error != nil {
		return c, fmt.Errorf("lock case %s: %w", caseID, res.Error)
	}
	if res.RowsAffected == 0 {
		return c, apperr.Errorf(apperr.NotFound, "case %s not found", caseID)
	}
	if !c.Kind.HoldsCharges() {
		return c, apperr.Errorf(apperr.Conflict, "a %s case holds no charges: settlements, releases and drops are for "+
			"mva and personal_injury cases", c.Kind)
	}
	return c, nil
}

// post writes a journal of the locked case.
func post(tx *gorm.DB, c legalCase, j ledger.Journal) error {
	j.CaseID, j.PatientID = c.ID, c.PatientID
	if _, err := ledger.PostSettled(tx, j); err != nil {
		return fmt.Errorf("post %s: %w", j.IdempotencyKey, err)
	}
	return nil
}

func dropped(tx *gorm.DB, caseID string) (bool, error) {
	var n int64
	err := tx.Table("legal_drops").Where("case_id = ?", caseID).Count(&n).Error
	return n > 0, err
}

// SettlementInput records a settlement. ID derives from the request (the
// hold's update), so a retry returns the same settlement.
type SettlementInput struct {
	ID               string
	CaseID           string
	Amount           decimal.Decimal
	ReductionAmount  *decimal.Decimal
	ReductionPercent *decimal.Decimal
	PayVia           string
	Note             string
	At               time.Time
	Actor            audit.Actor
}

// ValidateSettlement checks what a settlement request says on its own, before
// anything is read: the workflow's validator and RecordSettlement both use it.
func ValidateSettlement(amount decimal.Decimal, reductionAmount, reductionPercent *decimal.Decimal, payVia string) validate.Errors {
	var errs validate.Errors
	billing.ValidateMoney(&errs, "amount", amount, false)
	errs.Check(payVia == PayAttorney || payVia == PayInsurer, "pay_via", "must be %s or %s", PayAttorney, PayInsurer)
	if reductionAmount != nil && reductionPercent != nil {
		errs.Add("reduction_percent", "give the reduction as an amount or a percent, not both")
	}
	if reductionAmount != nil {
		billing.ValidateMoney(&errs, "reduction_amount", *reductionAmount, true)
	}
	if p := reductionPercent; p != nil {
		errs.Check(!p.IsNegative() && p.LessThanOrEqual(hundred) && p.Equal(p.Round(2)), "reduction_percent",
			"must be from 0 to 100 with at most two decimals")
	}
	reduced := (reductionAmount != nil && reductionAmount.IsPositive()) || (reductionPercent != nil && reductionPercent.IsPositive())
	if payVia == PayInsurer && reduced {
		errs.Add("pay_via", "a reduction is of a lien the attorney pays; an insurer's claim is settled by its remittance")
	}
	return errs
}

// RecordSettlement stores a settlement of a held case: the reduction asked of
// the held balance is computed both ways (amount and percent) and is approved
// by itself up to the threshold, otherwise it waits for a manager.
func (s *Service) RecordSettlement(ctx context.Context, in SettlementInput, threshold decimal.Decimal) (Settlement, error) {
	if errs := ValidateSettlement(in.Amount, in.ReductionAmount, in.ReductionPercent, in.PayVia); len(errs) > 0 {
		return Settlement{}, errs
	}
	var out Settlement
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockHeldCase(tx, in.CaseID)
		if err != nil {
			return err
		}
		if res := tx.Where("id = ?", in.ID).Limit(1).Find(&out); res.Error != nil || res.RowsAffected > 0 {
			return res.Error // a retried request
		}
		if gone, err := dropped(tx, c.ID); err != nil || gone {
			return firstErr(err, apperr.New(apperr.Conflict, "the case was dropped"))
		}
		owed, err := OwedOn(tx, c.ID)
		if err != nil {
			return err
		}
		if !owed.Held.IsPositive() {
			return apperr.New(apperr.Conflict, "nothing is held on this case: its charges were released or it has none")
		}
		st := Settlement{ID: in.ID, CaseID: c.ID, Amount: in.Amount, HeldTotal: owed.Held, PayVia: in.PayVia,
			Note: strings.TrimSpace(in.Note), RecordedAt: in.At.UTC(), RecordedBy: nonEmpty(in.Actor.UserID),
			RequestedReduction: decimal.Zero, RequestedPercent: decimal.Zero}
		switch {
		case in.ReductionAmount != nil:
			st.RequestedReduction = *in.ReductionAmount
			st.RequestedPercent = st.RequestedReduction.Mul(hundred).Div(owed.Held).Round(2)
		case in.ReductionPercent != nil:
			st.RequestedPercent = *in.ReductionPercent
			st.RequestedReduction = owed.Held.Mul(*in.ReductionPercent).Div(hundred).Round(2)
		}
		if st.RequestedReduction.GreaterThan(owed.Held) {
			return validate.Errors{{Field: "reduction_amount", Message: fmt.Sprintf(
				"must not exceed the held balance %s", owed.Held.StringFixed(2))}}
		}
		if st.RequestedPercent.GreaterThan(threshold) {
			st.Status = SettlementPending
		} else {
			st.Status = SettlementAutoApproved
			r := st.RequestedReduction
			st.ApprovedReduction = &r
		}
		if err := tx.Create(&st).Error; err != nil {
			return fmt.Errorf("record settlement of case %s: %w", c.ID, err)
		}
		out = st
		return audit.Record(tx, in.Actor, "legal.settlement", "case", c.ID, map[string]any{
			"settlement_id": st.ID, "amount": st.Amount.StringFixed(2), "reduction": st.RequestedReduction.StringFixed(2),
			"reduction_percent": st.RequestedPercent.StringFixed(2), "pay_via": st.PayVia, "status": st.Status})
	})
	return out, err
}

// DecideReduction records a manager's decision on a pending reduction:
// approve it, counter with another reduction (at most the held balance), or
// refuse it (nothing is reduced). Deciding again the same way is a no-op.
func (s *Service) DecideReduction(ctx context.Context, settlementID, decision string, counter *decimal.Decimal,
	note string, actor audit.Actor) (Settlement, error) {
	var out Settlement
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Raw(`SELECT * FROM legal_settlements WHERE id = ? FOR UPDATE`, settlementID).Scan(&out)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.Errorf(apperr.NotFound, "settlement %s not found", settlementID)
		}
		want := map[string]string{"approve": SettlementApproved, "counter": SettlementCountered, "refuse": SettlementRefused}[decision]
		if want == "" {
			return validate.Errors{{Field: "decision", Message: "must be approve, counter or refuse"}}
		}
		if !out.NeedsApproval() {
			if out.Status == want {
				return nil // a retried decision
			}
			return apperr.Errorf(apperr.Conflict, "the reduction was already decided (%s)", out.Status)
		}
		var approved decimal.Decimal
		switch want {
		case SettlementApproved:
			approved = out.RequestedReduction
		case SettlementCountered:
			var errs validate.Errors
			if counter == nil {
				errs.Add("counter_reduction", "is required to counter")
			} else {
				billing.ValidateMoney(&errs, "counter_reduction", *counter, true)
				errs.Check(counter.LessThanOrEqual(out.HeldTotal), "counter_reduction", "must not exceed the held balance %s",
					out.HeldTotal.StringFixed(2))
			}
			if len(errs) > 0 {
				return errs
			}
			approved = *counter
		}
		now := s.now()
		out.Status, out.ApprovedReduction, out.DecisionNote, out.DecidedBy, out.DecidedAt =
			want, &approved, strings.TrimSpace(note), nonEmpty(actor.UserID), &now
		if err := tx.Model(&Settlement{}).Where("id = ?", out.ID).Updates(map[string]any{"status": out.Status,
			"approved_reduction": approved, "decision_note": out.DecisionNote, "decided_by": out.DecidedBy,
			"decided_at": now}).Error; err != nil {
			return fmt.Errorf("decide reduction of settlement %s: %w", out.ID, err)
		}
		return audit.Record(tx, actor, "legal.reduction_decision", "case", out.CaseID, map[string]any{
			"settlement_id": out.ID, "decision": decision, "approved_reduction": approved.StringFixed(2)})
	})
	return out, err
}

// LatestSettlement is a case's newest settlement, if any.
func LatestSettlement(tx *gorm.DB, caseID string) (Settlement, bool, error) {
	var st Settlement
	res := tx.Where("case_id = ?", caseID).Order("recorded_at DESC, id").Limit(1).Find(&st)
	return st, res.RowsAffected > 0, res.Error
}

// firstErr is err, or alt when err is nil.
func firstErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// DerivedID is the id of a row an update of the hold writes (a settlement, a
// release, a drop): derived from the case, the kind of row and the update id,
// so a retried activity writes once.
func DerivedID(caseID, kind, updateID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("rcm:legal:"+kind+":"+caseID+":"+updateID)).String()
}
