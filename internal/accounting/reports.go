package accounting

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/validate"
)

// TrialBalanceRow is one account's balance: its net as a debit or a credit.
type TrialBalanceRow struct {
	Account string          `json:"account"`
	Name    string          `json:"name"`
	Type    string          `json:"type"`
	Debit   decimal.Decimal `json:"debit"`
	Credit  decimal.Decimal `json:"credit"`
}

// TrialBalance is every account with a balance on a day, and the totals, whose
// difference is zero when every journal balanced.
type TrialBalance struct {
	AsOf       time.Time         `json:"as_of"`
	Rows       []TrialBalanceRow `json:"rows"`
	Debits     decimal.Decimal   `json:"debits"`
	Credits    decimal.Decimal   `json:"credits"`
	Difference decimal.Decimal   `json:"difference"`
}

// TrialBalance sums the ledger per account over journals dated up to asOf
// (YYYY-MM-DD; empty: today).
func (s *Service) TrialBalance(ctx context.Context, asOf string) (TrialBalance, error) {
	day := s.today()
	if asOf != "" {
		var errs validate.Errors
		day = ParseDay(&errs, "as_of", asOf)
		if err := errs.Err(); err != nil {
			return TrialBalance{}, err
		}
	}
	var rows []struct {
		Code, Name, Type string
		Total            decimal.Decimal
	}
	err := s.DB.WithContext(ctx).Raw(`SELECT a.code, a.name, a.type, sum(l.amount) AS total
		FROM journal_lines l JOIN journals j ON j.id = l.journal_id JOIN ledger_accounts a ON a.code = l.account_code
		WHERE j.entry_date <= ? GROUP BY a.code, a.name, a.type HAVING sum(l.amount) <> 0 ORDER BY a.code`, day).Scan(&rows).Error
	if err != nil {
		return TrialBalance{}, fmt.Errorf("trial balance: %w", err)
	}
	tb := TrialBalance{AsOf: day, Rows: []TrialBalanceRow{}, Debits: decimal.Zero, Credits: decimal.Zero}
	for _, r := range rows {
		row := TrialBalanceRow{Account: r.Code, Name: r.Name, Type: r.Type, Debit: decimal.Zero, Credit: decimal.Zero}
		if r.Total.IsPositive() {
			row.Debit = r.Total
			tb.Debits = tb.Debits.Add(r.Total)
		} else {
			row.Credit = r.Total.Neg()
			tb.Credits = tb.Credits.Add(row.Credit)
		}
		tb.Rows = append(tb.Rows, row)
	}
	tb.Difference = tb.Debits.Sub(tb.Credits)
	return tb, nil
}

// Revenue groupings.
const (
	ByServiceType = "service_type" // procedure code
	ByProvider    = "provider"
	ByLocation    = "location"
)

// RevenueRow is the service revenue of one group: what was charged, what was
// voided, and the net the ledger's revenue account holds for it.
type RevenueRow struct {
	Key     string          `json:"key"`  // procedure code, provider id or location id
	Name    string          `json:"name"` // provider or location name; empty for codes
	Charges int             `json:"charges"`
	Charged decimal.Decimal `json:"charged"`
	Voided  decimal.Decimal `json:"voided"`
	Net     decimal.Decimal `json:"net"`
}

// Revenue is the revenue account over a range of accounting days, grouped.
type Revenue struct {
	From    time.Time       `json:"from"`
	To      time.Time       `json:"to"`
	GroupBy string          `json:"group_by"`
	Rows    []RevenueRow    `json:"rows"`
	Net     decimal.Decimal `json:"net"`
}

// RevenueFilter selects the days (YYYY-MM-DD, inclusive) and the grouping.
type RevenueFilter struct {
	From, To, GroupBy string
}

// RevenueReport reads the service-revenue account (4000) straight from the
// ledger, each charge journal traced to its charge's procedure code, provider and
// location.
func (s *Service) RevenueReport(ctx context.Context, f RevenueFilter) (Revenue, error) {
	var errs validate.Errors
	out := Revenue{GroupBy: f.GroupBy, Rows: []RevenueRow{}, Net: decimal.Zero}
	if out.GroupBy == "" {
		out.GroupBy = ByServiceType
	}
	var key, name, join string
	switch out.GroupBy {
	case ByServiceType:
		key, name = "c.procedure_code", "''"
	case ByProvider:
		key, name, join = "e.provider_id::text", "p.last_name || ', ' || p.first_name", "JOIN providers p ON p.id = e.provider_id"
	case ByLocation:
		key, name, join = "e.location_id::text", "loc.name", "JOIN locations loc ON loc.id = e.location_id"
	default:
		errs.Add("group_by", "must be service_type, provider or location")
	}
	out.To = s.today()
	if f.To != "" {
		out.To = ParseDay(&errs, "to", f.To)
	}
	out.From = out.To.AddDate(0, -1, 0)
	if f.From != "" {
		out.From = ParseDay(&errs, "from", f.From)
	}
	if len(errs) == 0 && out.To.Before(out.From) {
		errs.Add("to", "must be on or after from")
	}
	if err := errs.Err(); err != nil {
		return out, err
	}
	var rows []struct {
		Key, Name       string
		Charges         int
		Charged, Voided decimal.Decimal
	}
	err := s.DB.WithContext(ctx).Raw(`SELECT `+key+` AS key, `+name+` AS name,
		count(DISTINCT c.id) FILTER (WHERE j.kind = 'charge') AS charges,
		coalesce(-sum(l.amount) FILTER (WHERE l.amount < 0), 0) AS charged,
		coalesce(sum(l.amount) FILTER (WHERE l.amount > 0), 0) AS voided
		FROM journal_lines l JOIN journals j ON j.id = l.journal_id
		JOIN charges c ON j.source_type = 'charge' AND c.id = j.source_id
		JOIN encounters e ON e.id = c.encounter_id `+join+`
		WHERE l.account_code = '4000' AND j.entry_date BETWEEN ? AND ?
		GROUP BY 1, 2 ORDER BY 1`, out.From, out.To).Scan(&rows).Error
	if err != nil {
		return out, fmt.Errorf("revenue report: %w", err)
	}
	for _, r := range rows {
		row := RevenueRow{Key: r.Key, Name: r.Name, Charges: r.Charges, Charged: r.Charged, Voided: r.Voided, Net: r.Charged.Sub(r.Voided)}
		out.Net = out.Net.Add(row.Net)
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}
