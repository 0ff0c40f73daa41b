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
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/phicrypt"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/validate"
)

// Workers' comp decisions and where a denied case's balance goes.
const (
	WCAccepted       = "accepted"
	WCDenied         = "denied"
	WCToHealthPlan   = "health_coverage"
	WCToPatient      = "patient"
	wcDecisionAccept = "accept"
	wcDecisionDeny   = "deny"
)

// WCDecisionInput is the carrier's answer to a workers' comp claim.
type WCDecisionInput struct {
	CaseID string
	// Decision is accept or deny.
	Decision    string
	ClaimNumber string
	// DeniedTo is health_coverage or patient, for a denial.
	DeniedTo string
	Reason   string
	At       time.Time
	Actor    audit.Actor
}

// ValidateWCDecision checks a decision on its own.
func ValidateWCDecision(decision, claimNumber, deniedTo string) validate.Errors {
	var errs validate.Errors
	switch decision {
	case wcDecisionAccept:
		errs.Required("claim_number", strings.TrimSpace(claimNumber))
	case wcDecisionDeny:
		errs.Check(deniedTo == WCToHealthPlan || deniedTo == WCToPatient, "denied_to", "must be %s or %s",
			WCToHealthPlan, WCToPatient)
	default:
		errs.Add("decision", "must be accept or deny")
	}
	return errs
}

// RecordWCDecision records the carrier's acceptance (its claim number goes on
// the case's legal details, for REF*Y4) or denial, once per case. A denial to
// the health coverage makes the patient's health plan the case's primary
// coverage in place of the carrier, so the case bills it; a denial to the
// patient moves each visit as the case workflow reaches it (WCVisitToPatient).
func (s *Service) RecordWCDecision(ctx context.Context, in WCDecisionInput) error {
	if errs := ValidateWCDecision(in.Decision, in.ClaimNumber, in.DeniedTo); len(errs) > 0 {
		return errs
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var kind cases.Kind
		if err := tx.Raw(`SELECT kind FROM cases WHERE id = ? FOR UPDATE`, in.CaseID).Scan(&kind).Error; err != nil {
			return err
		}
		if kind != cases.WorkersComp {
			return apperr.Errorf(apperr.Conflict, "a %s case is not a workers' comp case", kind)
		}
		want := WCAccepted
		if in.Decision == wcDecisionDeny {
			want = WCDenied
		}
		var prior string
		if err := tx.Raw(`SELECT decision FROM legal_wc_decisions WHERE case_id = ?`, in.CaseID).Scan(&prior).Error; err != nil {
			return err
		}
		if prior != "" {
			if prior == want {
				return nil // a retried decision
			}
			return apperr.Errorf(apperr.Conflict, "the carrier's decision is already recorded (%s)", prior)
		}
		var deniedTo *string
		if want == WCDenied {
			deniedTo = &in.DeniedTo
		}
		claimNo := ""
		if want == WCAccepted {
			claimNo = strings.TrimSpace(in.ClaimNumber)
		}
		if err := tx.Exec(`INSERT INTO legal_wc_decisions (case_id, decision, claim_number, denied_to, reason, decided_at, decided_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, in.CaseID, want, phicrypt.Text(claimNo), deniedTo, strings.TrimSpace(in.Reason), in.At.UTC(),
			nonEmpty(in.Actor.UserID)).Error; err != nil {
			return fmt.Errorf("record workers' comp decision of case %s: %w", in.CaseID, err)
		}
		switch {
		case want == WCAccepted:
			if err := tx.Exec(`UPDATE legal_cases SET insurer_claim_number = ?, updated_at = ? WHERE case_id = ?`,
				phicrypt.Text(claimNo), s.now(), in.CaseID).Error; err != nil {
				return fmt.Errorf("store the carrier's claim number: %w", err)
			}
		case in.DeniedTo == WCToHealthPlan:
			if err := toHealthPlan(tx, in.CaseID); err != nil {
				return err
			}
		}
		return audit.Record(tx, in.Actor, "legal.wc_decision", "case", in.CaseID, map[string]any{
			"decision": want, "denied_to": in.DeniedTo})
	})
}

// toHealthPlan retires the carrier's coverage of a denied workers' comp case
// and makes the patient's health plan its primary coverage.
func toHealthPlan(tx *gorm.DB, caseID string) error {
	var covs []struct {
		records.Coverage
		PayerType string
	}
	if err := tx.Raw(`SELECT c.*, p.type AS payer_type FROM coverages c JOIN payers p ON p.id = c.payer_id
		WHERE c.case_id = ? AND c.status = 'active' ORDER BY c.priority`, caseID).Scan(&covs).Error; err != nil {
		return err
	}
	health := ""
	var carriers []string
	for _, c := range covs {
		switch c.PayerType {
		case "workers_comp", "auto", "attorney":
			carriers = append(carriers, c.ID)
		default:
			if health == "" {
				health = c.ID
			}
		}
	}
	if health == "" {
		return apperr.New(apperr.Conflict, "the case has no active health coverage to bill: add the patient's health plan "+
			"as a coverage of the case first")
	}
	if len(carriers) > 0 {
		if err := tx.Exec(`UPDATE coverages SET status = 'inactive' WHERE id IN ?`, carriers).Error; err != nil {
			return fmt.Errorf("retire the carrier's coverage: %w", err)
		}
	}
	if err := tx.Exec(`UPDATE coverages SET priority = 'primary' WHERE id = ?`, health).Error; err != nil {
		return fmt.Errorf("make the health plan primary: %w", err)
	}
	return nil
}

// WCVisitToPatient moves a visit of a workers' comp case denied to the
// patient from insurance A/R to the patient's balance, once per visit, and
// returns the amount moved.
func (s *Service) WCVisitToPatient(ctx context.Context, caseID, encounterID string, actor audit.Actor) (decimal.Decimal, error) {
	var moved decimal.Decimal
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c legalCase
		if err := tx.Raw(`SELECT id, patient_id, kind FROM cases WHERE id = ? FOR UPDATE`, caseID).Scan(&c).Error; err != nil {
			return err
		}
		var to string
		if err := tx.Raw(`SELECT coalesce(denied_to, '') FROM legal_wc_decisions WHERE case_id = ?`, caseID).Scan(&to).Error; err != nil {
			return err
		}
		if to != WCToPatient {
			return apperr.New(apperr.Conflict, "the case was not denied to the patient")
		}
		key := "wc-denied:" + encounterID
		if err := tx.Raw(`SELECT coalesce(sum(amount), 0) FROM charges WHERE encounter_id = ? AND case_id = ? AND status = 'active'`,
			encounterID, caseID).Scan(&moved).Error; err != nil {
			return err
		}
		var done int64
		if err := tx.Table("journals").Where("idempotency_key = ?", key).Count(&done).Error; err != nil || done > 0 {
			return err // a retried activity: moved already
		}
		if !moved.IsPositive() {
			return nil
		}
		if err := post(tx, c, ledger.Journal{IdempotencyKey: key, Kind: "wc_denied_to_patient", SourceType: "encounter",
			SourceID: encounterID, Memo: "workers' comp denied: the visit is the patient's",
			Lines: []ledger.Line{ledger.Debit(ledger.ARPatient, moved), ledger.Credit(ledger.ARInsuranceUnbilled, moved)}}); err != nil {
			return err
		}
		return audit.Record(tx, actor, "legal.wc_to_patient", "case", caseID, map[string]any{"encounter_id": encounterID,
			"amount": moved.StringFixed(2)})
	})
	return moved, err
}
