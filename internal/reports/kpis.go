package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/denials"
	"github.com/clinicflow/rcm/internal/validate"
)

// Period is a range of whole UTC days, both ends included.
type Period struct {
	From time.Time
	To   time.Time
}

// MaxPeriodDays is the longest period a report covers.
const MaxPeriodDays = 3660

// ParsePeriod reads from and to (YYYY-MM-DD); a missing from is the first day of
// to's month, a missing to is today. Errors name the field.
func ParsePeriod(from, to string, now time.Time) (Period, validate.Errors) {
	var errs validate.Errors
	p := Period{To: day(now)}
	if to != "" {
		t, err := time.Parse(time.DateOnly, to)
		if err != nil {
			errs.Add("to", "must be a date YYYY-MM-DD")
		}
		p.To = t
	}
	p.From = time.Date(p.To.Year(), p.To.Month(), 1, 0, 0, 0, 0, time.UTC)
	if from != "" {
		f, err := time.Parse(time.DateOnly, from)
		if err != nil {
			errs.Add("from", "must be a date YYYY-MM-DD")
		}
		p.From = f
	}
	if len(errs) == 0 {
		errs.Check(!p.From.After(p.To), "from", "must not be after to (%s)", p.To.Format(time.DateOnly))
		errs.Check(p.Days() <= MaxPeriodDays, "from", "the period must be at most %d days", MaxPeriodDays)
	}
	return p, errs
}

// Days is the number of days in the period.
func (p Period) Days() int { return int(p.To.Sub(p.From).Hours()/24) + 1 }

// end is the first instant after the period.
func (p Period) end() time.Time { return p.To.AddDate(0, 0, 1) }

// KPI is one key figure with the formula it was computed by. Value is nil when
// the denominator is zero (nothing to measure in the period).
type KPI struct {
	Name        string           `json:"name"`
	Value       *decimal.Decimal `json:"value"`
	Unit        string           `json:"unit"`
	Formula     string           `json:"formula"`
	Numerator   decimal.Decimal  `json:"numerator"`
	Denominator decimal.Decimal  `json:"denominator"`
}

// Rate is a KPI broken down by one key (a denial category, a payer, a CARC).
type Rate struct {
	Key         string           `json:"key"`
	Label       string           `json:"label"`
	Numerator   int64            `json:"numerator"`
	Denominator int64            `json:"denominator"`
	Value       *decimal.Decimal `json:"value"`
}

// PayerDays is the average days to payment of one payer.
type PayerDays struct {
	PayerID   string           `json:"payer_id"`
	PayerName string           `json:"payer_name"`
	Claims    int64            `json:"claims"`
	AvgDays   *decimal.Decimal `json:"avg_days"`
}

// KPIs is the KPI report of a period.
type KPIs struct {
	From              string      `json:"from"`
	To                string      `json:"to"`
	KPIs              []KPI       `json:"kpis"`
	DenialsByCategory []Rate      `json:"denials_by_category"`
	DenialsByPayer    []Rate      `json:"denials_by_payer"`
	DenialsByCARC     []Rate      `json:"denials_by_carc"`
	DaysToPayment     []PayerDays `json:"days_to_payment_by_payer"`
}

// KPI names and formulas, as the response and the README state them.
const (
	KPIDaysInAR          = "days_in_ar"
	KPICleanClaimRate    = "clean_claim_rate"
	KPIFirstPassRate     = "first_pass_resolution_rate"
	KPIDenialRate        = "denial_rate"
	KPINetCollection     = "net_collection_rate"
	KPIGrossCollection   = "gross_collection_rate"
	KPIDaysToPayment     = "avg_days_to_payment"
	KPITouchlessRate     = "touchless_claim_rate"
	KPIAppealSuccessRate = "appeal_success_rate"
)

// Formulas are each KPI's definition.
var Formulas = map[string]string{
	KPIDaysInAR: "receivable balance (ledger 1100+1150+1200+1300) at the end of `to` ÷ (net charges posted in the period " +
		"(revenue 4000 credits − debits) ÷ days in the period)",
	KPICleanClaimRate: "claims first submitted in the period that never went to needs_fix, eligibility_hold or rejected " +
		"÷ claims first submitted in the period × 100",
	KPIFirstPassRate: "claims whose first 835 arrived in the period and made them paid ÷ claims whose first 835 " +
		"arrived in the period × 100",
	KPIDenialRate: "835 claim payments received in the period that deny all or part of the claim (CAS CO/PI/OA with a " +
		"non-routine CARC, or CLP02 = 4) ÷ 835 claim payments received in the period (reversals excluded) × 100",
	KPINetCollection: "payments (cash 1000 debits) in the period ÷ (net charges − contractual adjustments (4910)) " +
		"in the period × 100",
	KPIGrossCollection: "payments (cash 1000 debits) in the period ÷ net charges in the period × 100",
	KPIDaysToPayment: "average over claims first paid (an 835 paying more than zero) in the period of the days from " +
		"the claim's first submission to that 835's arrival",
	KPITouchlessRate: "claims that reached paid in the period with no task ever raised about them and no transition " +
		"made by a person ÷ claims that reached paid in the period × 100",
	KPIAppealSuccessRate: "appeals sent in the period whose next 835 paid the claim in full or in part ÷ appeals sent in " +
		"the period that have an 835 answer × 100",
}

func kpi(name, unit string, num, den decimal.Decimal, places int32) KPI {
	k := KPI{Name: name, Unit: unit, Formula: Formulas[name], Numerator: num, Denominator: den}
	if unit == "percent" {
		k.Value = ratio(num.Mul(decimal.NewFromInt(100)), den, places)
	} else {
		k.Value = ratio(num, den, places)
	}
	return k
}

func countKPI(name string, num, den int64) KPI {
	k := kpi(name, "percent", decimal.NewFromInt(num), decimal.NewFromInt(den), 2)
	return k
}

// ledgerSums are debits and credits per account over days.
type ledgerSums map[string]struct{ Debits, Credits decimal.Decimal }

func (s *Service) ledgerSums(ctx context.Context, from, to time.Time) (ledgerSums, error) {
	var rows []struct {
		AccountCode     string
		Debits, Credits decimal.Decimal
	}
	if err := s.DB.WithContext(ctx).Raw(`SELECT account_code, sum(debits) AS debits, sum(credits) AS credits
		FROM ledger_daily_all WHERE day >= ? AND day <= ? GROUP BY account_code`, from, to).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("ledger sums: %w", err)
	}
	out := ledgerSums{}
	for _, r := range rows {
		out[r.AccountCode] = struct{ Debits, Credits decimal.Decimal }{r.Debits, r.Credits}
	}
	return out, nil
}

func (l ledgerSums) charges() decimal.Decimal {
	return l["4000"].Credits.Sub(l["4000"].Debits)
}
func (l ledgerSums) cash() decimal.Decimal        { return l["1000"].Debits }
func (l ledgerSums) contractual() decimal.Decimal { return l["4910"].Debits.Sub(l["4910"].Credits) }

// receivableAt is the receivable balance at the end of day d.
func (s *Service) receivableAt(ctx context.Context, d time.Time) (decimal.Decimal, error) {
	var v decimal.Decimal
	err := s.DB.WithContext(ctx).Raw(`SELECT coalesce(sum(debits - credits), 0) FROM ledger_daily_all
		WHERE day <= ? AND account_code IN ?`, d, receivables()).Scan(&v).Error
	if err != nil {
		return v, fmt.Errorf("receivable balance: %w", err)
	}
	return v, nil
}

// KPIs computes every KPI over the period.
func (s *Service) KPIs(ctx context.Context, p Period) (KPIs, error) {
	out := KPIs{From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly)}
	if err := s.foldDaily(ctx); err != nil {
		return out, err
	}
	g := s.DB.WithContext(ctx)
	sums, err := s.ledgerSums(ctx, p.From, p.To)
	if err != nil {
		return out, err
	}
	ar, err := s.receivableAt(ctx, p.To)
	if err != nil {
		return out, err
	}
	charges := sums.charges()
	perDay := decimal.Zero
	if charges.IsPositive() {
		perDay = charges.DivRound(decimal.NewFromInt(int64(p.Days())), 6)
	}
	out.KPIs = append(out.KPIs, kpi(KPIDaysInAR, "days", ar, perDay, 1))

	var counts struct {
		Submitted, Clean, FirstPass, FirstPassPaid, Paid, Touchless int64
	}
	start, end := p.From, p.end()
	if err := g.Raw(`WITH first_sub AS (
			SELECT s.claim_id FROM claim_events s WHERE s.to_stage = 'submitted' AND s.at >= @start AND s.at < @end
			AND NOT EXISTS (SELECT 1 FROM claim_events b WHERE b.claim_id = s.claim_id AND b.to_stage = 'submitted'
				AND (b.at, b.id) < (s.at, s.id))),
		first835 AS (
			SELECT s.claim_id, s.to_stage FROM claim_events s WHERE s.cause = '835' AND s.at >= @start AND s.at < @end
			AND NOT EXISTS (SELECT 1 FROM claim_events b WHERE b.claim_id = s.claim_id AND b.cause = '835'
				AND (b.at, b.id) < (s.at, s.id))),
		paid AS (
			SELECT s.claim_id FROM claim_events s WHERE s.to_stage = 'paid' AND s.at >= @start AND s.at < @end
			AND NOT EXISTS (SELECT 1 FROM claim_events b WHERE b.claim_id = s.claim_id AND b.to_stage = 'paid'
				AND (b.at, b.id) < (s.at, s.id)))
		SELECT
		(SELECT count(*) FROM first_sub) AS submitted,
		(SELECT count(*) FROM first_sub f WHERE NOT EXISTS (SELECT 1 FROM claim_events e WHERE e.claim_id = f.claim_id
			AND e.to_stage IN ('needs_fix', 'eligibility_hold', 'rejected'))) AS clean,
		(SELECT count(*) FROM first835) AS first_pass,
		(SELECT count(*) FROM first835 WHERE to_stage = 'paid') AS first_pass_paid,
		(SELECT count(*) FROM paid) AS paid,
		(SELECT count(*) FROM paid p WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.claim_id = p.claim_id)
			AND NOT EXISTS (SELECT 1 FROM claim_events e WHERE e.claim_id = p.claim_id
			AND (e.actor_id IS NOT NULL OR e.cause = 'user'))) AS touchless`,
		map[string]any{"start": start, "end": end}).Scan(&counts).Error; err != nil {
		return out, fmt.Errorf("claim kpis: %w", err)
	}
	out.KPIs = append(out.KPIs, countKPI(KPICleanClaimRate, counts.Clean, counts.Submitted),
		countKPI(KPIFirstPassRate, counts.FirstPassPaid, counts.FirstPass))

	den, err := s.denials(ctx, start, end)
	if err != nil {
		return out, err
	}
	out.KPIs = append(out.KPIs, countKPI(KPIDenialRate, den.denied, den.adjudicated))
	out.DenialsByCategory, out.DenialsByPayer, out.DenialsByCARC = den.byCategory, den.byPayer, den.byCARC

	cash := sums.cash()
	out.KPIs = append(out.KPIs, kpi(KPINetCollection, "percent", cash, charges.Sub(sums.contractual()), 2),
		kpi(KPIGrossCollection, "percent", cash, charges, 2))

	days, all, err := s.daysToPayment(ctx, start, end)
	if err != nil {
		return out, err
	}
	out.DaysToPayment = days
	out.KPIs = append(out.KPIs, all, countKPI(KPITouchlessRate, counts.Touchless, counts.Paid))

	var appeals struct{ Decided, Won int64 }
	if err := g.Raw(`SELECT count(outcome) AS decided, count(*) FILTER (WHERE outcome IN ('paid', 'partially_paid')) AS won
		FROM (SELECT (SELECT e.to_stage FROM claim_events e WHERE e.claim_id = a.claim_id AND e.cause = '835'
		              AND (e.at, e.id) > (a.at, a.id) ORDER BY e.at, e.id LIMIT 1) AS outcome
		      FROM claim_events a WHERE a.to_stage = 'appealed' AND a.at >= ? AND a.at < ?) x`, start, end).Scan(&appeals).Error; err != nil {
		return out, fmt.Errorf("appeal kpi: %w", err)
	}
	out.KPIs = append(out.KPIs, countKPI(KPIAppealSuccessRate, appeals.Won, appeals.Decided))
	return out, nil
}

type denialCounts struct {
	denied, adjudicated int64
	byCategory, byPayer []Rate
	byCARC              []Rate
}

// remitRow is an 835 claim payment matched to a claim.
type remitRow struct {
	ClaimID    string
	PayerID    string
	PayerName  string
	StatusCode string
	Detail     []byte
	At         time.Time
}

// denials classifies the 835 claim payments received in [start, end).
func (s *Service) denials(ctx context.Context, start, end time.Time) (denialCounts, error) {
	var rows []remitRow
	err := s.DB.WithContext(ctx).Raw(`SELECT rc.claim_id, c.payer_id, p.name AS payer_name, rc.status_code, rc.detail, r.received_at AS at
		FROM remittances r JOIN remittance_claims rc ON rc.remittance_id = r.id
		JOIN claims c ON c.id = rc.claim_id JOIN payers p ON p.id = c.payer_id
		WHERE r.received_at >= ? AND r.received_at < ? AND rc.status_code <> '22'`, start, end).Scan(&rows).Error
	if err != nil {
		return denialCounts{}, fmt.Errorf("denials: %w", err)
	}
	var out denialCounts
	type tally struct {
		label    string
		num, den int64
	}
	cat, payer, carc := map[string]*tally{}, map[string]*tally{}, map[string]*tally{}
	for _, r := range rows {
		d, err := classify(r.Detail)
		if err != nil {
			return out, fmt.Errorf("denials: claim %s: %w", r.ClaimID, err)
		}
		out.adjudicated++
		pt := payer[r.PayerID]
		if pt == nil {
			pt = &tally{label: r.PayerName}
			payer[r.PayerID] = pt
		}
		pt.den++
		if !d.Denied {
			continue
		}
		out.denied++
		pt.num++
		key := string(d.PrimaryCategory)
		if key == "" {
			key = "other"
		}
		if cat[key] == nil {
			cat[key] = &tally{label: strings.ReplaceAll(key, "_", " ")}
		}
		cat[key].num++
		seen := map[string]bool{}
		for _, rs := range d.Reasons {
			code := rs.Group + "-" + rs.Code
			if seen[code] {
				continue
			}
			seen[code] = true
			if carc[code] == nil {
				carc[code] = &tally{label: rs.Description}
			}
			carc[code].num++
		}
	}
	list := func(m map[string]*tally, den func(*tally) int64) []Rate {
		out := []Rate{}
		for k, t := range m {
			n := den(t)
			out = append(out, Rate{Key: k, Label: t.label, Numerator: t.num, Denominator: n, Value: percent(t.num, n)})
		}
		slices.SortFunc(out, func(a, b Rate) int {
			if a.Numerator != b.Numerator {
				return int(b.Numerator - a.Numerator)
			}
			return strings.Compare(a.Key, b.Key)
		})
		return out
	}
	all := func(*tally) int64 { return out.adjudicated }
	out.byCategory = list(cat, all)
	out.byPayer = list(payer, func(t *tally) int64 { return t.den })
	out.byCARC = list(carc, all)
	return out, nil
}

func classify(detail []byte) (denials.Denial, error) {
	var rd claims.RemittanceDetail
	if err := json.Unmarshal(detail, &rd); err != nil {
		return denials.Denial{}, err
	}
	return denials.Classify(rd.ClaimPayment), nil
}

// daysToPayment averages, per payer and overall, the days from a claim's first
// submission to the arrival of its first 835 that paid more than zero, for
// claims first paid in [start, end).
func (s *Service) daysToPayment(ctx context.Context, start, end time.Time) ([]PayerDays, KPI, error) {
	var rows []struct {
		PayerID, PayerName string
		Claims             int64
		Days               decimal.Decimal
	}
	err := s.DB.WithContext(ctx).Raw(`WITH first_paid AS (
			SELECT DISTINCT ON (rc.claim_id) rc.claim_id, r.received_at
			FROM remittance_claims rc JOIN remittances r ON r.id = rc.remittance_id
			WHERE rc.claim_id IS NOT NULL AND rc.paid > 0
			ORDER BY rc.claim_id, r.received_at)
		SELECT c.payer_id, p.name AS payer_name, count(*) AS claims,
		       sum(extract(epoch FROM f.received_at - s.at) / 86400) AS days
		FROM first_paid f JOIN claims c ON c.id = f.claim_id JOIN payers p ON p.id = c.payer_id
		JOIN LATERAL (SELECT min(e.at) AS at FROM claim_events e WHERE e.claim_id = f.claim_id AND e.to_stage = 'submitted') s ON s.at IS NOT NULL
		WHERE f.received_at >= ? AND f.received_at < ?
		GROUP BY c.payer_id, p.name ORDER BY p.name, c.payer_id`, start, end).Scan(&rows).Error
	if err != nil {
		return nil, KPI{}, fmt.Errorf("days to payment: %w", err)
	}
	out := []PayerDays{}
	var n int64
	total := decimal.Zero
	for _, r := range rows {
		out = append(out, PayerDays{PayerID: r.PayerID, PayerName: r.PayerName, Claims: r.Claims,
			AvgDays: ratio(r.Days, decimal.NewFromInt(r.Claims), 1)})
		n += r.Claims
		total = total.Add(r.Days)
	}
	k := kpi(KPIDaysToPayment, "days", total.Round(6), decimal.NewFromInt(n), 1)
	return out, k, nil
}
