// Package billing holds the business operations on a case's money: encounters,
// charges, payments and adjustments. Each operation is one database transaction
// that writes the business row, its balanced ledger journal and its audit row
// together, and each is idempotent by a business key so activity retries are safe.
package billing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/inventory"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/packages"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
)

// ErrNotFound is returned when a referenced case, encounter or charge does not exist.
var ErrNotFound = apperr.New(apperr.NotFound, "not found")

// ErrIdempotencyConflict is returned when an idempotency key is reused for a
// different request.
var ErrIdempotencyConflict = apperr.New(apperr.Conflict, "idempotency key was already used for a different request")

// Service runs billing operations against the database.
type Service struct {
	DB *gorm.DB
}

type caseRow struct {
	ID            string
	PatientID     string
	Kind          cases.Kind
	FeeScheduleID *string
}

// lockCase reads the case and locks its row for the transaction, serializing every
// posting on one case.
func lockCase(tx *gorm.DB, caseID string) (caseRow, error) {
	var c caseRow
	res := tx.Raw(`SELECT id, patient_id, kind, fee_schedule_id FROM cases WHERE id = ? FOR UPDATE`, caseID).Scan(&c)
	if res.Error != nil {
		return c, fmt.Errorf("lock case %s: %w", caseID, res.Error)
	}
	if res.RowsAffected == 0 {
		return c, fmt.Errorf("case %s: %w", caseID, ErrNotFound)
	}
	return c, nil
}

// post writes the event journal for the locked case, settling the patient side.
func post(tx *gorm.DB, c caseRow, j ledger.Journal) error {
	j.CaseID, j.PatientID = c.ID, c.PatientID
	_, err := ledger.PostSettled(tx, j)
	return err
}

// EncounterInput records a check-in.
type EncounterInput struct {
	EncounterID string      `json:"encounter_id"`
	CaseID      string      `json:"case_id"`
	ProviderID  string      `json:"provider_id"`
	LocationID  string      `json:"location_id"`
	ServiceDate string      `json:"service_date"` // YYYY-MM-DD
	CheckedInAt time.Time   `json:"checked_in_at"`
	Actor       audit.Actor `json:"actor"`
}

// RecordEncounter inserts the encounter row for a check-in, once.
func (s *Service) RecordEncounter(ctx context.Context, in EncounterInput) error {
	day, err := time.Parse(time.DateOnly, in.ServiceDate)
	if err != nil {
		return validate.Errors{{Field: "service_date", Message: "must be a date YYYY-MM-DD"}}
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := lockCase(tx, in.CaseID); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&Encounter{}).Where("id = ?", in.EncounterID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		e := Encounter{ID: in.EncounterID, CaseID: in.CaseID, ProviderID: in.ProviderID,
			LocationID: in.LocationID, ServiceDate: day, CheckedInAt: in.CheckedInAt.UTC()}
		if err := tx.Create(&e).Error; err != nil {
			return fmt.Errorf("record encounter %s: %w", in.EncounterID, err)
		}
		return audit.Record(tx, in.Actor, "encounter.check_in", "encounter", e.ID,
			map[string]any{"case_id": in.CaseID, "provider_id": in.ProviderID, "location_id": in.LocationID})
	})
}

// ChargeInput is one service line to capture.
type ChargeInput struct {
	ChargeID          string           `json:"charge_id"`
	CaseID            string           `json:"case_id"`
	EncounterID       string           `json:"encounter_id"`
	ProcedureCode     string           `json:"procedure_code"`
	Modifiers         []string         `json:"modifiers"`
	Units             int              `json:"units"`
	Diagnoses         []string         `json:"diagnoses"`
	DiagnosisPointers []int            `json:"diagnosis_pointers"`
	PriceOverride     *decimal.Decimal `json:"price_override,omitempty"`
	Actor             audit.Actor      `json:"actor"`
}

// ChargeResult is the captured charge as priced.
type ChargeResult struct {
	ChargeID        string          `json:"charge_id"`
	UnitPrice       decimal.Decimal `json:"unit_price"`
	Amount          decimal.Decimal `json:"amount"`
	PriceOverridden bool            `json:"price_overridden"`
	// Discount is what a package session or promotion took off what the patient
	// owes, posted as its own journal (internal/packages); Amount is unchanged.
	Discount decimal.Decimal `json:"discount,omitzero"`
}

// CaptureCharge prices and inserts a charge and posts it to the case's receivable.
// The price comes from the case's fee schedule (or the default one) unless the
// input overrides it. Capturing the same charge id again returns the first result.
func (s *Service) CaptureCharge(ctx context.Context, in ChargeInput) (ChargeResult, error) {
	in, errs := NormalizeCharge(in)
	if err := errs.Err(); err != nil {
		return ChargeResult{}, err
	}
	var out ChargeResult
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockCase(tx, in.CaseID)
		if err != nil {
			return err
		}
		var existing Charge
		if res := tx.Where("id = ?", in.ChargeID).Limit(1).Find(&existing); res.Error != nil {
			return res.Error
		} else if res.RowsAffected > 0 {
			out = ChargeResult{ChargeID: existing.ID, UnitPrice: existing.UnitPrice, Amount: existing.Amount, PriceOverridden: existing.PriceOverridden}
			out.Discount, err = packages.ChargeDiscount(tx, existing.ID)
			return err
		}
		var enc Encounter
		if res := tx.Where("id = ? AND case_id = ?", in.EncounterID, in.CaseID).Limit(1).Find(&enc); res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return fmt.Errorf("encounter %s: %w", in.EncounterID, ErrNotFound)
		}
		var unit decimal.Decimal
		if in.PriceOverride != nil {
			unit = *in.PriceOverride
		} else {
			price, ok, err := lookupPrice(tx, c.FeeScheduleID, in.ProcedureCode)
			if err != nil {
				return err
			}
			if !ok { // a stocked supply is priced by its item
				if price, ok, err = inventory.PriceOf(tx, in.ProcedureCode); err != nil {
					return err
				}
			}
			if !ok {
				return validate.Errors{{Field: "procedure_code", Message: fmt.Sprintf(
					"%s has no price in the case's fee schedule; add it to the fee schedule or have a biller set price_override", in.ProcedureCode)}}
			}
			unit = price
		}
		amount := LineAmount(unit, in.Units)
		var errs validate.Errors
		if CheckStorable(&errs, "units", amount); len(errs) > 0 {
			return errs // a fee-schedule price times the units
		}
		ch := Charge{
			ID: in.ChargeID, CaseID: in.CaseID, EncounterID: in.EncounterID,
			ProcedureCode: in.ProcedureCode, Modifiers: in.Modifiers, Units: in.Units,
			Diagnoses: in.Diagnoses, DiagnosisPointers: toInt64(in.DiagnosisPointers),
			UnitPrice: unit, Amount: amount, PriceOverridden: in.PriceOverride != nil,
			Status: ChargeActive, CreatedBy: nonEmpty(in.Actor.UserID),
		}
		if err := tx.Create(&ch).Error; err != nil {
			return fmt.Errorf("insert charge %s: %w", ch.ID, err)
		}
		if amount.IsPositive() {
			ar := c.Kind.Receivable()
			if err := post(tx, c, ledger.Journal{
				IdempotencyKey: "charge:" + ch.ID, Kind: "charge", SourceType: "charge", SourceID: ch.ID,
				Memo:  "charge " + ch.ProcedureCode,
				Lines: []ledger.Line{ledger.Debit(ar, amount), ledger.Credit(ledger.Revenue, amount)},
			}); err != nil {
				return err
			}
		}
		// A stocked item leaves the visit location's stock with the charge.
		if err := inventory.ConsumeForCharge(tx, inventory.ChargeUse{ChargeID: ch.ID, LocationID: enc.LocationID,
			Code: ch.ProcedureCode, Units: ch.Units}, in.Actor); err != nil {
			return err
		}
		// A self-pay patient's package session or promotion: its own journal.
		discount, err := packages.ApplyAtCapture(tx, packages.Capture{ChargeID: ch.ID, PatientID: c.PatientID, BillsPatient: c.Kind.BillsPatient(),
			ProcedureCode: ch.ProcedureCode, Units: ch.Units, UnitPrice: unit, Amount: amount, ServiceDate: enc.ServiceDate},
			func(j ledger.Journal) error { return post(tx, c, j) }, in.Actor)
		if err != nil {
			return err
		}
		out = ChargeResult{ChargeID: ch.ID, UnitPrice: unit, Amount: amount, PriceOverridden: ch.PriceOverridden, Discount: discount}
		return audit.Record(tx, in.Actor, "charge.capture", "charge", ch.ID, map[string]any{
			"case_id": in.CaseID, "encounter_id": in.EncounterID, "procedure_code": in.ProcedureCode,
			"units": in.Units, "amount": amount.StringFixed(2), "price_overridden": ch.PriceOverridden})
	})
	return out, err
}

// LookupPrice returns the price of code in the fee schedule (or the default one when
// feeScheduleID is nil).
func (s *Service) LookupPrice(ctx context.Context, feeScheduleID *string, code string) (decimal.Decimal, bool, error) {
	return lookupPrice(s.DB.WithContext(ctx), feeScheduleID, code)
}

func lookupPrice(tx *gorm.DB, feeScheduleID *string, code string) (decimal.Decimal, bool, error) {
	var item FeeScheduleItem
	q := tx.Model(&FeeScheduleItem{}).Where("procedure_code = ?", code)
	if feeScheduleID != nil {
		q = q.Where("fee_schedule_id = ?", *feeScheduleID)
	} else {
		q = q.Where("fee_schedule_id = (SELECT id FROM fee_schedules WHERE is_default)")
	}
	res := q.Limit(1).Find(&item)
	if res.Error != nil {
		return decimal.Zero, false, fmt.Errorf("look up price of %s: %w", code, res.Error)
	}
	return item.Price, res.RowsAffected > 0, nil
}

// VoidInput voids a charge.
type VoidInput struct {
	CaseID   string      `json:"case_id"`
	ChargeID string      `json:"charge_id"`
	Reason   string      `json:"reason"`
	Actor    audit.Actor `json:"actor"`
}

// VoidCharge marks a charge voided and posts the reversing journal. Voiding an
// already voided charge does nothing.
func (s *Service) VoidCharge(ctx context.Context, in VoidInput) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockCase(tx, in.CaseID)
		if err != nil {
			return err
		}
		var ch Charge
		if res := tx.Where("id = ? AND case_id = ?", in.ChargeID, in.CaseID).Limit(1).Find(&ch); res.Error != nil {
			return res.Error
		} else if res.RowsAffected == 0 {
			return fmt.Errorf("charge %s: %w", in.ChargeID, ErrNotFound)
		}
		if ch.Status == ChargeVoided {
			return nil
		}
		if err := refuseVoidOfBilledCharge(tx, ch.ID); err != nil {
			return err
		}
		if err := refuseVoidOfSettledCharge(tx, ch); err != nil {
			return err
		}
		now := time.Now().UTC()
		if err := tx.Model(&Charge{}).Where("id = ?", ch.ID).Updates(map[string]any{
			"status": ChargeVoided, "void_reason": in.Reason, "voided_at": now}).Error; err != nil {
			return fmt.Errorf("void charge %s: %w", ch.ID, err)
		}
		if err := packages.ReverseAtVoid(tx, ch.ID, func(j ledger.Journal) error { return post(tx, c, j) }, in.Actor); err != nil {
			return err
		}
		if ch.Amount.IsPositive() {
			ar := c.Kind.Receivable()
			if err := post(tx, c, ledger.Journal{
				IdempotencyKey: "charge-void:" + ch.ID, Kind: "charge_void", SourceType: "charge", SourceID: ch.ID,
				Memo:  "void charge " + ch.ProcedureCode,
				Lines: []ledger.Line{ledger.Debit(ledger.Revenue, ch.Amount), ledger.Credit(ar, ch.Amount)},
			}); err != nil {
				return err
			}
		}
		if err := inventory.ReturnForCharge(tx, ch.ID, in.Actor); err != nil {
			return err
		}
		return audit.Record(tx, in.Actor, "charge.void", "charge", ch.ID, map[string]any{
			"case_id": in.CaseID, "amount": ch.Amount.StringFixed(2), "reason": in.Reason})
	})
}

// ErrChargeBilled is returned when a charge to void is on a claim a payer has
// received: the payer's copy would still carry it.
var ErrChargeBilled = apperr.New(apperr.Conflict, "charge is on a claim sent to the payer")

// unsentClaimStages are the claim stages (internal/claims, which imports this
// package) in which a claim has not reached a payer, or no longer stands: a
// charge on such a claim may still be voided.
var unsentClaimStages = []string{"created", "scrubbing", "needs_fix", "eligibility_hold", "voided", "replaced"}

// refuseVoidOfBilledCharge answers ErrChargeBilled, naming the claim and the
// corrected-claim path, when chargeID is on a claim a payer has.
func refuseVoidOfBilledCharge(tx *gorm.DB, chargeID string) error {
	var on struct{ ID, Stage string }
	res := tx.Raw(`SELECT c.id, c.stage FROM claim_lines l JOIN claims c ON c.id = l.claim_id
		WHERE l.charge_id = ? AND c.stage NOT IN ? ORDER BY c.created_at DESC LIMIT 1`, chargeID, unsentClaimStages).Scan(&on)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return nil
	}
	return fmt.Errorf("%w: claim %s (stage %s) bills it; correct the claim instead of voiding the charge: "+
		"once the payer has answered, POST /api/v1/claims/%s/decision {\"action\":\"resubmit\",\"fix\":{...}} sends a corrected (frequency 7) claim",
		ErrChargeBilled, on.ID, on.Stage, on.ID)
}

// ErrChargeSettled is returned when a charge to void on a legal case has left
// held A/R: released to the attorney or an insurer, or moved on when the case
// was dropped. Its void would take the charge off held A/R, which no longer
// carries it.
var ErrChargeSettled = apperr.New(apperr.Conflict, "charge has left the hold")

// refuseVoidOfSettledCharge answers ErrChargeSettled when ch was released
// (legal_release_charges) or its case was dropped (legal_drops) after it was
// captured (internal/legal, which imports this package).
func refuseVoidOfSettledCharge(tx *gorm.DB, ch Charge) error {
	var why []string
	if err := tx.Raw(`SELECT 'released ' || to_char(r.created_at, 'YYYY-MM-DD') || ' (release ' || r.id || ')'
			FROM legal_release_charges rc JOIN legal_releases r ON r.id = rc.release_id WHERE rc.charge_id = ?
		UNION ALL
		SELECT 'on a case dropped ' || to_char(d.created_at, 'YYYY-MM-DD') FROM legal_drops d
			WHERE d.case_id = ? AND d.created_at >= ?`, ch.ID, ch.CaseID, ch.CreatedAt).Scan(&why).Error; err != nil {
		return err
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%w: charge %s was %s, so its amount is no longer held; a correction is an adjustment on the case "+
		"(POST /api/v1/cases/%s/adjustments) or, for an insurer's claim, a corrected claim", ErrChargeSettled, ch.ID, why[0], ch.CaseID)
}

// CompleteInput marks an encounter's charge capture complete.
type CompleteInput struct {
	CaseID      string      `json:"case_id"`
	EncounterID string      `json:"encounter_id"`
	CompletedAt time.Time   `json:"completed_at"`
	NoChargeWhy string      `json:"no_charge_reason,omitempty"`
	Actor       audit.Actor `json:"actor"`
}

// CompleteCharges stamps the encounter complete and closes its open
// missing-charges task, if any.
func (s *Service) CompleteCharges(ctx context.Context, in CompleteInput) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Encounter{}).
			Where("id = ? AND case_id = ? AND charges_completed_at IS NULL", in.EncounterID, in.CaseID).
			Update("charges_completed_at", in.CompletedAt.UTC())
		if res.Error != nil {
			return fmt.Errorf("complete charges %s: %w", in.EncounterID, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // already complete: a retried activity
		}
		now := time.Now().UTC()
		if err := tx.Model(&tasks.Task{}).
			Where("business_key = ? AND status IN ?", MissingChargesTaskKey(in.EncounterID), []string{tasks.StatusOpen, tasks.StatusClaimed}).
			Updates(map[string]any{"status": tasks.StatusDone, "completed_at": now, "resolution": "charges completed"}).Error; err != nil {
			return fmt.Errorf("close missing-charges task %s: %w", in.EncounterID, err)
		}
		changes := map[string]any{"case_id": in.CaseID}
		if in.NoChargeWhy != "" {
			changes["no_charge_reason"] = in.NoChargeWhy
		}
		return audit.Record(tx, in.Actor, "encounter.charges_complete", "encounter", in.EncounterID, changes)
	})
}

// MissingChargesTaskKey is the business key of the missing-charges task for an encounter.
func MissingChargesTaskKey(encounterID string) string { return "missing-charges:" + encounterID }

// PaymentInput is money received from or for the patient.
type PaymentInput struct {
	PaymentID      string          `json:"payment_id"`
	CaseID         string          `json:"case_id"`
	Amount         decimal.Decimal `json:"amount"`
	Method         string          `json:"method"`
	Reference      string          `json:"reference"`
	ReceivedAt     time.Time       `json:"received_at"`
	IdempotencyKey string          `json:"idempotency_key"`
	// Prepayment marks money taken before the services it pays for (a deposit
	// before a visit): it is held as patient credit (2100, unearned) until a
	// charge posts on the case and the ledger applies it (ledger.SettlePatient).
	Prepayment bool `json:"prepayment,omitempty"`
	// Agency, when set, is money a collection agency recovered on the case's
	// placed balance: Amount is what the patient paid, posted against
	// collections A/R, of which the agency kept Agency.Fee as its commission.
	Agency *AgencyRecovery `json:"agency,omitempty"`
	Actor  audit.Actor     `json:"actor"`
}

// AgencyRecovery is a collection agency's recovery on a placed case.
type AgencyRecovery struct {
	// Fee is the agency's commission out of the amount recovered (an expense,
	// 6100); the practice receives the rest.
	Fee decimal.Decimal `json:"fee"`
	// Reference is the agency's remittance reference.
	Reference string `json:"reference"`
}

// ErrNotPlaced is returned for an agency recovery on a case with less placed
// with the agency than the amount.
var ErrNotPlaced = apperr.New(apperr.Conflict, "the amount exceeds the balance placed with the collection agency on this case")

// ErrNotPrepayment is returned for a prepayment on a case that already owes:
// that money is a payment.
var ErrNotPrepayment = apperr.New(apperr.Conflict, "a prepayment is money taken before the charges it pays")

// PaymentResult is the stored payment and the case's patient balances after it.
type PaymentResult struct {
	PaymentID string          `json:"payment_id"`
	Amount    decimal.Decimal `json:"amount"`
	Replayed  bool            `json:"replayed"`
}

// RequestHash fingerprints the fields that define a money request, so a reused
// idempotency key with different content is refused.
func RequestHash(fields ...any) string {
	b, _ := json.Marshal(fields)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// replay answers a money request whose idempotency key the case already used:
// found is true when model's table (a payment, adjustment, refund, ...) holds a
// row under the key. The same request (same hash) replays that row's result; a
// different one is ErrIdempotencyConflict. Call it inside the transaction that
// locked the case, before writing.
func replay(tx *gorm.DB, model any, caseID, key, hash string) (out PaymentResult, found bool, err error) {
	var prior struct {
		ID          string
		Amount      decimal.Decimal
		RequestHash string
	}
	res := tx.Model(model).Select("id, amount, request_hash").
		Where("case_id = ? AND idempotency_key = ?", caseID, key).Limit(1).Scan(&prior)
	switch {
	case res.Error != nil:
		return out, false, fmt.Errorf("look up idempotency key: %w", res.Error)
	case res.RowsAffected == 0:
		return out, false, nil
	case prior.RequestHash != hash:
		return out, true, ErrIdempotencyConflict
	}
	return PaymentResult{PaymentID: prior.ID, Amount: prior.Amount, Replayed: true}, true, nil
}

// RecordPayment stores a patient payment and posts cash against the patient's
// balance; any excess becomes a patient credit. The idempotency key makes a
// retried request (or activity) post once.
func (s *Service) RecordPayment(ctx context.Context, in PaymentInput) (PaymentResult, error) {
	if errs := ValidatePayment(in.Amount, in.Method); len(errs) > 0 {
		return PaymentResult{}, errs
	}
	hashed := []any{in.Amount.StringFixed(2), in.Method, in.Reference}
	if in.Prepayment {
		hashed = append(hashed, "prepayment")
	}
	if in.Agency != nil {
		var errs validate.Errors
		ValidateMoney(&errs, "fee", in.Agency.Fee, true)
		errs.Check(in.Agency.Fee.LessThanOrEqual(in.Amount), "fee", "must not exceed the amount recovered")
		if len(errs) > 0 {
			return PaymentResult{}, errs
		}
		hashed = append(hashed, "agency", in.Agency.Fee.StringFixed(2), in.Agency.Reference)
	}
	hash := RequestHash(hashed...)
	var out PaymentResult
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockCase(tx, in.CaseID)
		if err != nil {
			return err
		}
		if prior, found, err := replay(tx, &Payment{}, c.ID, in.IdempotencyKey, hash); err != nil || found {
			out = prior
			return err
		}
		j := ledger.Journal{Kind: "patient_payment", Memo: "patient payment (" + in.Method + ")",
			Lines: []ledger.Line{ledger.Debit(ledger.Cash, in.Amount), ledger.Credit(ledger.ARPatient, in.Amount)}}
		switch {
		case in.Agency != nil:
			bal, err := ledger.CaseBalances(tx, c.ID)
			if err != nil {
				return err
			}
			if in.Amount.GreaterThan(bal.Get(ledger.ARCollections)) {
				return fmt.Errorf("%w (%s placed)", ErrNotPlaced, bal.Get(ledger.ARCollections).StringFixed(2))
			}
			j.Kind, j.Memo = "collections_recovery", "recovered by the collection agency"
			j.Lines = []ledger.Line{ledger.Debit(ledger.Cash, in.Amount.Sub(in.Agency.Fee)),
				ledger.Debit(ledger.CollectionCommission, in.Agency.Fee), ledger.Credit(ledger.ARCollections, in.Amount)}
		case in.Prepayment:
			bal, err := ledger.CaseBalances(tx, c.ID)
			if err != nil {
				return err
			}
			if owed := bal.Get(ledger.ARPatient); owed.IsPositive() {
				return fmt.Errorf("%w: the case already has %s owed; record a payment instead", ErrNotPrepayment, owed.StringFixed(2))
			}
			j.Kind, j.Memo = "prepayment", "prepayment ("+in.Method+"), held as patient credit until charges post"
		}
		p := Payment{ID: in.PaymentID, CaseID: c.ID, PatientID: c.PatientID, Amount: in.Amount,
			Method: in.Method, Reference: in.Reference, ReceivedAt: in.ReceivedAt.UTC(),
			IdempotencyKey: in.IdempotencyKey, RequestHash: hash, CreatedBy: nonEmpty(in.Actor.UserID)}
		if err := tx.Create(&p).Error; err != nil {
			return fmt.Errorf("insert payment %s: %w", p.ID, err)
		}
		j.IdempotencyKey, j.SourceType, j.SourceID = "payment:"+p.ID, "payment", p.ID
		if err := post(tx, c, j); err != nil {
			return err
		}
		action := "payment.record"
		if in.Agency != nil {
			if err := tx.Exec(`INSERT INTO collection_recoveries (id, payment_id, patient_id, case_id, amount, fee,
				agency_reference, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, p.ID, c.PatientID, c.ID, p.Amount,
				in.Agency.Fee, in.Agency.Reference, p.ReceivedAt).Error; err != nil {
				return fmt.Errorf("record agency recovery %s: %w", p.ID, err)
			}
			action = "collections.recovery"
		}
		out = PaymentResult{PaymentID: p.ID, Amount: p.Amount}
		return audit.Record(tx, in.Actor, action, "payment", p.ID, map[string]any{
			"case_id": c.ID, "amount": p.Amount.StringFixed(2), "method": p.Method, "kind": j.Kind})
	})
	return out, err
}

// ValidatePayment checks a payment's amount and method.
func ValidatePayment(amount decimal.Decimal, method string) validate.Errors {
	var errs validate.Errors
	ValidateMoney(&errs, "amount", amount, false)
	ok := false
	for _, m := range PaymentMethods {
		ok = ok || m == method
	}
	errs.Check(ok, "method", "must be one of %v", PaymentMethods)
	return errs
}

// ValidateMoney checks that amount is positive (or zero when allowZero), has at most
// two decimals and fits NUMERIC(14,2).
func ValidateMoney(errs *validate.Errors, field string, amount decimal.Decimal, allowZero bool) {
	switch {
	case amount.IsNegative() || (!allowZero && amount.IsZero()):
		if allowZero {
			errs.Add(field, "must not be negative")
		} else {
			errs.Add(field, "must be greater than zero")
		}
	case !amount.Equal(amount.Round(2)):
		errs.Add(field, "must have at most two decimal places")
	default:
		CheckStorable(errs, field, amount)
	}
}

// MaxStorable is the largest amount a money column (NUMERIC(14,2)) holds.
var MaxStorable = decimal.New(1, 12).Sub(decimal.New(1, -2))

// CheckStorable records an error when amount does not fit a money column, so the
// database never refuses it with a numeric overflow.
func CheckStorable(errs *validate.Errors, field string, amount decimal.Decimal) {
	errs.Check(amount.Abs().LessThanOrEqual(MaxStorable), field, "is too large: the amount must be at most %s",
		MaxStorable.StringFixed(2))
}

// DefaultMaxAmount is the business cap on one charge, payment or adjustment
// when none is configured (MAX_AMOUNT): $1,000,000.
var DefaultMaxAmount = decimal.NewFromInt(1_000_000)

// CheckCap records an error when amount is above max, the practice's limit for
// one charge, payment or adjustment (a mistyped amount costs real money).
func CheckCap(errs *validate.Errors, field string, amount, max decimal.Decimal) {
	errs.Check(amount.LessThanOrEqual(max), field, "must not be above %s, the limit for one charge, payment or adjustment",
		max.StringFixed(2))
}

// AdjustmentInput reduces a patient balance without money changing hands.
type AdjustmentInput struct {
	AdjustmentID   string          `json:"adjustment_id"`
	CaseID         string          `json:"case_id"`
	Amount         decimal.Decimal `json:"amount"`
	Reason         string          `json:"reason"`
	IdempotencyKey string          `json:"idempotency_key"`
	// Category is AdjustSmallBalance for a dunning small-balance write-off (its
	// own ledger account); empty for an ordinary adjustment.
	Category string      `json:"category,omitempty"`
	Actor    audit.Actor `json:"actor"`
}

// AdjustSmallBalance is the category of a small-balance write-off: a balance
// under the dunning threshold taken off the books instead of sent to collections.
const AdjustSmallBalance = "small_balance"

// AdjustBadDebt is the category of a bad-debt write-off: a balance placed with
// the collection agency that the agency gave up on leaves collections A/R for
// the bad-debt expense (6200).
const AdjustBadDebt = "bad_debt"

// RecordAdjustment posts an adjustment against the patient balance. It never makes
// the balance negative: an adjustment larger than the balance is refused.
func (s *Service) RecordAdjustment(ctx context.Context, in AdjustmentInput) (PaymentResult, error) {
	var errs validate.Errors
	ValidateMoney(&errs, "amount", in.Amount, false)
	errs.Required("reason", in.Reason)
	if len(errs) > 0 {
		return PaymentResult{}, errs
	}
	hash := RequestHash(in.Amount.StringFixed(2), in.Reason)
	var out PaymentResult
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lockCase(tx, in.CaseID)
		if err != nil {
			return err
		}
		if prior, found, err := replay(tx, &Adjustment{}, c.ID, in.IdempotencyKey, hash); err != nil || found {
			out = prior
			return err
		}
		bal, err := ledger.CaseBalances(tx, c.ID)
		if err != nil {
			return err
		}
		limit, what := bal.PatientBalance(), "the patient balance"
		if in.Category == AdjustBadDebt {
			limit, what = bal.Get(ledger.ARCollections), "the balance placed with the collection agency"
		}
		if in.Amount.GreaterThan(limit) {
			return validate.Errors{{Field: "amount", Message: fmt.Sprintf(
				"exceeds %s of %s", what, limit.StringFixed(2))}}
		}
		a := Adjustment{ID: in.AdjustmentID, CaseID: c.ID, Amount: in.Amount, Reason: in.Reason,
			IdempotencyKey: in.IdempotencyKey, RequestHash: hash, CreatedBy: nonEmpty(in.Actor.UserID)}
		if err := tx.Create(&a).Error; err != nil {
			return fmt.Errorf("insert adjustment %s: %w", a.ID, err)
		}
		account, kind, from := ledger.Adjustments, "adjustment", ledger.ARPatient
		switch in.Category {
		case AdjustSmallBalance:
			account, kind = ledger.SmallBalanceWriteOff, "small_balance_write_off"
		case AdjustBadDebt:
			account, kind, from = ledger.BadDebt, "bad_debt_write_off", ledger.ARCollections
		}
		if err := post(tx, c, ledger.Journal{
			IdempotencyKey: "adjustment:" + a.ID, Kind: kind, SourceType: "adjustment", SourceID: a.ID,
			Memo:  "patient adjustment",
			Lines: []ledger.Line{ledger.Debit(account, a.Amount), ledger.Credit(from, a.Amount)},
		}); err != nil {
			return err
		}
		out = PaymentResult{PaymentID: a.ID, Amount: a.Amount}
		return audit.Record(tx, in.Actor, "adjustment.record", "adjustment", a.ID, map[string]any{
			"case_id": c.ID, "amount": a.Amount.StringFixed(2)})
	})
	return out, err
}

// CreditMove is money moved onto (positive, like a payment) or off (negative)
// a case's patient side without money changing hands on the case: a credit
// applied from or to another case of the patient, or a credit refunded.
// internal/credits posts its journal; the case workflow records it (the
// record-credit-move update) so that its totals agree with the ledger.
type CreditMove struct {
	ID     string          `json:"id"`
	CaseID string          `json:"case_id"`
	Amount decimal.Decimal `json:"amount"`
	// Kind is applied_in, applied_out or refund.
	Kind string `json:"kind"`
}

// Summary is the business-row view of a case's money, independent of the ledger.
type Summary struct {
	Charges     decimal.Decimal `json:"charges"`
	Payments    decimal.Decimal `json:"payments"`
	Adjustments decimal.Decimal `json:"adjustments"`
}

// Net is charges - payments - adjustments.
func (s Summary) Net() decimal.Decimal { return s.Charges.Sub(s.Payments).Sub(s.Adjustments) }

// CaseSummary totals a case's active charges, payments and adjustments (with
// what package sessions and promotions took off its charges). Payments count
// credits applied from other cases in and out, and refunds out
// (patient_credit_moves, internal/credits).
func CaseSummary(tx *gorm.DB, caseID string) (Summary, error) {
	var s Summary
	err := tx.Raw(`SELECT
		(SELECT coalesce(sum(amount), 0) FROM charges WHERE case_id = @id AND status = 'active') AS charges,
		(SELECT coalesce(sum(amount), 0) FROM payments WHERE case_id = @id)
		+ (SELECT coalesce(sum(amount), 0) FROM patient_credit_moves WHERE case_id = @id) AS payments,
		(SELECT coalesce(sum(amount), 0) FROM adjustments WHERE case_id = @id)
		+ (SELECT coalesce(sum(d.drawn + d.discount), 0) FROM charge_discounts d JOIN charges c ON c.id = d.charge_id
			WHERE c.case_id = @id AND d.voided_at IS NULL) AS adjustments`,
		map[string]any{"id": caseID}).Scan(&s).Error
	if err != nil {
		return s, fmt.Errorf("case summary %s: %w", caseID, err)
	}
	return s, nil
}

func toInt64(in []int) []int64 {
	out := make([]int64, len(in))
	for i, v := range in {
		out[i] = int64(v)
	}
	return out
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
