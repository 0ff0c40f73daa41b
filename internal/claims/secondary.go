package claims

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/internal/x12"
)

// RemittanceDetail is the JSON stored in remittance_claims.detail: the 835 claim
// payment loop as parsed, plus the remittance's payment date (BPR16), which the
// loop itself does not carry. internal/remit writes it; BuildSecondary reads the
// prior payer's adjudication from it.
type RemittanceDetail struct {
	x12.ClaimPayment
	PaymentDate x12.Date `json:"payment_date,omitzero"`
}

// COB is the prior payer's adjudication of a claim, carried by the claim billed
// after it (claims.cob) and sent in the 837P loops 2320, 2330A/B and 2430. It is
// a snapshot taken when the secondary claim is built.
type COB struct {
	PriorClaimID string `json:"prior_claim_id"`
	// RemittanceClaimID is the remittance_claims row the adjudication comes from.
	RemittanceClaimID string        `json:"remittance_claim_id"`
	Payer             COBPayer      `json:"payer"`
	Subscriber        COBSubscriber `json:"subscriber"`
	// PayerClaimNumber is the prior payer's claim control number (CLP07).
	PayerClaimNumber string `json:"payer_claim_number,omitempty"`
	// AdjudicationDate is the prior payer's payment date (BPR16), else the day
	// the 835 was received.
	AdjudicationDate x12.Date        `json:"adjudication_date"`
	Charge           decimal.Decimal `json:"charge"`
	Paid             decimal.Decimal `json:"paid"`
	// PatientResponsibility is what the prior payer left to the patient (its PR
	// adjustments): what the secondary payer is asked to consider.
	PatientResponsibility decimal.Decimal `json:"patient_responsibility"`
	// Adjustments are the prior payer's claim-level CAS; line CAS are in Lines.
	Adjustments []x12.Adjustment `json:"adjustments,omitempty"`
	Lines       []COBLine        `json:"lines,omitempty"`
}

// COBPayer is the prior payer.
type COBPayer struct {
	ID      string `json:"id"`       // payers.id
	Name    string `json:"name"`     // 2330B NM103
	PayerID string `json:"payer_id"` // X12 payer ID: 2330B NM109 and SVD01
	Type    string `json:"type"`     // payers.type, for the 2320 filing indicator
}

// COBSubscriber is the subscriber of the prior payer's coverage (2320 SBR,
// 2330A).
type COBSubscriber struct {
	MemberID     string `json:"member_id"`
	GroupNumber  string `json:"group_number,omitempty"`
	Relationship string `json:"relationship"` // coverages.relationship: self, spouse, child, other
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name"`
}

// COBLine is the prior payer's adjudication of one service line (loop 2430),
// tied to the line of the claim that carries the COB.
type COBLine struct {
	LineNumber       int              `json:"line_number"`
	ClaimLineID      string           `json:"claim_line_id"`
	Procedure        x12.Procedure    `json:"procedure"`
	Charge           decimal.Decimal  `json:"charge"`
	Paid             decimal.Decimal  `json:"paid"`
	Units            decimal.Decimal  `json:"units"`
	Adjustments      []x12.Adjustment `json:"adjustments,omitempty"`
	AdjudicationDate x12.Date         `json:"adjudication_date"`
}

// claimCOB decodes a claim's cob column; nil when the claim has none.
func claimCOB(c Claim) (*COB, error) {
	if len(c.COB) == 0 || string(c.COB) == "null" || string(c.COB) == "{}" {
		return nil, nil
	}
	var cob COB
	if err := json.Unmarshal(c.COB, &cob); err != nil {
		return nil, fmt.Errorf("claim %s cob: %w", c.ID, err)
	}
	if err := openCOB(&cob); err != nil {
		return nil, fmt.Errorf("claim %s: %w", c.ID, err)
	}
	return &cob, nil
}

// SecondaryCoverage returns the case's active secondary coverage on the claim's
// date of service, and whether there is one.
func SecondaryCoverage(tx *gorm.DB, c Claim) (records.Coverage, bool, error) {
	var cov records.Coverage
	res := tx.Raw(`SELECT cv.* FROM coverages cv JOIN encounters e ON e.id = ?
		WHERE cv.case_id = ? AND cv.priority = ? AND cv.status = ?
		  AND cv.effective_from <= e.service_date AND (cv.effective_to IS NULL OR cv.effective_to >= e.service_date)
		LIMIT 1`, c.EncounterID, c.CaseID, records.PrioritySecondary, records.CoverageActive).Scan(&cov)
	if res.Error != nil {
		return cov, false, fmt.Errorf("secondary coverage for claim %s: %w", c.ID, res.Error)
	}
	return cov, res.RowsAffected > 0, nil
}

// BuildSecondary builds the claim to the case's secondary payer after the primary
// payer has adjudicated primaryClaimID: the primary's lines, billed again
// (frequency 1) with the primary's adjudication as its COB. It reports false,
// without error, when the case has no active secondary coverage on the date of
// service. The primary must be paid or partially paid with a matched 835;
// otherwise the error is a validate.Errors naming claim_id. Building again
// returns the claim already built.
func (s *Service) BuildSecondary(ctx context.Context, primaryClaimID string, actor audit.Actor) (Built, bool, error) {
	var out Built
	found := false
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Claim before case, the order 835 posting locks them in.
		var prim Claim
		if res := tx.Raw(`SELECT * FROM claims WHERE id = ? FOR UPDATE`, primaryClaimID).Scan(&prim); res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return fmt.Errorf("claim %s: %w", primaryClaimID, ErrNotFound)
		}
		if prim.Priority != records.PriorityPrimary {
			return validate.Errors{{Field: "claim_id", Message: fmt.Sprintf(
				"is a %s claim; a secondary claim is built from the primary claim", prim.Priority)}}
		}
		var kase cases.Case
		if err := tx.Raw(`SELECT * FROM cases WHERE id = ? FOR UPDATE`, prim.CaseID).Scan(&kase).Error; err != nil {
			return err
		}
		cov, ok, err := SecondaryCoverage(tx, prim)
		if err != nil || !ok {
			return err
		}
		found = true
		var existing Claim
		if res := tx.Where("encounter_id = ? AND coverage_id = ? AND frequency = '1'", prim.EncounterID, cov.ID).
			Limit(1).Find(&existing); res.Error != nil {
			return res.Error
		} else if res.RowsAffected > 0 {
			out.Claim = existing
			return tx.Where("claim_id = ?", existing.ID).Order("line_number").Find(&out.Lines).Error
		}
		if prim.Stage != StagePaid && prim.Stage != StagePartiallyPaid {
			return validate.Errors{{Field: "claim_id", Message: fmt.Sprintf(
				"the primary claim is %s; a secondary claim needs the primary payer's adjudication (paid or partially paid)", prim.Stage)}}
		}
		var rc struct {
			ID                    string
			Detail                db.JSON
			PatientResponsibility decimal.Decimal
			ReceivedAt            time.Time
		}
		res := tx.Raw(`SELECT rc.id, rc.detail, rc.patient_responsibility, r.received_at
			FROM remittance_claims rc JOIN remittances r ON r.id = rc.remittance_id
			WHERE rc.claim_id = ? AND rc.status_code <> '22'
			ORDER BY r.received_at DESC, rc.seq DESC LIMIT 1`, prim.ID).Scan(&rc)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return validate.Errors{{Field: "claim_id", Message: "the primary claim has no matched remittance to take the prior payer's adjudication from"}}
		}
		det, err := OpenRemittanceDetail(rc.Detail)
		if err != nil {
			return fmt.Errorf("remittance claim %s detail: %w", rc.ID, err)
		}
		var primLines []ClaimLine
		if err := tx.Where("claim_id = ?", prim.ID).Order("line_number").Find(&primLines).Error; err != nil {
			return err
		}
		var primCov records.Coverage
		var primPayer records.Payer
		var patient records.Patient
		for _, st := range []struct {
			dst any
			id  string
		}{{&primCov, prim.CoverageID}, {&primPayer, prim.PayerID}, {&patient, kase.PatientID}} {
			if err := first(tx, st.dst, st.id); err != nil {
				return err
			}
		}

		now := time.Now().UTC()
		sec := Claim{ID: uuid.NewString(), CaseID: prim.CaseID, EncounterID: prim.EncounterID, CoverageID: cov.ID,
			PayerID: cov.PayerID, Priority: records.PrioritySecondary, Frequency: "1", PriorClaimID: &prim.ID,
			Stage: StageCreated, Diagnoses: prim.Diagnoses, TotalCharge: prim.TotalCharge, StageChangedAt: now, CreatedAt: now}
		sec.PatientControlNumber = ControlNumber(sec.ID)
		lines := make([]ClaimLine, len(primLines))
		for i, l := range primLines {
			l.ID, l.ClaimID = uuid.NewString(), sec.ID
			lines[i] = l
		}
		adjDate := det.PaymentDate
		if adjDate.IsZero() {
			adjDate = date(rc.ReceivedAt)
		}
		cob := COB{PriorClaimID: prim.ID, RemittanceClaimID: rc.ID,
			Payer:            COBPayer{ID: primPayer.ID, Name: primPayer.Name, PayerID: primPayer.PayerID, Type: primPayer.Type},
			Subscriber:       COBSubscriber{MemberID: string(primCov.MemberID), GroupNumber: string(primCov.GroupNumber), Relationship: primCov.Relationship},
			PayerClaimNumber: det.PayerClaimControlNumber, AdjudicationDate: adjDate,
			Charge: det.TotalCharge, Paid: det.Payment, PatientResponsibility: rc.PatientResponsibility,
			Adjustments: det.Adjustments}
		if primCov.Relationship == "self" || primCov.Relationship == "" {
			cob.Subscriber.FirstName, cob.Subscriber.LastName = patient.FirstName, patient.LastName
		} else {
			cob.Subscriber.FirstName, cob.Subscriber.LastName = primCov.SubscriberFirstName, primCov.SubscriberLastName
		}
		if cob.Lines, err = cobLines(det.ServiceLines, primLines, lines, adjDate); err != nil {
			return err
		}
		if sec.COB, err = sealCOB(cob); err != nil {
			return err
		}
		if err := tx.Create(&sec).Error; err != nil {
			return fmt.Errorf("create secondary claim: %w", err)
		}
		if err := tx.Create(&lines).Error; err != nil {
			return fmt.Errorf("create secondary claim lines: %w", err)
		}
		if err := appendEvent(tx, sec.ID, "", StageCreated, CauseSystem, map[string]any{
			"lines": len(lines), "total_charge": sec.TotalCharge.StringFixed(2), "prior_claim_id": prim.ID}, actor); err != nil {
			return err
		}
		out = Built{Claim: sec, Lines: lines}
		return audit.Record(tx, actor, "claim.create", "claim", sec.ID, map[string]any{
			"case_id": sec.CaseID, "encounter_id": sec.EncounterID, "priority": sec.Priority,
			"total_charge": sec.TotalCharge.StringFixed(2), "prior_claim_id": prim.ID})
	})
	if err != nil {
		return Built{}, false, err
	}
	return out, found, nil
}

// cobLines ties each 835 service line of the prior payer to a line of the new
// claim: by its REF*6R (the primary claim line id, which the 837P sent), else by
// the first line not yet matched with the same procedure code and charge. New
// claim lines are the primary's lines in the same order (same line numbers).
func cobLines(svc []x12.ServicePayment, primLines, lines []ClaimLine, adjDate x12.Date) ([]COBLine, error) {
	byNumber := map[int]ClaimLine{}
	for _, l := range lines {
		byNumber[l.LineNumber] = l
	}
	matched := map[string]bool{}
	var out []COBLine
	for i, sp := range svc {
		code := sp.Procedure.Code
		if sp.OriginalProcedure != nil {
			code = sp.OriginalProcedure.Code
		}
		var pl *ClaimLine
		for j := range primLines {
			if primLines[j].ID == sp.LineItemControlNumber {
				pl = &primLines[j]
				break
			}
		}
		for j := range primLines {
			if pl != nil {
				break
			}
			if !matched[primLines[j].ID] && primLines[j].ProcedureCode == code && primLines[j].Charge.Equal(sp.ChargeAmount) {
				pl = &primLines[j]
			}
		}
		if pl == nil {
			return nil, validate.Errors{{Field: "claim_id", Message: fmt.Sprintf(
				"service line %d of the primary's remittance (%s) matches no claim line", i+1, code)}}
		}
		matched[pl.ID] = true
		nl := byNumber[pl.LineNumber]
		out = append(out, COBLine{LineNumber: nl.LineNumber, ClaimLineID: nl.ID, Procedure: sp.Procedure,
			Charge: sp.ChargeAmount, Paid: sp.PaidAmount, Units: sp.UnitsPaid, Adjustments: sp.Adjustments,
			AdjudicationDate: adjDate})
	}
	return out, nil
}
