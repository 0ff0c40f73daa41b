// Package credits is what happens to money held for a patient (a patient
// credit: an overpayment, a prepayment, a payment posted twice). A biller can
// apply it to what the patient owes on the patient's other cases, and a credit
// nobody owes against can be refunded with a manager's approval, through the
// card processor or by check. Every move is one balanced journal written in the
// same transaction as its business row, keyed for idempotency; the moves it
// makes on each case are returned (billing.CreditMove) so the caller records
// them on the case workflows, whose totals then agree with the ledger.
package credits

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/payments"
	"github.com/clinicflow/rcm/internal/validate"
)

// ErrNotFound is returned for an unknown patient, case or refund.
var ErrNotFound = apperr.New(apperr.NotFound, "not found")

// ErrNothingToApply is returned when the patient has no credit on one case
// and balance on another to net.
var ErrNothingToApply = apperr.New(apperr.Conflict, "the patient has no credit to apply to a balance on another case")

// Service applies and refunds patient credits.
type Service struct {
	DB *gorm.DB
	// Processor pays card refunds; nil means card refunds cannot be paid out
	// (they stay approved until it is configured).
	Processor payments.PaymentProcessor
}

// CaseMoney is one case's patient side, from the ledger.
type CaseMoney struct {
	CaseID string          `json:"case_id"`
	Title  string          `json:"title"`
	Owed   decimal.Decimal `json:"owed"`
	Credit decimal.Decimal `json:"credit"`
	// InCollections is placed with the collection agency (not netted).
	InCollections decimal.Decimal `json:"in_collections"`
}

// Position is a patient's credits and balances across cases.
type Position struct {
	PatientID string `json:"patient_id"`
	// Owed is patient A/R on all cases, Credit what is held for the patient,
	// InCollections what is placed with the agency.
	Owed          decimal.Decimal `json:"owed"`
	Credit        decimal.Decimal `json:"credit"`
	InCollections decimal.Decimal `json:"in_collections"`
	// Applicable is how much credit can be applied to balances on other cases
	// now: min(credit, owed).
	Applicable decimal.Decimal `json:"applicable"`
	// Refundable is credit no balance of the patient claims, less refunds
	// already requested and not decided: what may still be refunded.
	Refundable decimal.Decimal `json:"refundable"`
	// PendingRefunds are refunds requested and not yet decided (an approved
	// refund has already left the credit).
	PendingRefunds decimal.Decimal `json:"pending_refunds"`
	Cases          []CaseMoney     `json:"cases"`
}

// lockPatientCases locks every case of the patient (in id order, so two
// operations on the same patient cannot deadlock) and returns them oldest
// first with their balances.
func lockPatientCases(tx *gorm.DB, patientID string) ([]CaseMoney, error) {
	if uuid.Validate(patientID) != nil {
		return nil, fmt.Errorf("patient %s: %w", patientID, ErrNotFound)
	}
	var ids []string
	if err := tx.Raw(`SELECT id FROM cases WHERE patient_id = ? ORDER BY id FOR UPDATE`, patientID).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("lock cases of patient: %w", err)
	}
	return patientCases(tx, patientID)
}

// patientCases reads each case's patient side, oldest case first.
func patientCases(tx *gorm.DB, patientID string) ([]CaseMoney, error) {
	var rows []struct {
		ID, Title          string
		Owed, Credit, Coll decimal.Decimal
	}
	err := tx.Raw(`SELECT c.id, c.title,
		coalesce(sum(l.amount) FILTER (WHERE l.account_code = @ar), 0) AS owed,
		coalesce(-sum(l.amount) FILTER (WHERE l.account_code = @credit), 0) AS credit,
		coalesce(sum(l.amount) FILTER (WHERE l.account_code = @coll), 0) AS coll
		FROM cases c LEFT JOIN journal_lines l ON l.case_id = c.id AND l.account_code IN (@ar, @credit, @coll)
		WHERE c.patient_id = @p GROUP BY c.id, c.title, c.opened_at ORDER BY c.opened_at, c.id`,
		map[string]any{"p": patientID, "ar": string(ledger.ARPatient), "credit": string(ledger.PatientCredit),
			"coll": string(ledger.ARCollections)}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("patient cases: %w", err)
	}
	out := make([]CaseMoney, 0, len(rows))
	for _, r := range rows {
		out = append(out, CaseMoney{CaseID: r.ID, Title: r.Title, Owed: r.Owed, Credit: r.Credit, InCollections: r.Coll})
	}
	return out, nil
}

func position(tx *gorm.DB, patientID string, cases []CaseMoney) (Position, error) {
	p := Position{PatientID: patientID, Cases: cases}
	for _, c := range cases {
		p.Owed = p.Owed.Add(c.Owed)
		p.Credit = p.Credit.Add(c.Credit)
		p.InCollections = p.InCollections.Add(c.InCollections)
	}
	if err := tx.Raw(`SELECT coalesce(sum(amount), 0) FROM patient_refunds WHERE patient_id = ? AND status = ?`,
		patientID, RefundRequested).Scan(&p.PendingRefunds).Error; err != nil {
		return p, fmt.Errorf("pending refunds: %w", err)
	}
	p.Applicable = decimal.Min(p.Credit, p.Owed)
	p.Refundable = decimal.Max(p.Credit.Sub(p.Owed).Sub(p.InCollections).Sub(p.PendingRefunds), decimal.Zero)
	return p, nil
}

// Position reads a patient's credits and balances across cases.
func (s *Service) Position(ctx context.Context, patientID string) (Position, error) {
	tx := s.DB.WithContext(ctx)
	var n int64
	if uuid.Validate(patientID) != nil {
		return Position{}, fmt.Errorf("patient %s: %w", patientID, ErrNotFound)
	}
	if err := tx.Table("patients").Where("id = ?", patientID).Count(&n).Error; err != nil {
		return Position{}, err
	}
	if n == 0 {
		return Position{}, fmt.Errorf("patient %s: %w", patientID, ErrNotFound)
	}
	cases, err := patientCases(tx, patientID)
	if err != nil {
		return Position{}, err
	}
	return position(tx, patientID, cases)
}

// ApplyInput asks to apply a patient's credit to balances on other cases.
type ApplyInput struct {
	PatientID string `json:"patient_id"`
	// FromCaseID and ToCaseID narrow the move to one case holding credit and
	// one case owing; empty: every case, oldest first.
	FromCaseID string `json:"from_case_id,omitempty"`
	ToCaseID   string `json:"to_case_id,omitempty"`
	// Amount is how much to apply; zero: as much as can be.
	Amount         decimal.Decimal `json:"amount"`
	Note           string          `json:"note,omitempty"`
	IdempotencyKey string          `json:"idempotency_key"`
	Actor          audit.Actor     `json:"actor"`
}

// Application is a credit applied across cases.
type Application struct {
	ID        string          `json:"id"`
	PatientID string          `json:"patient_id"`
	Amount    decimal.Decimal `json:"amount"`
	JournalID string          `json:"journal_id"`
	// Moves are what the application did to each case (positive: applied to
	// the case's balance; negative: taken from its credit).
	Moves     []billing.CreditMove `json:"moves"`
	CreatedAt time.Time            `json:"created_at"`
	Replayed  bool                 `json:"replayed"`
}

type applicationRow struct {
	ID             string `gorm:"primaryKey;type:uuid"`
	PatientID      string `gorm:"type:uuid"`
	Amount         decimal.Decimal
	IdempotencyKey string
	RequestHash    string
	Note           string
	CreatedBy      *string `gorm:"type:uuid"`
	CreatedAt      time.Time
}

func (applicationRow) TableName() string { return "credit_applications" }

type moveRow struct {
	ID         string `gorm:"primaryKey;type:uuid"`
	CaseID     string `gorm:"type:uuid"`
	PatientID  string `gorm:"type:uuid"`
	Kind       string
	Amount     decimal.Decimal
	SourceType string
	SourceID   string `gorm:"type:uuid"`
	CreatedAt  time.Time
}

func (moveRow) TableName() string { return "patient_credit_moves" }

// Kinds of credit moves (patient_credit_moves.kind).
const (
	MoveAppliedIn  = "applied_in"
	MoveAppliedOut = "applied_out"
	MoveRefund     = "refund"
	// MoveRefundCancelled returns the credit of an approved refund cancelled
	// before it was paid out.
	MoveRefundCancelled = "refund_cancelled"
)

// Apply moves credit held on some of a patient's cases onto what the patient
// owes on others, oldest first, as one balanced journal (patient credit
// debited on the cases that held it, patient A/R credited on the cases that
// owed) with its business row, in one transaction. The idempotency key makes a
// retried request apply once and answer the first application; the same key
// with another request is a conflict. Balances placed with the collection
// agency are not netted.
func (s *Service) Apply(ctx context.Context, in ApplyInput) (Application, error) {
	var errs validate.Errors
	if !in.Amount.IsZero() {
		billing.ValidateMoney(&errs, "amount", in.Amount, false)
	}
	errs.Check(in.FromCaseID == "" || uuid.Validate(in.FromCaseID) == nil, "from_case_id", "must be a case id")
	errs.Check(in.ToCaseID == "" || uuid.Validate(in.ToCaseID) == nil, "to_case_id", "must be a case id")
	errs.Check(in.FromCaseID == "" || in.FromCaseID != in.ToCaseID, "to_case_id", "must be another case than from_case_id")
	errs.Required("idempotency_key", in.IdempotencyKey)
	if len(errs) > 0 {
		return Application{}, errs
	}
	hash := billing.RequestHash(in.PatientID, in.FromCaseID, in.ToCaseID, in.Amount.StringFixed(2))
	var out Application
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cases, err := lockPatientCases(tx, in.PatientID)
		if err != nil {
			return err
		}
		var prior applicationRow
		if res := tx.Where("idempotency_key = ?", in.IdempotencyKey).Limit(1).Find(&prior); res.Error != nil {
			return res.Error
		} else if res.RowsAffected > 0 {
			if prior.RequestHash != hash || prior.PatientID != in.PatientID {
				return billing.ErrIdempotencyConflict
			}
			out, err = loadApplication(tx, prior)
			out.Replayed = true
			return err
		}
		var from, to []CaseMoney
		for _, c := range cases {
			if c.Credit.IsPositive() && (in.FromCaseID == "" || c.CaseID == in.FromCaseID) {
				from = append(from, c)
			}
			if c.Owed.IsPositive() && (in.ToCaseID == "" || c.CaseID == in.ToCaseID) {
				to = append(to, c)
			}
		}
		if err := knownCase(cases, "from_case_id", in.FromCaseID); err != nil {
			return err
		}
		if err := knownCase(cases, "to_case_id", in.ToCaseID); err != nil {
			return err
		}
		credit, owed := decimal.Zero, decimal.Zero
		for _, c := range from {
			credit = credit.Add(c.Credit)
		}
		for _, c := range to {
			owed = owed.Add(c.Owed)
		}
		possible := decimal.Min(credit, owed)
		amount := in.Amount
		switch {
		case !possible.IsPositive():
			return ErrNothingToApply
		case amount.IsZero():
			amount = possible
		case amount.GreaterThan(possible):
			return validate.Errors{{Field: "amount", Message: fmt.Sprintf(
				"exceeds what can be applied: %s of credit against %s owed on other cases", credit.StringFixed(2), owed.StringFixed(2))}}
		}
		row := applicationRow{ID: uuid.NewString(), PatientID: in.PatientID, Amount: amount, IdempotencyKey: in.IdempotencyKey,
			RequestHash: hash, Note: in.Note, CreatedBy: nonEmpty(in.Actor.UserID), CreatedAt: time.Now().UTC()}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("store credit application: %w", err)
		}
		// Greedy, oldest first on both sides; each case gets one line.
		var lines []ledger.Line
		var moves []moveRow
		move := func(caseID, kind string, amt decimal.Decimal) {
			for i := range moves {
				if moves[i].CaseID == caseID && moves[i].Kind == kind {
					moves[i].Amount = moves[i].Amount.Add(amt)
					return
				}
			}
			moves = append(moves, moveRow{ID: uuid.NewString(), CaseID: caseID, PatientID: in.PatientID, Kind: kind, Amount: amt,
				SourceType: "credit_application", SourceID: row.ID, CreatedAt: row.CreatedAt})
		}
		left, fi, ti := amount, 0, 0
		fromLeft, toLeft := from[0].Credit, to[0].Owed
		for left.IsPositive() {
			m := decimal.Min(left, decimal.Min(fromLeft, toLeft))
			lines = append(lines, ledger.Debit(ledger.PatientCredit, m).OnCase(from[fi].CaseID),
				ledger.Credit(ledger.ARPatient, m).OnCase(to[ti].CaseID))
			move(from[fi].CaseID, MoveAppliedOut, m.Neg())
			move(to[ti].CaseID, MoveAppliedIn, m)
			left, fromLeft, toLeft = left.Sub(m), fromLeft.Sub(m), toLeft.Sub(m)
			if !fromLeft.IsPositive() && fi+1 < len(from) {
				fi++
				fromLeft = from[fi].Credit
			}
			if !toLeft.IsPositive() && ti+1 < len(to) {
				ti++
				toLeft = to[ti].Owed
			}
		}
		if _, err := ledger.Post(tx, ledger.Journal{IdempotencyKey: "credit-application:" + row.ID, Kind: "credit_applied",
			CaseID: from[0].CaseID, PatientID: in.PatientID, SourceType: "credit_application", SourceID: row.ID,
			Memo: "patient credit applied to a balance on another case", Lines: lines}); err != nil {
			return err
		}
		if err := tx.Create(&moves).Error; err != nil {
			return fmt.Errorf("store credit moves: %w", err)
		}
		out, err = loadApplication(tx, row)
		if err != nil {
			return err
		}
		return audit.Record(tx, in.Actor, "credit.apply", "patient", in.PatientID, map[string]any{
			"application_id": row.ID, "amount": amount.StringFixed(2), "cases": len(moves)})
	})
	return out, err
}

func knownCase(cases []CaseMoney, field, id string) error {
	if id == "" {
		return nil
	}
	for _, c := range cases {
		if c.CaseID == id {
			return nil
		}
	}
	return validate.Errors{{Field: field, Message: "is not a case of this patient"}}
}

func loadApplication(tx *gorm.DB, r applicationRow) (Application, error) {
	a := Application{ID: r.ID, PatientID: r.PatientID, Amount: r.Amount, CreatedAt: r.CreatedAt}
	if err := tx.Raw(`SELECT id FROM journals WHERE idempotency_key = ?`, "credit-application:"+r.ID).Scan(&a.JournalID).Error; err != nil {
		return a, err
	}
	moves, err := loadMoves(tx, "credit_application", r.ID)
	a.Moves = moves
	return a, err
}

func loadMoves(tx *gorm.DB, sourceType, sourceID string) ([]billing.CreditMove, error) {
	var rows []moveRow
	if err := tx.Where("source_type = ? AND source_id = ?", sourceType, sourceID).Order("amount, case_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("credit moves of %s %s: %w", sourceType, sourceID, err)
	}
	out := make([]billing.CreditMove, 0, len(rows))
	for _, r := range rows {
		out = append(out, billing.CreditMove{ID: r.ID, CaseID: r.CaseID, Amount: r.Amount, Kind: r.Kind})
	}
	return out, nil
}

// Applications lists a patient's credit applications, newest first.
func (s *Service) Applications(ctx context.Context, patientID string, limit int) ([]Application, error) {
	tx := s.DB.WithContext(ctx)
	var rows []applicationRow
	if err := tx.Where("patient_id = ?", patientID).Order("created_at DESC, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Application, 0, len(rows))
	for _, r := range rows {
		a, err := loadApplication(tx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// IsNotFound reports whether err is this package's not found.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// Holder is a patient holding credit, for the billing team's list of credits
// to apply or refund (an unapplied credit is money owed back to the patient).
type Holder struct {
	PatientID     string          `json:"patient_id"`
	Credit        decimal.Decimal `json:"credit"`
	Owed          decimal.Decimal `json:"owed"`
	InCollections decimal.Decimal `json:"in_collections"`
	// Applicable can be applied to the patient's other cases now; Refundable
	// is the credit no balance claims (before refunds already requested).
	Applicable decimal.Decimal `json:"applicable"`
	Refundable decimal.Decimal `json:"refundable"`
	// Since is when the oldest journal still holding the credit posted.
	Since time.Time `json:"since"`
}

// Holders lists the patients holding credit, largest first.
func (s *Service) Holders(ctx context.Context, limit int) ([]Holder, error) {
	var rows []Holder
	err := s.DB.WithContext(ctx).Raw(`SELECT c.patient_id,
		-sum(l.amount) FILTER (WHERE l.account_code = @credit) AS credit,
		coalesce(sum(l.amount) FILTER (WHERE l.account_code = @ar), 0) AS owed,
		coalesce(sum(l.amount) FILTER (WHERE l.account_code = @coll), 0) AS in_collections,
		min(j.posted_at) FILTER (WHERE l.account_code = @credit AND l.amount < 0) AS since
		FROM journal_lines l JOIN journals j ON j.id = l.journal_id JOIN cases c ON c.id = l.case_id
		WHERE l.account_code IN (@credit, @ar, @coll)
		  AND (NOT @limited OR c.patient_id IN (SELECT id FROM patients WHERE location_id = ANY(CAST(@locations AS uuid[]))
		       UNION SELECT cs.patient_id FROM cases cs WHERE cs.location_id = ANY(CAST(@locations AS uuid[]))
		       UNION SELECT cs.patient_id FROM cases cs JOIN encounters e ON e.case_id = cs.id WHERE e.location_id = ANY(CAST(@locations AS uuid[]))))
		GROUP BY c.patient_id HAVING -sum(l.amount) FILTER (WHERE l.account_code = @credit) > 0
		ORDER BY credit DESC, c.patient_id LIMIT @limit`,
		map[string]any{"credit": string(ledger.PatientCredit), "ar": string(ledger.ARPatient),
			"coll": string(ledger.ARCollections), "limit": limit,
			"limited": access.FromContext(ctx).Limited(), "locations": access.FromContext(ctx).LocationArray()}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("credit holders: %w", err)
	}
	for i := range rows {
		h := &rows[i]
		h.Applicable = decimal.Min(h.Credit, h.Owed)
		h.Refundable = decimal.Max(h.Credit.Sub(h.Owed).Sub(h.InCollections), decimal.Zero)
	}
	return rows, nil
}
