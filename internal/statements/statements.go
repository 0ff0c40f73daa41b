// Package statements builds, renders and stores patient statements: what the
// patient owes, case by case, with the services, insurance payments and
// adjustments, patient payments and credits behind it, in HTML and PDF from a
// template the practice brands. Every figure comes from the ledger, so a
// statement and the books agree to the cent. A statement never carries a
// diagnosis. Once issued it is stored as sent (its model, the model's SHA-256 and
// the PDF bytes) and issuing is idempotent per key (one per dunning step).
package statements

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/ledger"
)

// ErrNotFound is returned for an unknown statement or patient.
var ErrNotFound = apperr.New(apperr.NotFound, "not found")

// ErrNothingDue is returned when a statement is asked for a patient who owes
// nothing and has no credit.
var ErrNothingDue = apperr.New(apperr.Conflict, "the patient has no open balance or credit to put on a statement")

// DueIn is how long after issue a statement is due.
const DueIn = 21 * 24 * time.Hour

// Statement is everything a statement shows; it is stored as issued and rendered
// from again. It holds no diagnosis codes or descriptions.
type Statement struct {
	ID        string    `json:"id"`
	Number    string    `json:"number"`
	PatientID string    `json:"patient_id"`
	CaseID    string    `json:"case_id,omitempty"`
	IssuedAt  time.Time `json:"issued_at"`
	DueDate   string    `json:"due_date"`
	Practice  Branding  `json:"practice"`
	// Guarantor is who the statement is addressed to.
	Guarantor Guarantor     `json:"guarantor"`
	Cases     []CaseSection `json:"cases"`
	Totals    Totals        `json:"totals"`
	Aging     Aging         `json:"aging"`
	// PayURL is the payment link printed on the statement (empty when none).
	PayURL   string `json:"pay_url,omitempty"`
	HowToPay string `json:"how_to_pay"`
}

// Guarantor is the addressee.
type Guarantor struct {
	Name    string   `json:"name"`
	Address []string `json:"address"`
	Account string   `json:"account"`
}

// CaseSection is one case on a statement.
type CaseSection struct {
	CaseID string  `json:"case_id"`
	Title  string  `json:"title"`
	Visits []Visit `json:"visits"`
	Totals Totals  `json:"totals"`
}

// Visit is one date of service.
type Visit struct {
	Date     string `json:"date"`
	Services []Line `json:"services"`
}

// Line is one service in plain language.
type Line struct {
	Code        string          `json:"code"`
	Description string          `json:"description"`
	Units       int             `json:"units"`
	Amount      decimal.Decimal `json:"amount"`
}

// Totals are a case's (or the whole statement's) money, from the ledger.
// Charges - InsurancePaid - InsuranceAdjustments - PendingInsurance -
// PatientPayments - Adjustments - CreditsApplied + Refunded - Other = Balance.
type Totals struct {
	Charges              decimal.Decimal `json:"charges"`
	InsurancePaid        decimal.Decimal `json:"insurance_paid"`
	InsuranceAdjustments decimal.Decimal `json:"insurance_adjustments"`
	PendingInsurance     decimal.Decimal `json:"pending_insurance"`
	PatientPayments      decimal.Decimal `json:"patient_payments"`
	Adjustments          decimal.Decimal `json:"adjustments"`
	// CreditsApplied is credit a biller applied from the patient's other cases
	// to this one (negative: this case's credit applied to another case).
	CreditsApplied decimal.Decimal `json:"credits_applied,omitzero"`
	// Refunded is credit refunded to the patient (approved refunds).
	Refunded decimal.Decimal `json:"refunded,omitzero"`
	// Owed is what the patient owes (patient and collections A/R), Credit what is
	// held for the patient; Balance = Owed - Credit (negative: a credit).
	Owed    decimal.Decimal `json:"owed"`
	Credit  decimal.Decimal `json:"credit"`
	Balance decimal.Decimal `json:"balance"`
}

func (t Totals) add(o Totals) Totals {
	return Totals{Charges: t.Charges.Add(o.Charges), InsurancePaid: t.InsurancePaid.Add(o.InsurancePaid),
		InsuranceAdjustments: t.InsuranceAdjustments.Add(o.InsuranceAdjustments),
		PendingInsurance:     t.PendingInsurance.Add(o.PendingInsurance), PatientPayments: t.PatientPayments.Add(o.PatientPayments),
		Adjustments: t.Adjustments.Add(o.Adjustments), CreditsApplied: t.CreditsApplied.Add(o.CreditsApplied),
		Refunded: t.Refunded.Add(o.Refunded), Owed: t.Owed.Add(o.Owed), Credit: t.Credit.Add(o.Credit),
		Balance: t.Balance.Add(o.Balance)}
}

// AmountDue is the statement's bottom line: the balance netted across cases
// (a credit on one case pays toward another), never below zero.
func (t Totals) AmountDue() decimal.Decimal { return decimal.Max(t.Balance, decimal.Zero) }

// Aging splits what is owed by the age of the charge that made it (first in,
// first paid).
type Aging struct {
	Current decimal.Decimal `json:"current"`
	Days30  decimal.Decimal `json:"days_31_60"`
	Days60  decimal.Decimal `json:"days_61_90"`
	Days90  decimal.Decimal `json:"over_90"`
}

// Service builds and stores statements.
type Service struct {
	DB *gorm.DB
	// BaseURL is where payment links point (the public /pay page).
	BaseURL string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Build assembles the statement of a patient (caseID empty: all open cases) as
// of now, without storing it.
func (s *Service) Build(ctx context.Context, patientID, caseID string) (Statement, error) {
	return build(s.DB.WithContext(ctx), patientID, caseID, s.now())
}

func build(tx *gorm.DB, patientID, caseID string, now time.Time) (Statement, error) {
	var p struct {
		FirstName, LastName, Address1, Address2, City, State, Zip string
	}
	if uuid.Validate(patientID) != nil {
		return Statement{}, fmt.Errorf("patient %s: %w", patientID, ErrNotFound)
	}
	res := tx.Raw(`SELECT first_name, last_name, address1, address2, city, state, zip FROM patients WHERE id = ?`, patientID).Scan(&p)
	if res.Error != nil {
		return Statement{}, res.Error
	}
	if res.RowsAffected == 0 {
		return Statement{}, fmt.Errorf("patient %s: %w", patientID, ErrNotFound)
	}
	st := Statement{PatientID: patientID, CaseID: caseID, IssuedAt: now,
		DueDate:  now.Add(DueIn).Format(time.DateOnly),
		HowToPay: "Pay online with the link below, by phone, or in person at the front desk."}
	st.Guarantor = Guarantor{Name: p.FirstName + " " + p.LastName, Account: AccountNumber(patientID)}
	for _, l := range []string{p.Address1, p.Address2, cityLine(p.City, p.State, p.Zip)} {
		if l != "" {
			st.Guarantor.Address = append(st.Guarantor.Address, l)
		}
	}
	var caseRows []struct {
		ID, Title, Kind string
		LocationID      *string
	}
	q := tx.Raw(`SELECT c.id, c.title, c.kind,
		(SELECT e.location_id FROM encounters e WHERE e.case_id = c.id ORDER BY e.service_date DESC, e.id LIMIT 1) AS location_id
		FROM cases c WHERE c.patient_id = ? AND (? = '' OR c.id::text = ?) ORDER BY c.opened_at, c.id`, patientID, caseID, caseID)
	if err := q.Scan(&caseRows).Error; err != nil {
		return st, err
	}
	if caseID != "" && len(caseRows) == 0 {
		return st, fmt.Errorf("case %s of patient: %w", caseID, ErrNotFound)
	}
	var location string
	for _, c := range caseRows {
		sec, err := caseSection(tx, c.ID, c.Title)
		if err != nil {
			return st, err
		}
		if sec.Totals.Owed.IsZero() && sec.Totals.Credit.IsZero() && caseID == "" {
			continue // settled cases stay off the statement
		}
		if c.LocationID != nil {
			location = *c.LocationID
		}
		st.Cases = append(st.Cases, sec)
		st.Totals = st.Totals.add(sec.Totals)
	}
	b, err := brandingFor(tx, location)
	if err != nil {
		return st, err
	}
	st.Practice = b
	st.Aging, err = aging(tx, st.Cases, st.Totals.AmountDue(), now)
	return st, err
}

func cityLine(city, state, zip string) string {
	switch {
	case city == "" && state == "" && zip == "":
		return ""
	case city == "":
		return state + " " + zip
	}
	return city + ", " + state + " " + zip
}

// AccountNumber is the guarantor account number printed on statements and in
// the collections file: derived from the patient id, not PHI.
func AccountNumber(patientID string) string {
	h := sha256.Sum256([]byte("account:" + patientID))
	return "A" + hex.EncodeToString(h[:])[:10]
}

func caseSection(tx *gorm.DB, caseID, title string) (CaseSection, error) {
	sec := CaseSection{CaseID: caseID, Title: title}
	var lines []struct {
		ServiceDate   time.Time
		ProcedureCode string
		Units         int
		Amount        decimal.Decimal
		Description   string
	}
	// Services in plain language: the fee schedule's description, never the
	// diagnoses (which are not selected here at all).
	err := tx.Raw(`SELECT e.service_date, ch.procedure_code, ch.units, ch.amount,
		coalesce((SELECT i.description FROM fee_schedule_items i WHERE i.procedure_code = ch.procedure_code
			AND i.fee_schedule_id = coalesce(c.fee_schedule_id, (SELECT id FROM fee_schedules WHERE is_default))), '') AS description
		FROM charges ch JOIN encounters e ON e.id = ch.encounter_id JOIN cases c ON c.id = ch.case_id
		WHERE ch.case_id = ? AND ch.status = 'active' ORDER BY e.service_date, ch.created_at, ch.id`, caseID).Scan(&lines).Error
	if err != nil {
		return sec, fmt.Errorf("statement lines of case %s: %w", caseID, err)
	}
	for _, l := range lines {
		d := l.ServiceDate.Format(time.DateOnly)
		if len(sec.Visits) == 0 || sec.Visits[len(sec.Visits)-1].Date != d {
			sec.Visits = append(sec.Visits, Visit{Date: d})
		}
		desc := l.Description
		if desc == "" {
			desc = "Medical service"
		}
		v := &sec.Visits[len(sec.Visits)-1]
		v.Services = append(v.Services, Line{Code: l.ProcedureCode, Description: desc, Units: l.Units, Amount: l.Amount})
	}
	bal, err := ledger.CaseBalances(tx, caseID)
	if err != nil {
		return sec, err
	}
	var cash []struct {
		Kind  string
		Total decimal.Decimal
	}
	if err := tx.Raw(`SELECT j.kind, sum(l.amount) AS total FROM journals j JOIN journal_lines l ON l.journal_id = j.id
		WHERE j.case_id = ? AND l.account_code = ? GROUP BY j.kind`, caseID, string(ledger.Cash)).Scan(&cash).Error; err != nil {
		return sec, err
	}
	t := Totals{
		Charges:              bal.Get(ledger.Revenue).Neg(),
		InsuranceAdjustments: bal.Get(ledger.Contractual).Add(bal.Get(ledger.InsuranceWriteOff)),
		PendingInsurance:     bal.Get(ledger.ARInsuranceUnbilled).Add(bal.Get(ledger.ARHeld)),
		Adjustments: bal.Get(ledger.Adjustments).Add(bal.Get(ledger.SmallBalanceWriteOff)).
			Add(bal.Get(ledger.CollectionCommission)).Add(bal.Get(ledger.BadDebt)),
		Owed:   bal.PatientBalance(),
		Credit: bal.PatientCredit(),
	}
	for _, c := range cash {
		switch c.Kind {
		case "insurance_payment":
			t.InsurancePaid = t.InsurancePaid.Add(c.Total)
		case "refund_paid":
			// Shown when approved (Refunded), not again when paid out.
		default:
			t.PatientPayments = t.PatientPayments.Add(c.Total)
		}
	}
	// Credits applied across cases and refunds (internal/credits), from the
	// ledger lines they left on this case's patient side.
	var moved []struct {
		Kind  string
		Total decimal.Decimal
	}
	if err := tx.Raw(`SELECT j.kind, sum(l.amount) AS total FROM journals j JOIN journal_lines l ON l.journal_id = j.id
		WHERE l.case_id = ? AND l.account_code IN (?, ?) AND j.kind IN ('credit_applied', 'refund_approved', 'refund_cancelled') GROUP BY j.kind`,
		caseID, string(ledger.ARPatient), string(ledger.PatientCredit)).Scan(&moved).Error; err != nil {
		return sec, err
	}
	for _, m := range moved {
		if m.Kind == "credit_applied" {
			t.CreditsApplied = m.Total.Neg()
		} else { // approved, less cancelled
			t.Refunded = t.Refunded.Add(m.Total)
		}
	}
	t.Balance = t.Owed.Sub(t.Credit)
	sec.Totals = t
	return sec, nil
}

// aging spreads the amount due over the services' dates: payments apply to the
// oldest charges first, so what is still due is the newest services' money,
// taken from the newest backwards.
func aging(_ *gorm.DB, secs []CaseSection, due decimal.Decimal, now time.Time) (Aging, error) {
	var a Aging
	type dated struct {
		day time.Time
		amt decimal.Decimal
	}
	var all []dated
	for _, s := range secs {
		for _, v := range s.Visits {
			d, err := time.Parse(time.DateOnly, v.Date)
			if err != nil {
				return a, err
			}
			for _, l := range v.Services {
				all = append(all, dated{d, l.Amount})
			}
		}
	}
	// newest first
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && all[j].day.After(all[j-1].day); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	left := due
	for i, d := range all {
		take := decimal.Min(left, d.amt)
		if i == len(all)-1 {
			take = left // anything not explained by a service (an insurance transfer) ages with the oldest
		}
		if !take.IsPositive() {
			continue
		}
		left = left.Sub(take)
		switch age := now.Sub(d.day); {
		case age <= 30*24*time.Hour:
			a.Current = a.Current.Add(take)
		case age <= 60*24*time.Hour:
			a.Days30 = a.Days30.Add(take)
		case age <= 90*24*time.Hour:
			a.Days60 = a.Days60.Add(take)
		default:
			a.Days90 = a.Days90.Add(take)
		}
	}
	if left.IsPositive() {
		a.Current = a.Current.Add(left)
	}
	return a, nil
}

// Row is a stored statement.
type Row struct {
	ID             string `gorm:"primaryKey;type:uuid"`
	Number         string
	PatientID      string  `gorm:"type:uuid"`
	CaseID         *string `gorm:"type:uuid"`
	IdempotencyKey string
	AmountDue      decimal.Decimal `gorm:"type:numeric(14,2)"`
	DueDate        time.Time       `gorm:"type:date"`
	Content        []byte          `gorm:"type:jsonb"`
	ContentSHA256  string          `gorm:"column:content_sha256"`
	PDF            []byte          `gorm:"column:pdf"`
	IssuedAt       time.Time
}

// TableName is the statements table.
func (Row) TableName() string { return "statements" }

// Statement decodes the stored model.
func (r Row) Statement() (Statement, error) {
	var st Statement
	err := json.Unmarshal(r.Content, &st)
	return st, err
}

// IssueInput asks for a statement to be issued.
type IssueInput struct {
	PatientID string `json:"patient_id"`
	CaseID    string `json:"case_id,omitempty"`
	// Key makes issuing idempotent: the same key returns the statement issued
	// first (a dunning step issues under "dunning:<patient>:<step>").
	Key string `json:"key"`
	// PayURL is the payment link to print (optional).
	PayURL string      `json:"pay_url,omitempty"`
	Actor  audit.Actor `json:"actor"`
}

// Issued is what issuing answers.
type Issued struct {
	ID        string          `json:"id"`
	Number    string          `json:"number"`
	AmountDue decimal.Decimal `json:"amount_due"`
	SHA256    string          `json:"sha256"`
	Replayed  bool            `json:"replayed"`
}

// Issue builds, renders and stores a statement once per key.
func (s *Service) Issue(ctx context.Context, in IssueInput) (Issued, error) {
	var out Issued
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		out, err = s.IssueTx(tx, in)
		return err
	})
	return out, err
}

// IssueTx is Issue inside the caller's transaction.
func (s *Service) IssueTx(tx *gorm.DB, in IssueInput) (Issued, error) {
	var out Issued
	err := func() error {
		var prior Row
		if res := tx.Where("idempotency_key = ?", in.Key).Limit(1).Find(&prior); res.Error != nil {
			return res.Error
		} else if res.RowsAffected > 0 {
			out = Issued{ID: prior.ID, Number: prior.Number, AmountDue: prior.AmountDue, SHA256: prior.ContentSHA256, Replayed: true}
			return nil
		}
		// Serialize statements of one patient (numbers, and against concurrent issue).
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtext(?))`, "statement:"+in.PatientID).Error; err != nil {
			return err
		}
		st, err := build(tx, in.PatientID, in.CaseID, s.now())
		if err != nil {
			return err
		}
		if len(st.Cases) == 0 {
			return ErrNothingDue
		}
		var seq int64
		if err := tx.Raw(`SELECT nextval('statement_numbers')`).Scan(&seq).Error; err != nil {
			return err
		}
		st.ID, st.Number, st.PayURL = uuid.NewString(), fmt.Sprintf("S%d", seq), in.PayURL
		content, sum, err := Seal(st)
		if err != nil {
			return err
		}
		pdf, err := RenderPDF(st)
		if err != nil {
			return err
		}
		due, _ := time.Parse(time.DateOnly, st.DueDate)
		row := Row{ID: st.ID, Number: st.Number, PatientID: st.PatientID, CaseID: nonEmpty(in.CaseID),
			IdempotencyKey: in.Key, AmountDue: st.Totals.AmountDue(), DueDate: due, Content: content,
			ContentSHA256: sum, PDF: pdf, IssuedAt: st.IssuedAt}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("store statement: %w", err)
		}
		out = Issued{ID: row.ID, Number: row.Number, AmountDue: row.AmountDue, SHA256: sum}
		return audit.Record(tx, in.Actor, "statement.issue", "statement", row.ID, map[string]any{
			"patient_id": in.PatientID, "case_id": in.CaseID, "amount_due": row.AmountDue.StringFixed(2), "sha256": sum})
	}()
	return out, err
}

// Seal is the stored form of a statement and its SHA-256.
func Seal(st Statement) ([]byte, string, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return nil, "", err
	}
	h := sha256.Sum256(b)
	return b, hex.EncodeToString(h[:]), nil
}

// Get reads a stored statement.
func (s *Service) Get(ctx context.Context, id string) (Row, error) {
	var r Row
	if found, err := db.FindByID(s.DB.WithContext(ctx), &r, id); err != nil {
		return r, err
	} else if !found {
		return r, fmt.Errorf("statement %s: %w", id, ErrNotFound)
	}
	return r, nil
}

// Summary is a statement in a list.
type Summary struct {
	ID        string          `json:"id"`
	Number    string          `json:"number"`
	CaseID    *string         `json:"case_id,omitempty"`
	AmountDue decimal.Decimal `json:"amount_due"`
	DueDate   string          `json:"due_date"`
	SHA256    string          `json:"sha256"`
	IssuedAt  time.Time       `json:"issued_at"`
}

// List lists a patient's statements, newest first.
func (s *Service) List(ctx context.Context, patientID string) ([]Summary, error) {
	var rows []Row
	err := access.Restrict(ctx, s.DB.WithContext(ctx), "statements").Select("id, number, case_id, amount_due, due_date, content_sha256, issued_at").
		Where("patient_id = ?", patientID).Order("issued_at DESC, number DESC").Find(&rows).Error
	out := make([]Summary, 0, len(rows))
	for _, r := range rows {
		out = append(out, Summary{ID: r.ID, Number: r.Number, CaseID: r.CaseID, AmountDue: r.AmountDue,
			DueDate: r.DueDate.Format(time.DateOnly), SHA256: r.ContentSHA256, IssuedAt: r.IssuedAt})
	}
	return out, err
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// IsNotFound reports whether err is a not-found error of this package.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
