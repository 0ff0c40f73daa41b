package accounting

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/validate"
)

// Export granularities.
const (
	// Daily is one line per practice account per day: the day's net movement, as a
	// summary journal entry per day.
	Daily = "daily"
	// Detail is every journal line, one journal entry per ledger journal.
	Detail = "detail"
)

// Export is one general-ledger export: a range of accounting days, its content in
// both formats, and the SHA-256 of the CSV.
type Export struct {
	ID          string          `gorm:"primaryKey;type:uuid"`
	FromDate    time.Time       `gorm:"type:date"`
	ToDate      time.Time       `gorm:"type:date"`
	Granularity string          //
	Journals    int             // journals in the range
	Lines       int             // rows exported
	Debits      decimal.Decimal `gorm:"type:numeric(14,2)"` // total debits (= total credits)
	CSV         string          `gorm:"column:csv"`
	IIF         string          `gorm:"column:iif"`
	SHA256      string          `gorm:"column:sha256"`
	CreatedBy   *string         `gorm:"type:uuid"`
	CreatedAt   time.Time
	// Replayed is true when the request named an export that already existed.
	Replayed bool `gorm:"-"`
}

// TableName is the table of exports.
func (Export) TableName() string { return "gl_exports" }

// NewExport asks for an export. From defaults to the day after the last export
// (or the first journal's day); To must be a day that is over.
type NewExport struct {
	From        string `json:"from"`
	To          string `json:"to"`
	Granularity string `json:"granularity"`
}

// ErrOverlap is returned when an export would cover days another export covered.
var ErrOverlap = apperr.New(apperr.Conflict, "the range was already exported")

// ErrUnmapped is returned when a ledger account in the range has no practice account.
var ErrUnmapped = apperr.New(apperr.Conflict, "ledger accounts are not mapped to the practice's chart of accounts")

// CreateExport exports the journals dated from..to. Exports chain: the first may
// start anywhere, each next one starts the day after the last one ended, so no day
// is exported twice or skipped; asking again for an existing export's exact range
// and granularity returns it unchanged (Replayed). After an export the ledger
// refuses journals dated on its days (migration 00018), so what was exported can
// never change underneath.
func (s *Service) CreateExport(ctx context.Context, in NewExport, actor audit.Actor) (Export, error) {
	var errs validate.Errors
	if in.Granularity == "" {
		in.Granularity = Daily
	}
	errs.Check(in.Granularity == Daily || in.Granularity == Detail, "granularity", "must be daily or detail")
	var from, to time.Time
	if in.From != "" {
		from = ParseDay(&errs, "from", in.From)
	}
	if errs.Required("to", in.To) {
		to = ParseDay(&errs, "to", in.To)
		if !to.IsZero() && !to.Before(s.today()) {
			errs.Add("to", "must be a day that is over (before %s, UTC), so no journal can still be dated on it", s.today().Format(time.DateOnly))
		}
	}
	if err := errs.Err(); err != nil {
		return Export{}, err
	}
	var out Export
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// One export at a time; journals in flight commit first, later ones see it.
		if err := tx.Exec(`LOCK TABLE gl_exports IN SHARE ROW EXCLUSIVE MODE`).Error; err != nil {
			return err
		}
		if err := lockBooks(tx); err != nil {
			return err
		}
		var last Export
		res := tx.Omit("csv", "iif").Order("to_date DESC").Limit(1).Find(&last)
		if res.Error != nil {
			return res.Error
		}
		hasLast := res.RowsAffected > 0
		if hasLast && !from.IsZero() && !from.After(last.ToDate) {
			var same Export
			r := tx.Where("from_date = ? AND to_date = ? AND granularity = ?", from, to, in.Granularity).Limit(1).Find(&same)
			if r.Error != nil {
				return r.Error
			}
			if r.RowsAffected > 0 {
				out, out.Replayed = same, true
				return nil
			}
		}
		switch {
		case hasLast:
			next := last.ToDate.AddDate(0, 0, 1)
			if from.IsZero() {
				from = next
			}
			if !from.Equal(next) {
				return &apperr.Error{Code: apperr.Conflict, Err: ErrOverlap, Message: fmt.Sprintf(
					"the last export (%s) ended on %s: the next one starts on %s, so that no day is exported twice or skipped",
					last.ID, last.ToDate.Format(time.DateOnly), next.Format(time.DateOnly)),
					Fields: []validate.FieldError{{Field: "from", Message: "must be " + next.Format(time.DateOnly) + " or empty"}}}
			}
		case from.IsZero():
			var first *time.Time
			if err := tx.Raw(`SELECT min(entry_date) FROM journals`).Scan(&first).Error; err != nil {
				return err
			}
			from = to
			if first != nil && first.Before(to) {
				from = day(*first)
			}
		}
		if to.Before(from) {
			return validate.Errors{{Field: "to", Message: "must be on or after " + from.Format(time.DateOnly)}}
		}
		rows, err := exportRows(tx, from, to)
		if err != nil {
			return err
		}
		var unmapped []string
		for _, r := range rows {
			if r.ExternalCode == "" && !contains(unmapped, r.Account) {
				unmapped = append(unmapped, r.Account)
			}
		}
		if len(unmapped) > 0 {
			sort.Strings(unmapped)
			return &apperr.Error{Code: apperr.Conflict, Err: ErrUnmapped, Message: "ledger accounts " + strings.Join(unmapped, ", ") +
				" have journals in the range but no practice account: map them first (PUT /accounting/accounts/{code})"}
		}
		out = Export{ID: uuid.NewString(), FromDate: from, ToDate: to, Granularity: in.Granularity, CreatedAt: time.Now().UTC()}
		if actor.UserID != "" {
			out.CreatedBy = &actor.UserID
		}
		out.CSV, out.IIF, out.Lines, out.Journals, out.Debits = render(rows, in.Granularity)
		sum := sha256.Sum256([]byte(out.CSV))
		out.SHA256 = hex.EncodeToString(sum[:])
		if err := tx.Create(&out).Error; err != nil {
			return fmt.Errorf("record export: %w", err)
		}
		return audit.Record(tx, actor, "accounting.export", "gl_export", out.ID, map[string]any{
			"from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly), "granularity": in.Granularity,
			"sha256": out.SHA256, "debits": out.Debits.StringFixed(2)})
	})
	return out, err
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// ListExports lists exports, latest range first, without their content.
func (s *Service) ListExports(ctx context.Context, limit int) ([]Export, error) {
	var out []Export
	err := s.DB.WithContext(ctx).Omit("csv", "iif").Order("to_date DESC").Limit(db.Page(limit)).Find(&out).Error
	return out, err
}

// GetExport returns one export with its content.
func (s *Service) GetExport(ctx context.Context, id string) (Export, error) {
	var out Export
	if found, err := db.FindByID(s.DB.WithContext(ctx), &out, id); err != nil {
		return out, err
	} else if !found {
		return out, fmt.Errorf("export %s: %w", id, ErrNotFound)
	}
	return out, nil
}

// Verify renders the export's range from the ledger again and reports whether
// the content still hashes the same (it must: its days are closed to new journals).
func (s *Service) Verify(ctx context.Context, e Export) (bool, error) {
	rows, err := exportRows(s.DB.WithContext(ctx), e.FromDate, e.ToDate)
	if err != nil {
		return false, err
	}
	csvText, _, _, _, _ := render(rows, e.Granularity)
	sum := sha256.Sum256([]byte(csvText))
	return hex.EncodeToString(sum[:]) == e.SHA256, nil
}

// exportRow is one journal line in the range with its mapping.
type exportRow struct {
	JournalID    string
	Kind         string
	Memo         string
	EntryDate    time.Time
	Account      string
	AccountName  string
	ExternalCode string
	ExternalName string
	Amount       decimal.Decimal
}

func exportRows(tx *gorm.DB, from, to time.Time) ([]exportRow, error) {
	var rows []exportRow
	err := tx.Raw(`SELECT j.id AS journal_id, j.kind, j.memo, j.entry_date, l.account_code AS account,
		a.name AS account_name, coalesce(m.external_code, '') AS external_code, coalesce(m.external_name, '') AS external_name,
		l.amount
		FROM journals j JOIN journal_lines l ON l.journal_id = j.id
		JOIN ledger_accounts a ON a.code = l.account_code
		LEFT JOIN gl_account_map m ON m.ledger_account = l.account_code
		WHERE j.entry_date BETWEEN ? AND ?
		ORDER BY j.entry_date, j.posted_at, j.id, l.id`, from, to).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("export rows %s..%s: %w", from.Format(time.DateOnly), to.Format(time.DateOnly), err)
	}
	return rows, nil
}

// entry is one balanced entry of the export: a day (daily) or a journal (detail).
type entry struct {
	date  time.Time
	ref   string // DOCNUM in IIF
	memo  string
	lines []entryLine
}

type entryLine struct {
	code, name, ledger string
	amount             decimal.Decimal
}

// render builds the CSV and the IIF of the rows and counts what they hold.
func render(rows []exportRow, granularity string) (csvText, iif string, lines, journals int, debits decimal.Decimal) {
	var entries []entry
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.JournalID] {
			seen[r.JournalID] = true
			journals++
		}
	}
	if granularity == Detail {
		for _, r := range rows {
			if n := len(entries); n == 0 || entries[n-1].ref != journalRef(r.JournalID) {
				entries = append(entries, entry{date: r.EntryDate, ref: journalRef(r.JournalID),
					memo: r.Kind + " " + r.JournalID + " " + r.Memo})
			}
			e := &entries[len(entries)-1]
			e.lines = append(e.lines, entryLine{code: r.ExternalCode, name: r.ExternalName, ledger: r.Account, amount: r.Amount})
		}
	} else {
		// Net per practice account per day; ledger accounts mapped to the same
		// practice account are summed.
		for _, r := range rows {
			if n := len(entries); n == 0 || !entries[n-1].date.Equal(r.EntryDate) {
				entries = append(entries, entry{date: r.EntryDate, ref: "RCM" + r.EntryDate.Format("20060102"),
					memo: "RCM ledger summary " + r.EntryDate.Format(time.DateOnly)})
			}
			e := &entries[len(entries)-1]
			found := false
			for i := range e.lines {
				if e.lines[i].code == r.ExternalCode {
					e.lines[i].amount = e.lines[i].amount.Add(r.Amount)
					if !strings.Contains(" "+e.lines[i].ledger+" ", " "+r.Account+" ") {
						e.lines[i].ledger += " " + r.Account
					}
					found = true
					break
				}
			}
			if !found {
				e.lines = append(e.lines, entryLine{code: r.ExternalCode, name: r.ExternalName, ledger: r.Account, amount: r.Amount})
			}
		}
		for i := range entries {
			kept := entries[i].lines[:0]
			for _, l := range entries[i].lines {
				if !l.amount.IsZero() {
					kept = append(kept, l)
				}
			}
			sort.SliceStable(kept, func(a, b int) bool { return kept[a].code < kept[b].code })
			entries[i].lines = kept
		}
	}

	var cb bytes.Buffer
	w := csv.NewWriter(&cb)
	_ = w.Write([]string{"date", "entry", "account", "account_name", "ledger_accounts", "debit", "credit", "memo"})
	var ib strings.Builder
	ib.WriteString("!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\r\n")
	ib.WriteString("!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\r\n")
	ib.WriteString("!ENDTRNS\r\n")
	for _, e := range entries {
		if len(e.lines) == 0 {
			continue
		}
		for i, l := range e.lines {
			dr, cr := "", ""
			if l.amount.IsPositive() {
				dr = l.amount.StringFixed(2)
				debits = debits.Add(l.amount)
			} else {
				cr = l.amount.Neg().StringFixed(2)
			}
			_ = w.Write([]string{e.date.Format(time.DateOnly), e.ref, l.code, l.name, l.ledger, dr, cr, e.memo})
			lines++
			tag := "SPL"
			if i == 0 {
				tag = "TRNS"
			}
			fmt.Fprintf(&ib, "%s\t\tGENERAL JOURNAL\t%s\t%s\t\t%s\t%s\t%s\r\n", tag, e.date.Format("01/02/2006"),
				iifText(l.name), l.amount.StringFixed(2), e.ref, iifText(e.memo))
		}
		ib.WriteString("ENDTRNS\r\n")
	}
	w.Flush()
	return cb.String(), ib.String(), lines, journals, debits
}

// journalRef is a journal's reference in the accounting system: QuickBooks keeps
// at most 11 characters of a DOCNUM; the whole journal id is in the memo.
func journalRef(id string) string { return "J" + strings.ReplaceAll(id, "-", "")[:10] }

// iifText keeps a value on one IIF field: no tabs, line breaks or quotes.
func iifText(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\r', '\n', '"':
			return ' '
		}
		return r
	}, s)
}
