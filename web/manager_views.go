package web

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/chart"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/reports"
)

// The managers' pages are views over internal/reports, the same functions the
// API's /api/v1/dashboard and /api/v1/reports/* answer from, so a page and the
// API can never show different numbers. The functions here turn a report into
// what its template shows: figures, tables and SVG charts (internal/chart).

// dashboardView is the manager dashboard.
type dashboardView struct {
	D reports.Dashboard
	// RevenueChange and CashChange compare this month to date with last month
	// ("+12.5%"), empty when last month had none.
	RevenueChange, CashChange string
	ClaimsInFlight            int64
	DenialsThisWeek           int64
	Aging, Stages, Denials    template.HTML
	MoneyTrend, ClaimsTrend   template.HTML
	ARTrend                   template.HTML
}

// weekLabel writes a trend week's Monday briefly (Mar 2).
func weekLabel(monday string) string {
	t, err := time.Parse(time.DateOnly, monday)
	if err != nil {
		return monday
	}
	return t.Format("Jan 2")
}

// change is this versus last as a signed percentage, "" when last is zero.
func change(this, last decimal.Decimal) string {
	if last.IsZero() {
		return ""
	}
	p := this.Sub(last).Mul(decimal.NewFromInt(100)).DivRound(last.Abs(), 1)
	if p.IsPositive() {
		return "+" + p.StringFixed(1) + "%"
	}
	return p.StringFixed(1) + "%"
}

// newDashboardView draws the dashboard's charts from the report.
func newDashboardView(d reports.Dashboard) dashboardView {
	v := dashboardView{D: d, RevenueChange: change(d.Revenue.ThisMonth, d.Revenue.LastMonth),
		CashChange: change(d.Cash.ThisMonth, d.Cash.LastMonth)}
	aging := make([]chart.Point, len(reports.Buckets))
	for i, b := range reports.Buckets {
		aging[i] = chart.Point{Label: b, Value: d.Receivables.Amount(b), Href: Prefix + "/manager/aging/items?bucket=" + url.QueryEscape(b)}
	}
	v.Aging = chart.Bars{ID: "chart-aging", Title: "Outstanding A/R by age",
		Desc: "Open receivable balance (patient, insurance and held) by days since the date of service; total " +
			chart.Money(d.Receivables.Total) + ". Each bar opens the items behind it.",
		ValueAxis: "Open balance", CategoryAxis: "Days since date of service", Points: aging,
		Format: chart.Money, Tick: chart.CompactMoney}.SVG()

	stages := make([]chart.Point, len(d.ClaimsByStage))
	for i, s := range d.ClaimsByStage {
		stages[i] = chart.Point{Label: stageLabel(s.Stage), Value: decimal.NewFromInt(s.Claims),
			Href: Prefix + "/manager/stuck?days=0&stage=" + url.QueryEscape(s.Stage)}
		v.ClaimsInFlight += s.Claims
	}
	v.Stages = chart.Bars{ID: "chart-stages", Title: "Claims in flight by stage",
		Desc:      "Claims not yet paid, written off, transferred, voided or replaced, per stage of the claim lifecycle.",
		ValueAxis: "Claims", CategoryAxis: "Stage", Points: stages, Horizontal: true}.SVG()

	denials := make([]chart.Point, len(d.DenialsThisWeek))
	for i, n := range d.DenialsThisWeek {
		denials[i] = chart.Point{Label: strings.ReplaceAll(n.Key, "_", " "), Value: decimal.NewFromInt(n.Count)}
		v.DenialsThisWeek += n.Count
	}
	v.Denials = chart.Bars{ID: "chart-denials", Title: "Denials this week by category",
		Desc:      "Claims an 835 denied since Monday (UTC), by the denial's primary category.",
		ValueAxis: "Denied claims", CategoryAxis: "Category", Points: denials, Horizontal: true}.SVG()

	weeks := make([]string, len(d.Trend))
	var revenue, cash, ar, submitted, paid, denied []decimal.Decimal
	for i, w := range d.Trend {
		weeks[i] = weekLabel(w.Week)
		revenue, cash, ar = append(revenue, w.Revenue), append(cash, w.Cash), append(ar, w.Receivables)
		submitted = append(submitted, decimal.NewFromInt(w.ClaimsSubmitted))
		paid = append(paid, decimal.NewFromInt(w.ClaimsPaid))
		denied = append(denied, decimal.NewFromInt(w.Denials))
	}
	v.MoneyTrend = chart.Lines{ID: "chart-money-trend", Title: "Revenue and cash, last 12 weeks",
		Desc:      "Net charges posted (revenue) and payments received (cash) per week, Monday to Sunday (UTC).",
		ValueAxis: "Amount", CategoryAxis: "Week starting", Categories: weeks,
		Series: []chart.Series{{Name: "revenue", Values: revenue}, {Name: "cash", Values: cash}},
		Format: chart.Money, Tick: chart.CompactMoney}.SVG()
	v.ARTrend = chart.Lines{ID: "chart-ar-trend", Title: "A/R at each week's end",
		Desc:      "Receivable balance (ledger 1100+1200+1300) at the end of each of the last 12 weeks (this week: now).",
		ValueAxis: "Receivables", CategoryAxis: "Week starting", Categories: weeks,
		Series: []chart.Series{{Name: "A/R", Values: ar}}, Format: chart.Money, Tick: chart.CompactMoney}.SVG()
	v.ClaimsTrend = chart.GroupedBars{ID: "chart-claims-trend", Title: "Claims submitted, paid and denied per week",
		Desc:      "Claim transitions per week, Monday to Sunday (UTC): to submitted, to paid and to denied.",
		ValueAxis: "Claims", CategoryAxis: "Week starting", Categories: weeks,
		Series: []chart.Series{{Name: "submitted", Values: submitted}, {Name: "paid", Values: paid}, {Name: "denied", Values: denied}}}.SVG()
	return v
}

// stageLabel writes a claim stage for people: needs_fix → needs fix.
func stageLabel(stage string) string { return strings.ReplaceAll(stage, "_", " ") }

// stuckView is the stuck-claims page: the summary by stage and payer, or one
// group's claims with their timeline chart.
type stuckView struct {
	Days    int
	Stage   string
	PayerID string
	// Summary is set without a group; Page with one.
	Summary  *reports.StuckSummary
	Page     *reports.StuckPage
	Claims   []stuckClaimView
	Timeline template.HTML
	// ByStage draws the summary: stuck claims per stage.
	ByStage template.HTML
	// Stages are the stages a claim can be stuck in (the filter's choices).
	Stages []string
}

// stuckClaimView is one stuck claim with its links.
type stuckClaimView struct {
	reports.StuckClaim
	ClaimHref   string
	WorkflowURL string
}

// claimTimelineRows turns each claim's transitions into timeline segments:
// each transition starts a segment in its to-stage that lasts until the next.
func claimTimelineRows(cs []reports.StuckClaim, href func(claimID string) string) []chart.TimelineRow {
	rows := make([]chart.TimelineRow, 0, len(cs))
	for _, c := range cs {
		row := chart.TimelineRow{Label: c.PatientControlNumber + " · " + c.PayerName, Href: href(c.ClaimID)}
		if c.PatientControlNumber == "" {
			row.Label = shortID(c.ClaimID) + " · " + c.PayerName
		}
		for i, t := range c.Timeline {
			sg := chart.Segment{Stage: t.ToStage, From: t.At, Why: t.By}
			if i+1 < len(c.Timeline) {
				sg.To = c.Timeline[i+1].At
			}
			row.Segments = append(row.Segments, sg)
		}
		if len(row.Segments) == 0 { // no events recorded: the current stage since it changed
			row.Segments = []chart.Segment{{Stage: c.Stage, From: c.StageChangedAt}}
		}
		if w := c.WaitingFor; w != nil && w.Timer != nil {
			row.Next, row.NextAt = w.Timer.Name, w.Timer.FiresAt
		}
		rows = append(rows, row)
	}
	return rows
}

// newStuckByStage draws the summary's claims per stage, each bar opening
// that stage's claims.
func newStuckByStage(sum reports.StuckSummary) template.HTML {
	var pts []chart.Point
	for _, st := range claims.Stages {
		var n int64
		for _, g := range sum.Groups {
			if g.Stage == st {
				n += g.Claims
			}
		}
		if n > 0 {
			pts = append(pts, chart.Point{Label: stageLabel(st), Value: decimal.NewFromInt(n),
				Href: Prefix + "/manager/stuck?days=" + strconv.Itoa(sum.Days) + "&stage=" + url.QueryEscape(st)})
		}
	}
	return chart.Bars{ID: "chart-stuck-stages", Title: "Stuck claims by stage",
		Desc:      "Claims whose last move is more than " + strconv.Itoa(sum.Days) + " days old, per stage they wait in.",
		ValueAxis: "Claims", Points: pts, Horizontal: true, Width: 1160}.SVG()
}

// newStuckTimeline draws where each claim of a page has been waiting.
func newStuckTimeline(page reports.StuckPage, now time.Time, href func(string) string) template.HTML {
	return chart.Timeline{ID: "chart-stuck-timeline", Title: "Where each stuck claim has been waiting",
		Desc: "One row per claim: each coloured stretch is a stage of the claim and how long it stayed there; " +
			"the outlined last stretch is the stage it waits in now, with its days so far.",
		Now: now, Stages: claims.Stages, Rows: claimTimelineRows(page.Claims, href), Width: 1160}.SVG()
}

// agingView is the A/R aging page: one grouping's table (with drill-down
// links in every cell), the bucket chart, and the ledger cross-check.
type agingView struct {
	A      reports.Aging
	By     string
	Rows   []reports.AgingRow
	Chart  template.HTML
	Groups []string
	// Buckets are the column heads.
	Buckets []string
}

// drillParam is the query parameter of the drill-down that selects a row of
// a grouping.
var drillParam = map[string]string{
	reports.ByAccount: "account", reports.ByPayer: "payer", reports.ByCaseKind: "case_kind",
	reports.ByLocation: "location_id", reports.ByProvider: "provider_id",
}

// agingCellHref links a cell of the aging table to its open items.
func agingCellHref(by, key, bucket string) string {
	q := url.Values{}
	if bucket != "" {
		q.Set("bucket", bucket)
	}
	if by != "" && key != "" && key != "total" {
		q.Set(drillParam[by], key)
	}
	return Prefix + "/manager/aging/items?" + q.Encode()
}

// CellHref links a cell of the table (key "" for the total row, bucket "" for
// the total column) to its open items.
func (v agingView) CellHref(key, bucket string) string { return agingCellHref(v.By, key, bucket) }

// newAgingView builds the aging page of one grouping.
func newAgingView(a reports.Aging, by string) agingView {
	v := agingView{A: a, By: by, Rows: a.Groups[by], Groups: reports.Groupings, Buckets: reports.Buckets}
	series := make([]chart.Series, 0, len(v.Rows))
	for i, r := range v.Rows {
		if i == len(chart.Palette)-1 && len(v.Rows) > len(chart.Palette) {
			rest := chart.Series{Name: "all others", Values: make([]decimal.Decimal, len(reports.Buckets))}
			for _, o := range v.Rows[i:] {
				for j, b := range reports.Buckets {
					rest.Values[j] = rest.Values[j].Add(o.Amount(b))
				}
			}
			series = append(series, rest)
			break
		}
		s := chart.Series{Name: r.Label}
		for _, b := range reports.Buckets {
			s.Values = append(s.Values, r.Amount(b))
		}
		series = append(series, s)
	}
	v.Chart = chart.GroupedBars{ID: "chart-aging-by", Title: "Open A/R by age and " + groupingLabel(by),
		Desc:      "Open receivables stacked by " + groupingLabel(by) + " in each aging bucket; totals on top.",
		ValueAxis: "Open balance", CategoryAxis: "Days since date of service", Categories: reports.Buckets,
		Series: series, Stacked: true, Format: chart.Money, Tick: chart.CompactMoney, Width: 1160, Height: 280}.SVG()
	return v
}

// groupingLabel names an aging grouping for people.
func groupingLabel(by string) string {
	switch by {
	case reports.ByCaseKind:
		return "case kind"
	case reports.ByAccount:
		return "account"
	}
	return by
}

// kpiView is one KPI as the KPI page shows it.
type kpiView struct {
	reports.KPI
	Title string
	// Shown is the value with its unit ("92.31%", "34.5 days"), or "—".
	Shown string
}

// kpiTitles name the KPIs for people.
var kpiTitles = map[string]string{
	reports.KPIDaysInAR: "Days in A/R", reports.KPICleanClaimRate: "Clean-claim rate",
	reports.KPIFirstPassRate: "First-pass resolution rate", reports.KPIDenialRate: "Denial rate",
	reports.KPINetCollection: "Net collection rate", reports.KPIGrossCollection: "Gross collection rate",
	reports.KPIDaysToPayment: "Average days to payment", reports.KPITouchlessRate: "Touchless-claim rate",
	reports.KPIAppealSuccessRate: "Appeal success rate",
}

func newKPIViews(ks []reports.KPI) []kpiView {
	out := make([]kpiView, len(ks))
	for i, k := range ks {
		v := kpiView{KPI: k, Title: kpiTitles[k.Name], Shown: "—"}
		if v.Title == "" {
			v.Title = strings.ReplaceAll(k.Name, "_", " ")
		}
		if k.Value != nil {
			switch k.Unit {
			case "percent":
				v.Shown = k.Value.StringFixed(2) + "%"
			case "days":
				v.Shown = k.Value.StringFixed(1) + " days"
			default:
				v.Shown = k.Value.String() + " " + k.Unit
			}
		}
		out[i] = v
	}
	return out
}

// rateChart draws a breakdown of a rate (denials by category, by payer).
func rateChart(id, title, desc string, rs []reports.Rate) template.HTML {
	pts := make([]chart.Point, 0, len(rs))
	for _, r := range rs {
		if r.Value == nil {
			continue
		}
		label := r.Label
		if label == "" {
			label = strings.ReplaceAll(r.Key, "_", " ")
		}
		pts = append(pts, chart.Point{Label: label, Value: *r.Value})
	}
	return chart.Bars{ID: id, Title: title, Desc: desc, ValueAxis: "Percent of 835 claim payments",
		Points: pts, Horizontal: true, Format: func(d decimal.Decimal) string { return d.StringFixed(2) + "%" }}.SVG()
}
