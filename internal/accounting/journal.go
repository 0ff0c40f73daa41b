package accounting

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/validate"
)

// AdjustingLine is one line of a manual journal: an account and either a debit or a
// credit.
type AdjustingLine struct {
	Account string          `json:"account"`
	Debit   decimal.Decimal `json:"debit"`
	Credit  decimal.Decimal `json:"credit"`
}

// Adjusting is a manual adjusting journal: the way to correct the books once a
// period is closed or exported. Date is YYYY-MM-DD (empty: today); it must be in
// an open, not yet exported day.
type Adjusting struct {
	Date           string
	Memo           string
	Lines          []AdjustingLine
	IdempotencyKey string
}

// AdjustingResult is the posted journal.
type AdjustingResult struct {
	JournalID string    `json:"journal_id"`
	Date      time.Time `json:"date"`
	Replayed  bool      `json:"replayed"`
}

// PostAdjusting posts a manual journal after checking that its lines name real
// accounts other than inventory (which moves only with stock movements), each
// carries one positive amount of at most two decimals, and debits equal credits. A day inside a closed period or an export is a conflict
// (ledger.ErrPeriodClosed). The same idempotency key posts once.
func (s *Service) PostAdjusting(ctx context.Context, in Adjusting, actor audit.Actor) (AdjustingResult, error) {
	var errs validate.Errors
	in.Memo = strings.TrimSpace(in.Memo)
	errs.Required("memo", in.Memo)
	date := s.today()
	if in.Date != "" {
		date = ParseDay(&errs, "date", in.Date)
		if !date.IsZero() && date.After(s.today()) {
			errs.Add("date", "must not be in the future")
		}
	}
	if len(in.Lines) < 2 {
		errs.Add("lines", "a journal needs at least two lines")
	}
	var lines []ledger.Line
	debits, credits := decimal.Zero, decimal.Zero
	for i, l := range in.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		errs.Required(f+".account", l.Account)
		if ledger.Account(l.Account) == ledger.Inventory {
			// Stock value and the inventory account agree per location only if
			// the account moves with stock movements, which carry the location.
			errs.Add(f+".account", "the inventory account (1500) moves only with stock: record a stock adjustment (POST /inventory/items/{id}/movements, kind adjusted) so stock and the books agree at each location")
		}
		switch {
		case l.Debit.IsNegative() || l.Credit.IsNegative():
			errs.Add(f, "debit and credit must not be negative")
		case l.Debit.IsPositive() == l.Credit.IsPositive():
			errs.Add(f, "give either a debit or a credit, not both or neither")
		case !l.Debit.Equal(l.Debit.Round(2)) || !l.Credit.Equal(l.Credit.Round(2)):
			errs.Add(f, "amounts have at most two decimals")
		case l.Debit.IsPositive():
			debits = debits.Add(l.Debit)
			lines = append(lines, ledger.Debit(ledger.Account(l.Account), l.Debit))
		default:
			credits = credits.Add(l.Credit)
			lines = append(lines, ledger.Credit(ledger.Account(l.Account), l.Credit))
		}
	}
	if len(errs) == 0 && !debits.Equal(credits) {
		errs.Add("lines", "debits (%s) must equal credits (%s)", debits.StringFixed(2), credits.StringFixed(2))
	}
	if in.IdempotencyKey == "" {
		in.IdempotencyKey = uuid.NewString()
	}
	var out AdjustingResult
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i, l := range in.Lines {
			if l.Account == "" {
				continue
			}
			var n int64
			if err := tx.Table("ledger_accounts").Where("code = ?", l.Account).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				errs.Add(fmt.Sprintf("lines[%d].account", i), "%q is not a ledger account (GET /accounting/accounts)", l.Account)
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		key := "adjusting:" + in.IdempotencyKey
		id := uuid.NewString()
		posted, err := ledger.Post(tx, ledger.Journal{IdempotencyKey: key, Kind: "adjusting", SourceType: "adjusting_journal",
			SourceID: id, Memo: in.Memo, Lines: lines, Date: date})
		if err != nil {
			return err
		}
		if !posted {
			var prev struct {
				ID        string
				EntryDate time.Time
			}
			if err := tx.Raw(`SELECT id, entry_date FROM journals WHERE idempotency_key = ?`, key).Scan(&prev).Error; err != nil {
				return err
			}
			out = AdjustingResult{JournalID: prev.ID, Date: prev.EntryDate, Replayed: true}
			return nil
		}
		if err := tx.Raw(`SELECT id FROM journals WHERE idempotency_key = ?`, key).Scan(&out.JournalID).Error; err != nil {
			return err
		}
		out.Date = date
		return audit.Record(tx, actor, "accounting.journal.adjust", "journal", out.JournalID,
			map[string]any{"date": date.Format(time.DateOnly), "debits": debits.StringFixed(2)})
	})
	return out, err
}
