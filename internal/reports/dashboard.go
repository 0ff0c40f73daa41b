package reports

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// TrendWeeks is how many weeks the dashboard's trends cover (this week included).
const TrendWeeks = 12

// Dashboard is what a manager sees at sign-in, in one call.
type Dashboard struct {
	AsOf time.Time `json:"as_of"`
	// Revenue is net charges posted (revenue 4000 credits − debits); Cash is money
	// received (cash 1000 debits). This month runs to today.
	Revenue MonthPair `json:"revenue"`
	Cash    MonthPair `json:"cash"`
	// Receivables is the outstanding A/R by aging bucket (as the aging report).
	Receivables AgingRow `json:"receivables"`
	// ClaimsByStage counts the claims in flight (not paid, written off,
	// transferred, voided or replaced) per stage.
	ClaimsByStage []StageCount `json:"claims_by_stage"`
	StuckDays     int          `json:"stuck_days"`
	StuckClaims   int64        `json:"stuck_claims"`
	// OverdueTasks are open or claimed tasks whose due time has passed.
	OverdueTasks int64 `json:"overdue_tasks"`
	// DenialsThisWeek are the claims an 835 denied since Monday, by category.
	DenialsThisWeek []Count `json:"denials_this_week"`
	Trend           []Week  `json:"trend"`
}

// MonthPair is a figure this month and last month.
type MonthPair struct {
	ThisMonth decimal.Decimal `json:"this_month"`
	LastMonth decimal.Decimal `json:"last_month"`
}

// StageCount is the number of claims in a stage.
type StageCount struct {
	Stage  string `json:"stage"`
	Claims int64  `json:"claims"`
}

// Count is a number of things under a key.
type Count struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// Week is one week (Monday to Sunday, UTC) of the trend.
type Week struct {
	Week    string          `json:"week"` // its Monday
	Revenue decimal.Decimal `json:"revenue"`
	Cash    decimal.Decimal `json:"cash"`
	// Receivables is the receivable balance at the end of the week (or now).
	Receivables     decimal.Decimal `json:"receivables"`
	ClaimsSubmitted int64           `json:"claims_submitted"`
	ClaimsPaid      int64           `json:"claims_paid"`
	Denials         int64           `json:"denials"`
}

// monday is the Monday of t's week.
func monday(t time.Time) time.Time {
	d := day(t)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// Dashboard reads the dashboard.
func (s *Service) Dashboard(ctx context.Context) (Dashboard, error) {
	if err := s.foldDaily(ctx); err != nil {
		return Dashboard{}, err
	}
	now := s.now()
	today := day(now)
	g := s.DB.WithContext(ctx)
	out := Dashboard{AsOf: now, StuckDays: DefaultStuckDays}
	thisMonth := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	lastMonth := thisMonth.AddDate(0, -1, 0)
	for _, m := range []struct {
		from, to  time.Time
		rev, cash *decimal.Decimal
	}{
		{thisMonth, today, &out.Revenue.ThisMonth, &out.Cash.ThisMonth},
		{lastMonth, thisMonth.AddDate(0, 0, -1), &out.Revenue.LastMonth, &out.Cash.LastMonth},
	} {
		sums, err := s.ledgerSums(ctx, m.from, m.to)
		if err != nil {
			return out, err
		}
		*m.rev, *m.cash = sums.charges(), sums.cash()
	}

	var buckets []struct {
		Bucket string
		Amount decimal.Decimal
	}
	if err := g.Raw(`SELECT `+bucketSQL("(CAST(@today AS date) - service_date)")+` AS bucket, sum(balance) AS amount
		FROM ar_aging_daily_all WHERE dim = 'account' AND balance <> 0 GROUP BY 1`,
		map[string]any{"today": today}).Scan(&buckets).Error; err != nil {
		return out, fmt.Errorf("dashboard receivables: %w", err)
	}
	out.Receivables = AgingRow{Key: "total", Label: "Total"}
	for _, b := range buckets {
		out.Receivables.add(b.Bucket, b.Amount)
	}

	byStage, err := s.inFlightByStage(ctx)
	if err != nil {
		return out, fmt.Errorf("dashboard: %w", err)
	}
	out.ClaimsByStage = byStage
	order := stuckStages()
	slices.SortFunc(out.ClaimsByStage, func(a, b StageCount) int {
		return slices.Index(order, a.Stage) - slices.Index(order, b.Stage)
	})
	stuck, err := s.stuckGroups(ctx, now.Add(-DefaultStuckDays*24*time.Hour))
	if err != nil {
		return out, fmt.Errorf("dashboard: %w", err)
	}
	for _, grp := range stuck {
		out.StuckClaims += grp.Claims
	}
	if err := g.Raw(`SELECT count(*) FROM tasks WHERE due_at < ? AND status IN ('open', 'claimed')`, now).
		Scan(&out.OverdueTasks).Error; err != nil {
		return out, fmt.Errorf("dashboard overdue tasks: %w", err)
	}

	week := monday(now)
	cats, err := s.denialsSince(ctx, week)
	if err != nil {
		return out, err
	}
	out.DenialsThisWeek = []Count{}
	for k, n := range cats {
		out.DenialsThisWeek = append(out.DenialsThisWeek, Count{Key: k, Count: n})
	}
	slices.SortFunc(out.DenialsThisWeek, func(a, b Count) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Key, b.Key)
	})

	first := week.AddDate(0, 0, -7*(TrendWeeks-1))
	trend, err := s.trend(ctx, first, today)
	if err != nil {
		return out, err
	}
	out.Trend = trend
	return out, nil
}

func cmpOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// trend reads TrendWeeks weeks from the Monday first to today.
func (s *Service) trend(ctx context.Context, first, today time.Time) ([]Week, error) {
	g := s.DB.WithContext(ctx)
	weeks := make([]Week, TrendWeeks)
	index := map[string]int{}
	for i := range weeks {
		w := first.AddDate(0, 0, 7*i).Format(time.DateOnly)
		weeks[i].Week, index[w] = w, i
	}
	var money []struct {
		Week                       time.Time
		Revenue, Cash, Receivables decimal.Decimal
	}
	if err := g.Raw(`SELECT date_trunc('week', day)::date AS week,
			sum(credits - debits) FILTER (WHERE account_code = '4000') AS revenue,
			sum(debits) FILTER (WHERE account_code = '1000') AS cash
		FROM ledger_daily_all WHERE day >= ? AND day <= ? GROUP BY 1`, first, today).Scan(&money).Error; err != nil {
		return nil, fmt.Errorf("trend money: %w", err)
	}
	for _, m := range money {
		if i, ok := index[m.Week.Format(time.DateOnly)]; ok {
			weeks[i].Revenue, weeks[i].Cash = m.Revenue, m.Cash
		}
	}
	// Receivables at each week's end: the balance before the first week plus
	// each week's movement.
	opening, err := s.receivableAt(ctx, first.AddDate(0, 0, -1))
	if err != nil {
		return nil, err
	}
	var moves []struct {
		Week time.Time
		Net  decimal.Decimal
	}
	if err := g.Raw(`SELECT date_trunc('week', day)::date AS week, sum(debits - credits) AS net
		FROM ledger_daily_all WHERE day >= ? AND day <= ? AND account_code IN ? GROUP BY 1`, first, today, receivables()).
		Scan(&moves).Error; err != nil {
		return nil, fmt.Errorf("trend receivables: %w", err)
	}
	net := make([]decimal.Decimal, TrendWeeks)
	for _, m := range moves {
		if i, ok := index[m.Week.Format(time.DateOnly)]; ok {
			net[i] = m.Net
		}
	}
	bal := opening
	for i := range weeks {
		bal = bal.Add(net[i])
		weeks[i].Receivables = bal
	}
	events, err := s.weeklyTransitions(ctx, first, []string{"submitted", "paid", "denied"})
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		i, ok := index[e.Week.Format(time.DateOnly)]
		if !ok {
			continue
		}
		switch e.ToStage {
		case "submitted":
			weeks[i].ClaimsSubmitted = e.N
		case "paid":
			weeks[i].ClaimsPaid = e.N
		case "denied":
			weeks[i].Denials = e.N
		}
	}
	return weeks, nil
}
