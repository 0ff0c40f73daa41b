// Package remit posts 835 electronic remittances: each claim payment is matched to
// a claim by its patient control number and posted to the ledger (payer payment to
// cash, contractual adjustment written down, patient responsibility moved to the
// patient's balance, or kept for the secondary payer when the case has one) in the
// same transaction as its remittance rows. A file is posted exactly once, keyed by
// payer and trace number, and a file that cannot be parsed posts nothing.
package remit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/denials"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/metrics"
	"github.com/clinicflow/rcm/internal/phicrypt"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/x12"
)

// Task queue and kind for claim payments that match no claim.
const (
	QueueUnmatched = tasks.QueueUnmatched
	KindUnmatched  = "unmatched_era_claim"
)

// ContractualReasons are the CO reason codes written off as the payer's contracted
// reduction. Other CO amounts (denials) stay in insurance A/R until a person
// decides: appeal, correct, write off or transfer.
var ContractualReasons = map[string]bool{"45": true, "253": true}

// Service posts remittances.
type Service struct {
	DB *gorm.DB
}

// ClaimResult is what happened to one claim payment.
type ClaimResult struct {
	PatientControlNumber string `json:"patient_control_number"`
	// RemittanceClaimID is the remittance_claims row recorded for the payment,
	// matched or not.
	RemittanceClaimID     string          `json:"remittance_claim_id"`
	ClaimID               string          `json:"claim_id,omitempty"`
	CaseID                string          `json:"case_id,omitempty"`
	Matched               bool            `json:"matched"`
	StatusCode            string          `json:"status_code"`
	Paid                  decimal.Decimal `json:"paid"`
	Contractual           decimal.Decimal `json:"contractual"`
	PatientResponsibility decimal.Decimal `json:"patient_responsibility"`
	// MovedToPatient is the part of PatientResponsibility posted to the
	// patient's balance by this payment; HeldForSecondary is the part left in
	// insurance A/R for the secondary claim. One of them is zero.
	MovedToPatient   decimal.Decimal `json:"moved_to_patient"`
	HeldForSecondary decimal.Decimal `json:"held_for_secondary"`
	// Reversal and Denied mirror CLP02 22 and 4.
	Reversal bool   `json:"reversal"`
	Denied   bool   `json:"denied"`
	Stage    string `json:"stage,omitempty"`
}

// RemittanceResult is the outcome for one 835 transaction in the file.
type RemittanceResult struct {
	RemittanceID  string          `json:"remittance_id"`
	PayerKey      string          `json:"payer_key"`
	TraceNumber   string          `json:"trace_number"`
	PaymentAmount decimal.Decimal `json:"payment_amount"`
	// AlreadyPosted is true when this payer's trace number was posted before; the
	// file changed nothing.
	AlreadyPosted bool          `json:"already_posted"`
	Claims        []ClaimResult `json:"claims"`
}

// Result is the outcome of ingesting one file.
type Result struct {
	Remittances []RemittanceResult `json:"remittances"`
	// Warnings are the envelope and optional-element slips the file was read
	// past (a wrong trailer count, an invalid BPR16 date...); the money
	// (CLP03/CLP04, BPR against CLP and PLB) is never one: it refuses the file.
	Warnings []string `json:"warnings,omitempty"`
}

// ErrUnbalanced is returned when a remittance's claim payments and provider
// adjustments do not add up to its payment amount.
var ErrUnbalanced = errors.New("remittance does not balance")

// Ingest parses an 835 file and posts every remittance in it in one transaction.
// A parse error (an *x12.ParseError naming the segment and position) or an
// unbalanced remittance posts nothing.
func (s *Service) Ingest(ctx context.Context, data []byte, actor audit.Actor) (Result, error) {
	rems, err := x12.Parse835(data)
	if err != nil {
		metrics.EDIFile("inbound", "835", "refused")
		return Result{}, err
	}
	for i := range rems {
		if err := rems[i].CheckBalance(); err != nil {
			return Result{}, fmt.Errorf("%w: transaction %d (trace %s): %v", ErrUnbalanced, i+1, rems[i].Trace.Number, err)
		}
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	var out Result
	for _, r := range rems {
		for _, w := range r.Warnings {
			if !slices.Contains(out.Warnings, w) {
				out.Warnings = append(out.Warnings, w)
			}
		}
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The file itself, once by its hash, so a claim's page can show the 835
		// that paid it (migration 00033), sealed: the file names the patients.
		if err := tx.Exec(`INSERT INTO edi_contents (sha256, kind, data) VALUES (?, '835', ?) ON CONFLICT (sha256) DO NOTHING`,
			hash, phicrypt.Bytes(data)).Error; err != nil {
			return fmt.Errorf("store 835 %s: %w", hash, err)
		}
		for _, r := range rems {
			rr, err := postRemittance(tx, r, hash, actor)
			if err != nil {
				return err
			}
			out.Remittances = append(out.Remittances, rr)
		}
		return nil
	})
	if err == nil {
		metrics.EDIFile("inbound", "835", "applied")
		countPosted(out)
	} else {
		metrics.EDIFile("inbound", "835", "refused")
	}
	return out, err
}

// countPosted tells the metrics what a committed file posted.
func countPosted(out Result) {
	for _, r := range out.Remittances {
		if r.AlreadyPosted {
			continue
		}
		for _, c := range r.Claims {
			outcome := "paid"
			switch {
			case !c.Matched:
				outcome = "unmatched"
			case c.Reversal:
				outcome = "reversal"
			case c.Denied:
				outcome = "denied"
			}
			metrics.RemittancePosted(outcome)
		}
	}
}

// PayerKey identifies the payer of a remittance: its payer ID (N1*PR or REF*2U),
// else the TRN originating company.
func PayerKey(r x12.Remittance) string {
	if r.Payer.ID != "" {
		return r.Payer.ID
	}
	return r.Trace.OriginatorID
}

type remittanceRow struct {
	ID              string `gorm:"primaryKey"`
	PayerKey        string
	TraceNumber     string
	PayerName       string
	PaymentAmount   decimal.Decimal
	PaymentMethod   string
	FileSha256      string `gorm:"column:file_sha256"`
	ClaimsPosted    int
	ClaimsUnmatched int
	ReceivedAt      time.Time
}

func (remittanceRow) TableName() string { return "remittances" }

type remittanceClaimRow struct {
	ID                    string `gorm:"primaryKey"`
	RemittanceID          string
	Seq                   int
	ClaimID               *string
	PatientControlNumber  string
	StatusCode            string
	Charge                decimal.Decimal
	Paid                  decimal.Decimal
	Contractual           decimal.Decimal
	PatientResponsibility decimal.Decimal
	PayerClaimNumber      string
	Detail                db.JSON
}

func (remittanceClaimRow) TableName() string { return "remittance_claims" }

func postRemittance(tx *gorm.DB, r x12.Remittance, hash string, actor audit.Actor) (RemittanceResult, error) {
	amount := r.Payment.Amount
	if r.Payment.CreditDebit == "D" {
		amount = amount.Neg()
	}
	row := remittanceRow{ID: uuid.NewString(), PayerKey: PayerKey(r), TraceNumber: r.Trace.Number,
		PayerName: r.Payer.Name, PaymentAmount: amount, PaymentMethod: r.Payment.Method, FileSha256: hash,
		ReceivedAt: time.Now().UTC()}
	rr := RemittanceResult{PayerKey: row.PayerKey, TraceNumber: row.TraceNumber, PaymentAmount: amount, Claims: []ClaimResult{}}
	res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "payer_key"}, {Name: "trace_number"}}, DoNothing: true}).Create(&row)
	if res.Error != nil {
		return rr, fmt.Errorf("record remittance %s/%s: %w", row.PayerKey, row.TraceNumber, res.Error)
	}
	if res.RowsAffected == 0 {
		rr.AlreadyPosted = true
		err := tx.Model(&remittanceRow{}).Where("payer_key = ? AND trace_number = ?", row.PayerKey, row.TraceNumber).
			Pluck("id", &rr.RemittanceID).Error
		return rr, err
	}
	rr.RemittanceID = row.ID
	for i, cp := range r.Claims {
		cr, err := postClaim(tx, row.ID, i+1, r.Payment.Date, cp, actor)
		if err != nil {
			return rr, err
		}
		if cr.Matched {
			row.ClaimsPosted++
		} else {
			row.ClaimsUnmatched++
		}
		rr.Claims = append(rr.Claims, cr)
	}
	if err := tx.Model(&remittanceRow{}).Where("id = ?", row.ID).Updates(map[string]any{
		"claims_posted": row.ClaimsPosted, "claims_unmatched": row.ClaimsUnmatched}).Error; err != nil {
		return rr, err
	}
	return rr, audit.Record(tx, actor, "remittance.post", "remittance", row.ID, map[string]any{
		"payer_key": row.PayerKey, "trace_number": row.TraceNumber, "payment_amount": amount.StringFixed(2),
		"claims_posted": row.ClaimsPosted, "claims_unmatched": row.ClaimsUnmatched})
}

// split is a claim payment's adjustments (claim and line level) by what posting
// does with them.
type split struct {
	contractual decimal.Decimal // CO with a ContractualReasons code: written down
	patient     decimal.Decimal // PR: the patient's share
	prior       decimal.Decimal // OA-23: settled by the prior payer (secondary claims)
}

func amounts(cp x12.ClaimPayment) split {
	var s split
	add := func(adjs []x12.Adjustment) {
		for _, a := range adjs {
			switch {
			case a.Group == "PR":
				s.patient = s.patient.Add(a.Amount)
			case a.Group == "CO" && ContractualReasons[a.Reason]:
				s.contractual = s.contractual.Add(a.Amount)
			case a.Group == "OA" && a.Reason == "23":
				s.prior = s.prior.Add(a.Amount)
			}
		}
	}
	add(cp.Adjustments)
	for _, l := range cp.ServiceLines {
		add(l.Adjustments)
	}
	return s
}

// postClaim records one claim payment and, when it matches a claim, posts it:
// the payment to cash, the contractual amount written down, and the patient's
// share moved to patient A/R, except on a primary claim whose case has a
// secondary coverage on the service date: there the patient's share stays in
// insurance A/R, billed to the secondary payer (claims.BuildSecondary), and only
// what the secondary leaves reaches the patient.
func postClaim(tx *gorm.DB, remittanceID string, seq int, paymentDate x12.Date, cp x12.ClaimPayment, actor audit.Actor) (ClaimResult, error) {
	a := amounts(cp)
	cr := ClaimResult{PatientControlNumber: cp.PatientControlNumber, StatusCode: cp.StatusCode, Paid: cp.Payment,
		Contractual: a.contractual, PatientResponsibility: a.patient, Reversal: cp.IsReversal, Denied: cp.IsDenial}
	// The patient's and insured's names and IDs are sealed (claims.SealRemittanceDetail).
	detail, err := claims.SealRemittanceDetail(claims.RemittanceDetail{ClaimPayment: cp, PaymentDate: paymentDate})
	if err != nil {
		return cr, err
	}
	rc := remittanceClaimRow{ID: uuid.NewString(), RemittanceID: remittanceID, Seq: seq,
		PatientControlNumber: cp.PatientControlNumber, StatusCode: cp.StatusCode, Charge: cp.TotalCharge,
		Paid: cp.Payment, Contractual: a.contractual, PatientResponsibility: a.patient,
		PayerClaimNumber: cp.PayerClaimControlNumber, Detail: detail}
	cr.RemittanceClaimID = rc.ID

	var cl claims.Claim
	found := tx.Raw(`SELECT * FROM claims WHERE patient_control_number = ? FOR UPDATE`, cp.PatientControlNumber).Scan(&cl)
	if found.Error != nil {
		return cr, found.Error
	}
	if found.RowsAffected == 0 {
		if err := tx.Create(&rc).Error; err != nil {
			return cr, err
		}
		_, err := (&tasks.Service{DB: tx}).Ensure(tx.Statement.Context, tasks.NewTask{
			Queue: QueueUnmatched, Kind: KindUnmatched,
			BusinessKey: fmt.Sprintf("unmatched-era:%s:%d", remittanceID, seq),
			Title:       "Remittance claim matches no claim",
			Details: map[string]any{"remittance_id": remittanceID, "patient_control_number": cp.PatientControlNumber,
				"paid": cp.Payment.StringFixed(2), "payer_claim_number": cp.PayerClaimControlNumber},
			Priority: 1,
		})
		return cr, err
	}
	cr.Matched, cr.ClaimID, cr.CaseID = true, cl.ID, cl.CaseID
	rc.ClaimID = &cl.ID
	if err := tx.Create(&rc).Error; err != nil {
		return cr, err
	}

	var patientID string
	if err := tx.Raw(`SELECT patient_id FROM cases WHERE id = ? FOR UPDATE`, cl.CaseID).Scan(&patientID).Error; err != nil {
		return cr, err
	}
	held := false
	if cl.Priority == records.PriorityPrimary {
		if _, held, err = claims.SecondaryCoverage(tx, cl); err != nil {
			return cr, err
		}
	}
	if held {
		cr.MovedToPatient, cr.HeldForSecondary = decimal.Zero, a.patient
	} else {
		cr.MovedToPatient, cr.HeldForSecondary = a.patient, decimal.Zero
	}
	event := []ledger.Line{
		ledger.Debit(ledger.Cash, cp.Payment),
		ledger.Debit(ledger.Contractual, a.contractual),
		ledger.Debit(ledger.ARPatient, cr.MovedToPatient),
		ledger.Credit(ledger.ARInsuranceUnbilled, cp.Payment.Add(a.contractual).Add(cr.MovedToPatient)),
	}
	j := ledger.Journal{IdempotencyKey: "era:" + rc.ID, Kind: "insurance_payment", CaseID: cl.CaseID, PatientID: patientID,
		SourceType: "remittance_claim", SourceID: rc.ID, Memo: "835 claim payment (" + cp.StatusCode + ")", Lines: event}
	if !(cp.Payment.IsZero() && a.contractual.IsZero() && cr.MovedToPatient.IsZero()) {
		if _, err := ledger.PostSettled(tx, j); err != nil {
			return cr, err
		}
	}

	stage := stageAfter(cp, a)
	cr.Stage = stage
	updates := map[string]any{"paid": cl.Paid.Add(cp.Payment), "contractual": cl.Contractual.Add(a.contractual),
		"patient_responsibility": cl.PatientResponsibility.Add(a.patient)}
	if cp.PayerClaimControlNumber != "" {
		updates["payer_claim_number"] = cp.PayerClaimControlNumber
	}
	if err := tx.Model(&claims.Claim{}).Where("id = ?", cl.ID).Updates(updates).Error; err != nil {
		return cr, err
	}
	happened := map[string]any{
		"remittance_id": remittanceID, "status_code": cp.StatusCode, "paid": cp.Payment.StringFixed(2),
		"contractual": a.contractual.StringFixed(2), "patient_responsibility": a.patient.StringFixed(2),
		"moved_to_patient": cr.MovedToPatient.StringFixed(2), "held_for_secondary": cr.HeldForSecondary.StringFixed(2)}
	if stage == claims.StageDenied {
		// The dashboard counts denials by category from this (report_counts).
		happened["denial_category"] = denials.CategoryOf(cp)
	}
	return cr, (&claims.Service{DB: tx}).Transition(tx.Statement.Context, cl.ID, stage, claims.Cause835, happened, actor)
}

// stageAfter is the claim's stage after a claim payment: a reversal reopens it, a
// denial is denied; otherwise it is paid when this payment settles the whole
// charge (paid, contracted away, passed to the patient or, on a secondary
// claim, already settled by the prior payer: OA-23) and partially paid when some
// of the charge stays open with the payer.
func stageAfter(cp x12.ClaimPayment, a split) string {
	switch {
	case cp.IsReversal:
		return claims.StageAccepted
	case cp.IsDenial:
		return claims.StageDenied
	case cp.Payment.Add(a.contractual).Add(a.patient).Add(a.prior).GreaterThanOrEqual(cp.TotalCharge):
		return claims.StagePaid
	default:
		return claims.StagePartiallyPaid
	}
}
