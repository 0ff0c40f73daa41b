// Package ledger is the double-entry ledger under every financial event. A journal's
// lines are signed (debit positive, credit negative) and must sum to zero; the
// database enforces that at commit. Every journal has an idempotency key, so a
// retried activity never posts twice.
package ledger

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/apperr"
)

// Account is a ledger account code from the chart of accounts (ledger_accounts).
type Account string

// The chart of accounts.
const (
	Cash                Account = "1000"
	ARPatient           Account = "1100"
	ARInsuranceUnbilled Account = "1200" // insurance A/R: unbilled, billed and awaiting payment
	ARHeld              Account = "1300"
	PatientCredit       Account = "2100"
	Revenue             Account = "4000"
	Adjustments         Account = "4900"
	Contractual         Account = "4910"
	InsuranceWriteOff   Account = "4920"

	// Supplies (internal/inventory): stock at cost, what suppliers are owed for
	// it, its cost when consumed by a charge, and count corrections.
	Inventory            Account = "1500"
	AccountsPayable      Account = "2050"
	SuppliesExpense      Account = "5100"
	InventoryAdjustments Account = "5150"

	// Packages and promotions (internal/packages): prepaid session credits, what
	// is forfeited at expiry, and the two discounts self-pay patients get.
	PackageCredit     Account = "2300"
	PackageForfeit    Account = "4050"
	PackageDiscount   Account = "4930"
	PromotionDiscount Account = "4940"

	// ARCollections is patient A/R placed with a collection agency: still owed by
	// the patient, no longer dunned by the practice.
	ARCollections Account = "1150"
	// SmallBalanceWriteOff takes balances under the dunning threshold off the books
	// instead of sending them to collections.
	SmallBalanceWriteOff Account = "4950"
	// CollectionCommission is the agency's share of what it recovers.
	CollectionCommission Account = "6100"
	// BadDebt is placed A/R the agency gave up on.
	BadDebt Account = "6200"
	// RefundsPayable holds a patient credit a manager approved for refund until
	// the processor (or a mailed check) pays it out (internal/credits).
	RefundsPayable Account = "2110"

	// Held legal cases (internal/legal): charges released to the attorney
	// under a lien, the reductions negotiated off them, and the balance of a
	// dropped case written off.
	ARAttorney     Account = "1310"
	LegalReduction Account = "4960"
	LegalWriteOff  Account = "4965"
)

// ReceivableAccounts are the accounts whose sum, with patient credits, is what is
// still owed on a case by anyone.
var ReceivableAccounts = []Account{ARPatient, ARInsuranceUnbilled, ARHeld, ARCollections, ARAttorney}

// Line is one signed amount on an account.
type Line struct {
	Account Account
	Amount  decimal.Decimal
	// Location is the location dimension of the line (journal_lines.location_id):
	// set on inventory lines, so the inventory account has a balance per
	// location that equals that location's stock value; "" elsewhere.
	Location string
	// CaseID puts the line on another case of the same patient than the
	// journal's (a credit moved across cases is one journal over two cases);
	// empty means the journal's case.
	CaseID string
}

// OnCase is l on the case caseID.
func (l Line) OnCase(caseID string) Line { l.CaseID = caseID; return l }

// Debit is a positive line.
func Debit(a Account, amt decimal.Decimal) Line { return Line{Account: a, Amount: amt} }

// Credit is a negative line.
func Credit(a Account, amt decimal.Decimal) Line { return Line{Account: a, Amount: amt.Neg()} }

// At is l at a location.
func (l Line) At(locationID string) Line {
	l.Location = locationID
	return l
}

// Journal is one balanced financial event.
type Journal struct {
	IdempotencyKey string
	Kind           string
	CaseID         string
	PatientID      string
	SourceType     string
	SourceID       string
	Memo           string
	Lines          []Line
	// Date is the accounting day (UTC) the journal belongs to; zero means the day
	// it is posted. A day inside a closed accounting period or an exported range is
	// refused with ErrPeriodClosed.
	Date time.Time
}

// ErrPeriodClosed is returned when a journal is dated inside a closed accounting
// period or a range already exported to the books (migration 00018's trigger).
var ErrPeriodClosed = apperr.New(apperr.Conflict, "the accounting period is closed")

// ErrUnbalanced is returned when a journal's lines do not sum to zero.
var ErrUnbalanced = errors.New("ledger: journal lines do not sum to zero")

type journalRow struct {
	ID             string `gorm:"primaryKey;type:uuid"`
	IdempotencyKey string
	Kind           string
	CaseID         *string `gorm:"type:uuid"`
	SourceType     string
	SourceID       string `gorm:"type:uuid"`
	Memo           string
	PostedAt       time.Time
	EntryDate      *time.Time `gorm:"type:date"`
}

func (journalRow) TableName() string { return "journals" }

type lineRow struct {
	ID          int64 `gorm:"primaryKey"`
	JournalID   string
	AccountCode string
	CaseID      *string
	PatientID   *string
	LocationID  *string
	Amount      decimal.Decimal `gorm:"type:numeric(14,2)"`
}

func (lineRow) TableName() string { return "journal_lines" }

// Post writes j inside tx. Zero lines are dropped and lines on the same account are
// merged. It reports false, without error, when a journal with the same idempotency
// key was already posted.
func Post(tx *gorm.DB, j Journal) (bool, error) {
	lines := compact(j.Lines)
	sum := decimal.Zero
	for _, l := range lines {
		if !l.Amount.Equal(l.Amount.Round(2)) {
			return false, fmt.Errorf("ledger: amount %s on %s has more than two decimals", l.Amount, l.Account)
		}
		sum = sum.Add(l.Amount)
	}
	if !sum.IsZero() || len(lines) < 2 {
		return false, fmt.Errorf("%w: %s (%d lines)", ErrUnbalanced, j.IdempotencyKey, len(lines))
	}
	row := journalRow{
		ID: uuid.NewString(), IdempotencyKey: j.IdempotencyKey, Kind: j.Kind,
		CaseID: nilIfEmpty(j.CaseID), SourceType: j.SourceType, SourceID: j.SourceID,
		Memo: j.Memo, PostedAt: time.Now().UTC(),
	}
	if !j.Date.IsZero() {
		d := j.Date.UTC().Truncate(24 * time.Hour)
		row.EntryDate = &d
	}
	res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "idempotency_key"}}, DoNothing: true}).Create(&row)
	if res.Error != nil {
		var pgErr *pgconn.PgError
		if errors.As(res.Error, &pgErr) && pgErr.Code == "RCM01" {
			return false, &apperr.Error{Code: apperr.Conflict, Message: pgErr.Message, Err: ErrPeriodClosed}
		}
		return false, fmt.Errorf("post journal %s: %w", j.IdempotencyKey, res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	rows := make([]lineRow, 0, len(lines))
	for _, l := range lines {
		caseID := j.CaseID
		if l.CaseID != "" {
			caseID = l.CaseID
		}
		rows = append(rows, lineRow{JournalID: row.ID, AccountCode: string(l.Account),
			CaseID: nilIfEmpty(caseID), PatientID: nilIfEmpty(j.PatientID), LocationID: nilIfEmpty(l.Location), Amount: l.Amount})
	}
	if err := tx.Create(&rows).Error; err != nil {
		return false, fmt.Errorf("post journal lines %s: %w", j.IdempotencyKey, err)
	}
	return true, nil
}

// compact merges lines per account, location and case, keeping first-seen order, and
// drops zeros.
func compact(in []Line) []Line {
	var out []Line
	type key struct {
		a   Account
		loc string
		c   string
	}
	idx := map[key]int{}
	for _, l := range in {
		k := key{l.Account, l.Location, l.CaseID}
		if i, ok := idx[k]; ok {
			out[i].Amount = out[i].Amount.Add(l.Amount)
			continue
		}
		idx[k] = len(out)
		out = append(out, l)
	}
	kept := out[:0]
	for _, l := range out {
		if !l.Amount.IsZero() {
			kept = append(kept, l)
		}
	}
	return kept
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Balances are signed account balances (debit positive) for one case.
type Balances map[Account]decimal.Decimal

// Get returns the balance of a, zero when absent.
func (b Balances) Get(a Account) decimal.Decimal { return b[a] }

// PatientBalance is what the patient owes on the case, including any part placed
// with a collection agency.
func (b Balances) PatientBalance() decimal.Decimal { return b.Get(ARPatient).Add(b.Get(ARCollections)) }

// PatientCredit is money held for the patient (a positive number).
func (b Balances) PatientCredit() decimal.Decimal { return b.Get(PatientCredit).Neg() }

// Receivable is everything still owed on the case by anyone.
func (b Balances) Receivable() decimal.Decimal {
	t := decimal.Zero
	for _, a := range ReceivableAccounts {
		t = t.Add(b.Get(a))
	}
	return t
}

// Net is the receivable less patient credits: charges - payments - adjustments.
func (b Balances) Net() decimal.Decimal { return b.Receivable().Sub(b.PatientCredit()) }

// CaseBalances sums the ledger lines of a case per account.
func CaseBalances(tx *gorm.DB, caseID string) (Balances, error) {
	var rows []struct {
		AccountCode string
		Total       decimal.Decimal
	}
	err := tx.Raw(`SELECT account_code, sum(amount) AS total FROM journal_lines
		WHERE case_id = ? GROUP BY account_code`, caseID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("case balances %s: %w", caseID, err)
	}
	b := Balances{}
	for _, r := range rows {
		b[Account(r.AccountCode)] = r.Total
	}
	return b, nil
}

// SettlePatient returns the lines that keep a case's patient side tidy after the
// event lines are applied to the current balances: a negative patient balance
// becomes a patient credit, and an existing credit pays down a positive balance.
func SettlePatient(current Balances, event []Line) []Line {
	ar := current.Get(ARPatient)
	credit := current.PatientCredit()
	for _, l := range event {
		switch l.Account {
		case ARPatient:
			ar = ar.Add(l.Amount)
		case PatientCredit:
			credit = credit.Sub(l.Amount)
		}
	}
	switch {
	case ar.IsNegative():
		return []Line{Debit(ARPatient, ar.Neg()), Credit(PatientCredit, ar.Neg())}
	case ar.IsPositive() && credit.IsPositive():
		m := decimal.Min(ar, credit)
		return []Line{Debit(PatientCredit, m), Credit(ARPatient, m)}
	}
	return nil
}

// PostSettled posts j for its case after adding the lines SettlePatient derives
// from the case's current balances, so every event on a case leaves the patient
// side tidy (no negative balance; credits applied). The caller must hold the case's
// row lock so the balances cannot change underneath.
func PostSettled(tx *gorm.DB, j Journal) (bool, error) {
	bal, err := CaseBalances(tx, j.CaseID)
	if err != nil {
		return false, err
	}
	j.Lines = append(j.Lines, SettlePatient(bal, j.Lines)...)
	return Post(tx, j)
}

// CheckAll verifies the ledger invariant over the whole database: every journal has
// at least two lines and sums to zero. It returns the offending journal ids.
func CheckAll(tx *gorm.DB) ([]string, error) {
	var bad []string
	err := tx.Raw(`SELECT j.id FROM journals j LEFT JOIN journal_lines l ON l.journal_id = j.id
		GROUP BY j.id HAVING count(l.id) < 2 OR coalesce(sum(l.amount), 0) <> 0`).Scan(&bad).Error
	return bad, err
}

// Posted is a journal as posted, with its lines.
type Posted struct {
	ID             string
	Kind           string
	IdempotencyKey string
	SourceType     string
	SourceID       string
	Memo           string
	PostedAt       time.Time
	Lines          []Line
}

// CaseJournals lists the journals posted on a case, oldest first: those of the
// case and those with a line on it (a credit moved across cases), each with
// its lines on this case.
func CaseJournals(tx *gorm.DB, caseID string) ([]Posted, error) {
	var rows []struct {
		ID, Kind, IdempotencyKey, SourceType, SourceID, Memo, AccountCode string
		PostedAt                                                          time.Time
		Amount                                                            decimal.Decimal
	}
	err := tx.Raw(`SELECT j.id, j.kind, j.idempotency_key, j.source_type,
		j.source_id, j.memo, j.posted_at, l.account_code, l.amount
		FROM journals j JOIN journal_lines l ON l.journal_id = j.id
		WHERE l.case_id = ? ORDER BY j.posted_at, j.id, l.id`, caseID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("journals of case %s: %w", caseID, err)
	}
	var out []Posted
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].ID != r.ID {
			out = append(out, Posted{ID: r.ID, Kind: r.Kind, IdempotencyKey: r.IdempotencyKey,
				SourceType: r.SourceType, SourceID: r.SourceID, Memo: r.Memo, PostedAt: r.PostedAt})
		}
		last := &out[len(out)-1]
		last.Lines = append(last.Lines, Line{Account: Account(r.AccountCode), Amount: r.Amount})
	}
	return out, nil
}
