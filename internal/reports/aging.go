package reports

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/validate"
)

// Aging groupings (the by parameter).
const (
	ByAccount  = "account" // patient, insurance and held (lien) A/R
	ByPayer    = "payer"
	ByCaseKind = "case_kind"
	ByLocation = "location"
	ByProvider = "provider"
)

// Groupings lists the aging groupings.
var Groupings = []string{ByAccount, ByPayer, ByCaseKind, ByLocation, ByProvider}

// Payer keys of A/R that no insurance payer owes.
const (
	PayerPatient  = "patient"
	PayerHeld     = "held"
	PayerUnbilled = "unbilled"
	NoneKey       = "none" // a case's own item: no visit, so no location or provider
)

// AgingRow is one line of an aging table: the open balance of one group per
// bucket, and its total.
type AgingRow struct {
	Key     string          `json:"key"`
	Label   string          `json:"label"`
	B0to30  decimal.Decimal `json:"0-30"`
	B31to60 decimal.Decimal `json:"31-60"`
	B61to90 decimal.Decimal `json:"61-90"`
	B91to12 decimal.Decimal `json:"91-120"`
	Over120 decimal.Decimal `json:"120+"`
	Total   decimal.Decimal `json:"total"`
}

func (r *AgingRow) add(bucket string, amt decimal.Decimal) {
	switch bucket {
	case Bucket0to30:
		r.B0to30 = r.B0to30.Add(amt)
	case Bucket31to60:
		r.B31to60 = r.B31to60.Add(amt)
	case Bucket61to90:
		r.B61to90 = r.B61to90.Add(amt)
	case Bucket91to120:
		r.B91to12 = r.B91to12.Add(amt)
	default:
		r.Over120 = r.Over120.Add(amt)
	}
	r.Total = r.Total.Add(amt)
}

// Amount is the row's amount in a bucket.
func (r AgingRow) Amount(bucket string) decimal.Decimal {
	switch bucket {
	case Bucket0to30:
		return r.B0to30
	case Bucket31to60:
		return r.B31to60
	case Bucket61to90:
		return r.B61to90
	case Bucket91to120:
		return r.B91to12
	}
	return r.Over120
}

// Aging is the A/R aging report: every open receivable balance of the ledger
// (patient 1100, collections 1150, insurance 1200, held/lien 1300), aged by days from the date of
// service of the visit it comes from to AsOf, in the buckets 0-30, 31-60, 61-90,
// 91-120 and 120+. Each breakdown (by account, payer, case kind, location,
// provider) sums to Total, and Total equals the ledger's receivable balances
// (Ledger) to the cent.
type Aging struct {
	AsOf   string                `json:"as_of"`
	Total  AgingRow              `json:"total"`
	Groups map[string][]AgingRow `json:"groups"`
	Ledger LedgerCheck           `json:"ledger"`
}

// LedgerCheck is the receivable balances as the ledger holds them, and whether
// the report adds up to them.
type LedgerCheck struct {
	Accounts    map[string]decimal.Decimal `json:"accounts"`
	Total       decimal.Decimal            `json:"total"`
	InAgreement bool                       `json:"in_agreement"`
}

// CheckBy validates a grouping.
func CheckBy(errs *validate.Errors, by string) {
	if by != "" {
		errs.Check(slices.Contains(Groupings, by), "by", "must be one of %s", strings.Join(Groupings, ", "))
	}
}

// Aging reads the aging report from ar_aging_daily (open A/R per grouping and date
// of service); by limits it to one grouping besides the account (all when empty).
func (s *Service) Aging(ctx context.Context, by string) (Aging, error) {
	var errs validate.Errors
	CheckBy(&errs, by)
	if len(errs) > 0 {
		return Aging{}, errs
	}
	if err := s.foldDaily(ctx); err != nil {
		return Aging{}, err
	}
	asOf := day(s.now())
	out := Aging{AsOf: asOf.Format(time.DateOnly), Total: AgingRow{Key: "total", Label: "Total"}, Groups: map[string][]AgingRow{}}
	var rows []struct {
		Dim, Key, Bucket string
		Amount           decimal.Decimal
	}
	dims := Groupings
	if by != "" {
		dims = []string{ByAccount, by}
	}
	// ar_aging_daily sums every location; a user limited to some locations
	// gets the same rows computed from their locations' open items.
	source, params := "ar_aging_daily_all", map[string]any{"as_of": asOf, "dims": dims}
	sc := access.FromContext(ctx)
	if sc.Limited() {
		source = limitedAgingSQL
		params["locations"] = sc.LocationArray()
	}
	err := s.DB.WithContext(ctx).Raw(`SELECT dim, key, bucket, sum(balance) AS amount
		FROM (SELECT dim, key, balance, `+bucketSQL("(CAST(@as_of AS date) - service_date)")+` AS bucket
		      FROM `+source+` WHERE balance <> 0 AND dim IN @dims) x
		GROUP BY dim, key, bucket`, params).Scan(&rows).Error
	if err != nil {
		return out, fmt.Errorf("aging: %w", err)
	}
	groups := map[string]map[string]*AgingRow{}
	for _, r := range rows {
		if groups[r.Dim] == nil {
			groups[r.Dim] = map[string]*AgingRow{}
		}
		row := groups[r.Dim][r.Key]
		if row == nil {
			row = &AgingRow{Key: r.Key}
			groups[r.Dim][r.Key] = row
		}
		row.add(r.Bucket, r.Amount)
		if r.Dim == ByAccount {
			out.Total.add(r.Bucket, r.Amount)
		}
	}
	labels, err := s.labels(ctx)
	if err != nil {
		return out, err
	}
	for _, g := range Groupings {
		if by != "" && g != by {
			continue
		}
		list := []AgingRow{}
		for key, r := range groups[g] {
			if r.Total.IsZero() && r.B0to30.IsZero() && r.B31to60.IsZero() && r.B61to90.IsZero() && r.B91to12.IsZero() {
				continue // settled: nothing open under this key
			}
			r.Label = labels.of(g, key)
			list = append(list, *r)
		}
		slices.SortFunc(list, func(a, b AgingRow) int {
			if c := b.Total.Cmp(a.Total); c != 0 {
				return c
			}
			return strings.Compare(a.Key, b.Key)
		})
		out.Groups[g] = list
	}
	out.Ledger, err = s.ledgerCheck(ctx, out.Total.Total)
	return out, err
}

// limitedAgingSQL is ar_aging_daily's shape (dim, key, service_date, balance)
// computed from the open items of the cases of @locations (see package
// access), grouped as the trigger of migration 00011 groups them.
const limitedAgingSQL = `(SELECT d.dim, d.key, i.service_date, i.balance FROM ar_items i
	CROSS JOIN LATERAL (VALUES ('account', i.account_code), ('case_kind', i.case_kind),
		('location', coalesce(i.location_id::text, 'none')), ('payer', ar_payer_key(i.account_code, i.payer_id)),
		('provider', coalesce(i.provider_id::text, 'none'))) AS d(dim, key)
	WHERE i.balance <> 0 AND i.case_id IN (SELECT id FROM cases WHERE location_id = ANY(CAST(@locations AS uuid[]))
		UNION SELECT case_id FROM encounters WHERE location_id = ANY(CAST(@locations AS uuid[])))) scoped`

// ledgerCheck reads the receivable balances from the ledger's daily totals.
func (s *Service) ledgerCheck(ctx context.Context, reported decimal.Decimal) (LedgerCheck, error) {
	lc := LedgerCheck{Accounts: map[string]decimal.Decimal{}}
	for _, a := range receivables() {
		lc.Accounts[a] = decimal.Zero
	}
	var rows []struct {
		AccountCode string
		Balance     decimal.Decimal
	}
	q := s.DB.WithContext(ctx).Raw(`SELECT account_code, sum(debits - credits) AS balance FROM ledger_daily_all
		WHERE account_code IN ? GROUP BY account_code`, receivables())
	if sc := access.FromContext(ctx); sc.Limited() {
		// The daily totals span every location; a part of the book is checked
		// against its cases' journal lines.
		scope, args := sc.Case("case_id")
		q = s.DB.WithContext(ctx).Raw(`SELECT account_code, sum(amount) AS balance FROM journal_lines
			WHERE account_code IN ? AND `+scope+` GROUP BY account_code`, append([]any{receivables()}, args...)...)
	}
	if err := q.Scan(&rows).Error; err != nil {
		return lc, fmt.Errorf("ledger balances: %w", err)
	}
	for _, r := range rows {
		lc.Accounts[r.AccountCode] = r.Balance
		lc.Total = lc.Total.Add(r.Balance)
	}
	lc.InAgreement = lc.Total.Equal(reported)
	return lc, nil
}

// labelSet names the keys of each grouping.
type labelSet map[string]map[string]string

func (l labelSet) of(by, key string) string {
	if n, ok := l[by][key]; ok {
		return n
	}
	return key
}

func (s *Service) labels(ctx context.Context) (labelSet, error) {
	l := labelSet{ByAccount: {}, ByPayer: {PayerPatient: "Patient", PayerHeld: "Held (lien, legal cases)",
		PayerUnbilled: "Insurance, not billed yet"}, ByCaseKind: {}, ByLocation: {NoneKey: "(no visit)"},
		ByProvider: {NoneKey: "(no visit)"}}
	for _, k := range cases.Kinds {
		l[ByCaseKind][string(k)] = strings.ReplaceAll(string(k), "_", " ")
	}
	var rows []struct{ By, Key, Label string }
	err := s.DB.WithContext(ctx).Raw(`SELECT 'account' AS by, code AS key, label FROM report_receivable_accounts
		UNION ALL SELECT 'payer', id::text, name FROM payers
		UNION ALL SELECT 'location', id::text, name FROM locations
		UNION ALL SELECT 'provider', id::text, trim(first_name || ' ' || last_name || ' ' || credential) FROM providers`).Scan(&rows).Error
	if err != nil {
		return l, fmt.Errorf("report labels: %w", err)
	}
	for _, r := range rows {
		l[r.By][r.Key] = r.Label
	}
	return l, nil
}

// AgingFilter selects the open items behind a cell of the aging report (its
// drill-down): a bucket and any of the groupings' keys.
type AgingFilter struct {
	Bucket     string
	Account    string
	Payer      string // a payer id, or patient, held, unbilled
	CaseKind   string
	LocationID string
	ProviderID string
	After      string // cursor: the previous page's Next
	Limit      int
}

// Aging drill-down page sizes.
const (
	DefaultItemPage = 50
	MaxItemPage     = 200
)

// Check validates the filter, naming each bad field.
func (f AgingFilter) Check() validate.Errors {
	var errs validate.Errors
	if f.Bucket != "" {
		errs.Check(slices.Contains(Buckets, f.Bucket), "bucket", "must be one of %s", strings.Join(Buckets, ", "))
	}
	if f.Account != "" {
		errs.Check(slices.Contains(receivables(), f.Account), "account", "must be one of %s", strings.Join(receivables(), ", "))
	}
	if f.Payer != "" {
		errs.Check(f.Payer == PayerPatient || f.Payer == PayerHeld || f.Payer == PayerUnbilled || uuid.Validate(f.Payer) == nil,
			"payer", "must be a payer id, %s, %s or %s", PayerPatient, PayerHeld, PayerUnbilled)
	}
	if f.CaseKind != "" {
		errs.Check(cases.Kind(f.CaseKind).Valid(), "case_kind", "must be a case kind")
	}
	for field, v := range map[string]string{"location_id": f.LocationID, "provider_id": f.ProviderID} {
		if v != "" {
			errs.Check(v == NoneKey || uuid.Validate(v) == nil, field, "must be an id (a UUID) or %s", NoneKey)
		}
	}
	if f.After != "" {
		_, _, err := decodeItemCursor(f.After)
		errs.Check(err == nil, "after", "must be the next cursor of a previous page")
	}
	errs.Check(f.Limit >= 0 && f.Limit <= MaxItemPage, "limit", "must be from 1 to %d", MaxItemPage)
	return errs
}

// Filtered reports whether the filter asks for a drill-down.
func (f AgingFilter) Filtered() bool {
	return f.Bucket != "" || f.Account != "" || f.Payer != "" || f.CaseKind != "" || f.LocationID != "" || f.ProviderID != ""
}

// AgingItem is one open item: a visit's balance on one receivable account, with
// the claim and case it belongs to.
type AgingItem struct {
	ID          int64           `json:"-"`
	Account     string          `json:"account"`
	CaseID      *string         `json:"case_id"`
	CaseKind    string          `json:"case_kind"`
	PatientName string          `json:"patient_name"`
	EncounterID *string         `json:"encounter_id"`
	ClaimID     *string         `json:"claim_id"`
	ClaimStage  *string         `json:"claim_stage"`
	PayerID     *string         `json:"payer_id"`
	PayerName   *string         `json:"payer_name"`
	LocationID  *string         `json:"location_id"`
	ProviderID  *string         `json:"provider_id"`
	ServiceDate time.Time       `json:"service_date"`
	AgeDays     int             `json:"age_days"`
	Bucket      string          `json:"bucket"`
	Balance     decimal.Decimal `json:"balance"`
}

// AgingItems is a page of open items, oldest first; Next is the following
// page's cursor.
type AgingItems struct {
	AsOf  string      `json:"as_of"`
	Items []AgingItem `json:"items"`
	Next  string      `json:"next,omitempty"`
}

// AgingDrill reads the open items of one cell of the aging report.
func (s *Service) AgingDrill(ctx context.Context, f AgingFilter) (AgingItems, error) {
	if errs := f.Check(); len(errs) > 0 {
		return AgingItems{}, errs
	}
	if f.Limit == 0 {
		f.Limit = DefaultItemPage
	}
	asOf := day(s.now())
	q := s.DB.WithContext(ctx).Table("ar_items i").Select(`i.id, i.account_code AS account, i.case_id, i.case_kind,
			coalesce(pt.first_name || ' ' || pt.last_name, '') AS patient_name, i.encounter_id, i.claim_id, c.stage AS claim_stage,
			i.payer_id, p.name AS payer_name, i.location_id, i.provider_id, i.service_date, i.balance`).
		Joins("LEFT JOIN patients pt ON pt.id = i.patient_id").
		Joins("LEFT JOIN claims c ON c.id = i.claim_id").
		Joins("LEFT JOIN payers p ON p.id = i.payer_id").
		Where("i.balance <> 0 AND i.account_code IN ?", receivables())
	if scope, args := access.FromContext(ctx).Case("i.case_id"); len(args) > 0 {
		q = q.Where(scope, args...)
	}
	if f.Bucket != "" {
		lo, hi := bucketAges(f.Bucket)
		q = q.Where("i.service_date >= ? AND i.service_date <= ?", asOf.AddDate(0, 0, -hi), asOf.AddDate(0, 0, -lo))
	}
	if f.Account != "" {
		q = q.Where("i.account_code = ?", f.Account)
	}
	switch f.Payer {
	case "":
	case PayerPatient:
		q = q.Where("i.account_code = '1100'")
	case PayerHeld:
		q = q.Where("i.account_code NOT IN ('1100', '1200')")
	case PayerUnbilled:
		q = q.Where("i.account_code = '1200' AND i.payer_id IS NULL")
	default:
		q = q.Where("i.account_code = '1200' AND i.payer_id = ?", f.Payer)
	}
	if f.CaseKind != "" {
		q = q.Where("i.case_kind = ?", f.CaseKind)
	}
	for col, v := range map[string]string{"i.location_id": f.LocationID, "i.provider_id": f.ProviderID} {
		switch v {
		case "":
		case NoneKey:
			q = q.Where(col + " IS NULL")
		default:
			q = q.Where(col+" = ?", v)
		}
	}
	if f.After != "" {
		sd, id, _ := decodeItemCursor(f.After)
		q = q.Where("(i.service_date, i.id) > (?, ?)", sd, id)
	}
	out := AgingItems{AsOf: asOf.Format(time.DateOnly), Items: []AgingItem{}}
	if err := q.Order("i.service_date, i.id").Limit(f.Limit + 1).Scan(&out.Items).Error; err != nil {
		return out, fmt.Errorf("aging items: %w", err)
	}
	if len(out.Items) > f.Limit {
		out.Items = out.Items[:f.Limit]
		last := out.Items[len(out.Items)-1]
		out.Next = encodeItemCursor(last.ServiceDate, last.ID)
	}
	for i := range out.Items {
		it := &out.Items[i]
		it.AgeDays = int(asOf.Sub(day(it.ServiceDate)).Hours() / 24)
		it.Bucket = BucketOf(it.AgeDays)
	}
	return out, nil
}

// bucketAges is the age range in days of a bucket (the last is open-ended).
func bucketAges(b string) (lo, hi int) {
	switch b {
	case Bucket0to30:
		return -100000, 30
	case Bucket31to60:
		return 31, 60
	case Bucket61to90:
		return 61, 90
	case Bucket91to120:
		return 91, 120
	}
	return 121, 1000000
}

func encodeItemCursor(d time.Time, id int64) string {
	return encodeCursor(d, strconv.FormatInt(id, 10))
}

func decodeItemCursor(s string) (time.Time, int64, error) {
	at, key, err := decodeCursorRaw(s)
	if err != nil {
		return at, 0, err
	}
	id, err := strconv.ParseInt(key, 10, 64)
	return at, id, err
}
