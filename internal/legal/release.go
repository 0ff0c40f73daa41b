package legal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/validate"
)

// ReleaseRow is a release of held charges (table legal_releases).
type ReleaseRow struct {
	ID           string  `gorm:"primaryKey;type:uuid"`
	CaseID       string  `gorm:"type:uuid"`
	SettlementID *string `gorm:"type:uuid"`
	Target       string
	PayerID      *string `gorm:"type:uuid"`
	Amount       decimal.Decimal
	Reduction    decimal.Decimal
	Note         string
	CreatedAt    time.Time
	CreatedBy    *string `gorm:"type:uuid"`
}

// TableName is the table of ReleaseRow.
func (ReleaseRow) TableName() string { return "legal_releases" }

type releaseCharge struct {
	ChargeID  string `gorm:"primaryKey;type:uuid"`
	ReleaseID string `gorm:"type:uuid"`
	Amount    decimal.Decimal
}

func (releaseCharge) TableName() string { return "legal_release_charges" }

type releaseClaim struct {
	ClaimID   string `gorm:"primaryKey;type:uuid"`
	ReleaseID string `gorm:"type:uuid"`
}

func (releaseClaim) TableName() string { return "legal_release_claims" }

// ReleaseInput releases held charges of a case: to the attorney (lien) or to
// the auto insurer / WC carrier (a claim per visit). No ChargeIDs means every
// held charge; some of them is a partial release and the rest stay held.
type ReleaseInput struct {
	ID        string
	CaseID    string
	To        string
	ChargeIDs []string
	Note      string
	At        time.Time
	Actor     audit.Actor
}

// ReleaseResult is what a release moved, the claims it built and what is owed
// after it.
type ReleaseResult struct {
	ReleaseID string
	To        string
	Amount    decimal.Decimal
	Reduction decimal.Decimal
	Charges   int
	ClaimIDs  []string
	Owed      Owed
}

// heldCharges are a case's active charges not yet released, oldest first.
func heldCharges(tx *gorm.DB, caseID string) ([]billing.Charge, error) {
	var out []billing.Charge
	err := tx.Where(`case_id = ? AND status = ? AND NOT EXISTS
		(SELECT 1 FROM legal_release_charges r WHERE r.charge_id = charges.id)`, caseID, billing.ChargeActive).
		Order("created_at, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("held charges of case %s: %w", caseID, err)
	}
	return out, nil
}

// Release moves released charges out of held A/R in one transaction: to the
// attorney's A/R, with the settlement's approved reduction (not yet applied)
// written off to legal reductions as its own journal; or to insurance A/R with
// a claim per visit to the case's auto insurer or carrier. Each visit's move is
// its own journal tied to the visit, so A/R aging keeps the date of service.
func (s *Service) Release(ctx context.Context, in ReleaseInput) (ReleaseResult, error) {
	var errs validate.Errors
	errs.Check(in.To == PayAttorney || in.To == PayInsurer, "to", "must be %s or %s", PayAttorney, PayInsurer)
	for i, id := range in.ChargeIDs {
		errs.Check(uuid.Validate(id) == nil, fmt.Sprintf("charge_ids[%d]", i), "must be a charge id (UUID)")
	}
	if len(errs) > 0 {
		return ReleaseResult{}, errs
	}
	var out ReleaseResult
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockHeldCase(tx, in.CaseID)
		if err != nil {
			return err
		}
		var prior ReleaseRow
		if res := tx.Where("id = ?", in.ID).Limit(1).Find(&prior); res.Error != nil {
			return res.Error
		} else if res.RowsAffected > 0 {
			out, err = replayRelease(tx, prior)
			return err
		}
		if gone, err := dropped(tx, c.ID); err != nil || gone {
			return firstErr(err, apperr.New(apperr.Conflict, "the case was dropped: nothing is left to release"))
		}
		held, err := heldCharges(tx, c.ID)
		if err != nil {
			return err
		}
		chosen, err := choose(held, in.ChargeIDs)
		if err != nil {
			return err
		}
		st, hasSettlement, err := LatestSettlement(tx, c.ID)
		if err != nil {
			return err
		}
		if hasSettlement && st.NeedsApproval() {
			return apperr.New(apperr.Conflict, "the settlement's reduction awaits a manager's approval: release after the decision")
		}
		rel := ReleaseRow{ID: in.ID, CaseID: c.ID, Target: in.To, Note: strings.TrimSpace(in.Note), CreatedAt: in.At.UTC(),
			CreatedBy: nonEmpty(in.Actor.UserID), Reduction: decimal.Zero}
		for _, ch := range chosen {
			rel.Amount = rel.Amount.Add(ch.Amount)
		}
		if hasSettlement {
			rel.SettlementID = &st.ID
		}
		if in.To == PayAttorney && hasSettlement && st.ApprovedReduction != nil {
			var applied decimal.Decimal
			if err := tx.Model(&ReleaseRow{}).Where("settlement_id = ?", st.ID).
				Select("coalesce(sum(reduction), 0)").Scan(&applied).Error; err != nil {
				return err
			}
			rel.Reduction = decimal.Min(st.ApprovedReduction.Sub(applied), rel.Amount)
			if rel.Reduction.IsNegative() {
				rel.Reduction = decimal.Zero
			}
		}
		receivable := ledger.ARAttorney
		var cov records.Coverage
		if in.To == PayInsurer {
			receivable = ledger.ARInsuranceUnbilled
			if cov, err = s.insurerCoverage(tx, c.ID, in.Actor); err != nil {
				return err
			}
			rel.PayerID = &cov.PayerID
		}
		if err := tx.Create(&rel).Error; err != nil {
			return fmt.Errorf("record release of case %s: %w", c.ID, err)
		}
		byVisit := map[string][]billing.Charge{}
		var visits []string
		for _, ch := range chosen {
			if err := tx.Create(&releaseCharge{ChargeID: ch.ID, ReleaseID: rel.ID, Amount: ch.Amount}).Error; err != nil {
				return fmt.Errorf("release charge %s: %w", ch.ID, err)
			}
			if _, ok := byVisit[ch.EncounterID]; !ok {
				visits = append(visits, ch.EncounterID)
			}
			byVisit[ch.EncounterID] = append(byVisit[ch.EncounterID], ch)
		}
		for _, enc := range visits {
			amount, ids := decimal.Zero, []string{}
			for _, ch := range byVisit[enc] {
				amount, ids = amount.Add(ch.Amount), append(ids, ch.ID)
			}
			if err := post(tx, c, ledger.Journal{IdempotencyKey: "legal-release:" + rel.ID + ":" + enc, Kind: "legal_release",
				SourceType: "encounter", SourceID: enc, Memo: "held charges released to the " + in.To,
				Lines: []ledger.Line{ledger.Debit(receivable, amount), ledger.Credit(ledger.ARHeld, amount)}}); err != nil {
				return err
			}
			if in.To == PayInsurer {
				b, err := claims.BuildReleased(tx, claims.ReleasedInput{CaseID: c.ID, EncounterID: enc, CoverageID: cov.ID,
					ChargeIDs: ids, Actor: in.Actor})
				if err != nil {
					return err
				}
				if err := tx.Create(&releaseClaim{ClaimID: b.Claim.ID, ReleaseID: rel.ID}).Error; err != nil {
					return fmt.Errorf("link claim to release: %w", err)
				}
				out.ClaimIDs = append(out.ClaimIDs, b.Claim.ID)
			}
		}
		if rel.Reduction.IsPositive() {
			if err := post(tx, c, ledger.Journal{IdempotencyKey: "legal-reduction:" + rel.ID, Kind: "legal_reduction",
				SourceType: "legal_release", SourceID: rel.ID, Memo: "negotiated lien reduction",
				Lines: []ledger.Line{ledger.Debit(ledger.LegalReduction, rel.Reduction),
					ledger.Credit(ledger.ARAttorney, rel.Reduction)}}); err != nil {
				return err
			}
		}
		out.ReleaseID, out.To, out.Amount, out.Reduction, out.Charges = rel.ID, rel.Target, rel.Amount, rel.Reduction, len(chosen)
		if out.Owed, err = OwedOn(tx, c.ID); err != nil {
			return err
		}
		return audit.Record(tx, in.Actor, "legal.release", "case", c.ID, map[string]any{"release_id": rel.ID,
			"to": rel.Target, "amount": rel.Amount.StringFixed(2), "reduction": rel.Reduction.StringFixed(2),
			"charges": len(chosen), "claims": len(out.ClaimIDs)})
	})
	return out, err
}

// choose picks the released charges from the held ones: all when ids is
// empty. A charge that is not held (not on the case, voided, released) is a
// field error naming it.
func choose(held []billing.Charge, ids []string) ([]billing.Charge, error) {
	if len(held) == 0 {
		return nil, apperr.New(apperr.Conflict, "nothing is held on this case: no charge is left to release")
	}
	if len(ids) == 0 {
		return held, nil
	}
	var errs validate.Errors
	var out []billing.Charge
	seen := map[string]bool{}
	for i, id := range ids {
		f := fmt.Sprintf("charge_ids[%d]", i)
		if seen[id] {
			errs.Add(f, "is named twice")
			continue
		}
		seen[id] = true
		found := false
		for _, ch := range held {
			if ch.ID == id {
				out, found = append(out, ch), true
			}
		}
		errs.Check(found, f, "is not a held charge of this case (released already, voided or not on the case)")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// insurerCoverage is the case's active coverage with its auto insurer or WC
// carrier (the legal details' insurer). When there is none it is added as the
// primary coverage, its member id the insurer's claim number, effective from
// the date of injury.
func (s *Service) insurerCoverage(tx *gorm.DB, caseID string, actor audit.Actor) (records.Coverage, error) {
	var d Details
	if res := tx.Where("case_id = ?", caseID).Limit(1).Find(&d); res.Error != nil {
		return records.Coverage{}, res.Error
	} else if res.RowsAffected == 0 || d.InsurerID == nil {
		return records.Coverage{}, apperr.New(apperr.Conflict, "the case has no auto insurer or WC carrier: record it "+
			"(insurer_id and insurer_claim_number) on the case's legal details first")
	}
	var cov records.Coverage
	res := tx.Where("case_id = ? AND payer_id = ? AND status = 'active'", caseID, *d.InsurerID).
		Order("priority").Limit(1).Find(&cov)
	if res.Error != nil || res.RowsAffected > 0 {
		return cov, res.Error
	}
	if d.InsurerClaimNumber == "" {
		return cov, apperr.New(apperr.Conflict, "the insurer's claim number (insurer_claim_number) is needed to bill it: "+
			"record it on the case's legal details")
	}
	var n int64
	if err := tx.Model(&records.Coverage{}).Where("case_id = ? AND priority = 'primary' AND status = 'active'", caseID).
		Count(&n).Error; err != nil {
		return cov, err
	}
	if n > 0 {
		return cov, apperr.New(apperr.Conflict, "the case's primary coverage is another payer: add the insurer as a coverage of the case")
	}
	cov = records.Coverage{ID: uuid.NewString(), CaseID: caseID, PayerID: *d.InsurerID, Priority: "primary",
		MemberID: d.InsurerClaimNumber, Relationship: "self", SubscriberSex: "U", EffectiveFrom: d.DateOfInjury,
		Status: "active", CreatedAt: s.now()}
	if err := tx.Create(&cov).Error; err != nil {
		return cov, fmt.Errorf("add the insurer's coverage to case %s: %w", caseID, err)
	}
	return cov, audit.Record(tx, actor, "coverage.create", "coverage", cov.ID, map[string]any{"case_id": caseID,
		"payer_id": cov.PayerID, "priority": cov.Priority, "from": "legal release"})
}

// replayRelease answers a retried release with what it did.
func replayRelease(tx *gorm.DB, r ReleaseRow) (ReleaseResult, error) {
	out := ReleaseResult{ReleaseID: r.ID, To: r.Target, Amount: r.Amount, Reduction: r.Reduction}
	var n int64
	if err := tx.Model(&releaseCharge{}).Where("release_id = ?", r.ID).Count(&n).Error; err != nil {
		return out, err
	}
	out.Charges = int(n)
	if err := tx.Model(&releaseClaim{}).Where("release_id = ?", r.ID).Order("claim_id").
		Pluck("claim_id", &out.ClaimIDs).Error; err != nil {
		return out, err
	}
	var err error
	out.Owed, err = OwedOn(tx, r.CaseID)
	return out, err
}
