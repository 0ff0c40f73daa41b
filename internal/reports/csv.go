package reports

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Table is a report as a spreadsheet: a header and rows. The API (?format=csv)
// and the web application's downloads write the same tables, so a manager's
// spreadsheet is the same whichever way it was fetched.
type Table struct {
	// Name is the download's file name without .csv.
	Name   string
	Header []string
	Rows   [][]string
}

func money(d decimal.Decimal) string { return d.StringFixed(2) }

func optDec(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// StuckTable is the stuck-claims summary by stage and payer.
func StuckTable(sum StuckSummary) Table {
	rows := make([][]string, 0, len(sum.Groups))
	for _, g := range sum.Groups {
		rows = append(rows, []string{g.Stage, g.PayerID, g.PayerName, strconv.FormatInt(g.Claims, 10),
			money(g.TotalCharge), stamp(g.OldestSince), strconv.Itoa(g.MaxDays)})
	}
	return Table{Name: "stuck-claims", Header: []string{"stage", "payer_id", "payer_name", "claims", "total_charge", "oldest_since", "max_days"}, Rows: rows}
}

// StuckClaimsTable is a page of one group's stuck claims, with what each waits for.
func StuckClaimsTable(page StuckPage) Table {
	rows := make([][]string, 0, len(page.Claims))
	for _, cl := range page.Claims {
		waiting, timer, timerAt := cl.WaitingError, "", ""
		if cl.WaitingFor != nil {
			waiting = cl.WaitingFor.For
			if t := cl.WaitingFor.Timer; t != nil {
				timer, timerAt = t.Name, stamp(t.FiresAt)
			}
		}
		var tasks []string
		for _, t := range cl.OpenTasks {
			tasks = append(tasks, t.Queue+"/"+t.Kind+" ("+t.Status+")")
		}
		last := ""
		if n := len(cl.Timeline); n > 0 {
			e := cl.Timeline[n-1]
			last = fmt.Sprintf("%s %s -> %s by %s", stamp(e.At), e.FromStage, e.ToStage, e.By)
		}
		rows = append(rows, []string{cl.ClaimID, cl.CaseID, cl.PatientName, cl.PatientControlNumber, cl.PayerName,
			cl.Stage, stamp(cl.StageChangedAt), strconv.Itoa(cl.DaysInStage), money(cl.TotalCharge),
			waiting, timer, timerAt, strings.Join(tasks, "; "), last})
	}
	return Table{Name: "stuck-claims-detail", Header: []string{"claim_id", "case_id", "patient_name", "patient_control_number",
		"payer_name", "stage", "stage_changed_at", "days_in_stage", "total_charge", "waiting_for", "timer",
		"timer_fires_at", "open_tasks", "last_transition"}, Rows: rows}
}

// AgingItemsTable is the open items behind a cell of the aging report.
func AgingItemsTable(items AgingItems) Table {
	rows := make([][]string, 0, len(items.Items))
	for _, it := range items.Items {
		rows = append(rows, []string{it.Account, deref(it.CaseID), it.CaseKind, it.PatientName, deref(it.EncounterID),
			deref(it.ClaimID), deref(it.ClaimStage), deref(it.PayerName), deref(it.LocationID), deref(it.ProviderID),
			it.ServiceDate.Format(time.DateOnly), strconv.Itoa(it.AgeDays), it.Bucket, money(it.Balance)})
	}
	return Table{Name: "ar-aging-items", Header: []string{"account", "case_id", "case_kind", "patient_name", "encounter_id",
		"claim_id", "claim_stage", "payer_name", "location_id", "provider_id", "service_date", "age_days", "bucket", "balance"}, Rows: rows}
}

// AgingTable is the aging report: every grouping's rows, then the total.
func AgingTable(ag Aging) Table {
	line := func(group string, r AgingRow) []string {
		out := []string{group, r.Key, r.Label}
		for _, b := range Buckets {
			out = append(out, money(r.Amount(b)))
		}
		return append(out, money(r.Total))
	}
	var rows [][]string
	for _, g := range Groupings {
		for _, r := range ag.Groups[g] {
			rows = append(rows, line(g, r))
		}
	}
	rows = append(rows, line("total", ag.Total))
	return Table{Name: "ar-aging", Header: append(append([]string{"group", "key", "label"}, Buckets...), "total"), Rows: rows}
}

// KPITable is the KPI report with its breakdowns.
func KPITable(k KPIs) Table {
	var rows [][]string
	for _, x := range k.KPIs {
		rows = append(rows, []string{"kpi", x.Name, "", optDec(x.Value), x.Unit, x.Numerator.String(), x.Denominator.String(), x.Formula})
	}
	for _, sec := range []struct {
		name  string
		rates []Rate
	}{{"denials_by_category", k.DenialsByCategory}, {"denials_by_payer", k.DenialsByPayer}, {"denials_by_carc", k.DenialsByCARC}} {
		for _, r := range sec.rates {
			rows = append(rows, []string{sec.name, r.Key, r.Label, optDec(r.Value), "percent",
				strconv.FormatInt(r.Numerator, 10), strconv.FormatInt(r.Denominator, 10), ""})
		}
	}
	for _, d := range k.DaysToPayment {
		rows = append(rows, []string{"days_to_payment_by_payer", d.PayerID, d.PayerName, optDec(d.AvgDays), "days",
			"", strconv.FormatInt(d.Claims, 10), ""})
	}
	return Table{Name: "kpis-" + k.From + "-" + k.To, Header: []string{"section", "key", "label", "value", "unit", "numerator", "denominator", "formula"}, Rows: rows}
}

// DashboardTable is the dashboard, one figure a row.
func DashboardTable(d Dashboard) Table {
	rows := [][]string{
		{"revenue", "this_month", money(d.Revenue.ThisMonth)}, {"revenue", "last_month", money(d.Revenue.LastMonth)},
		{"cash", "this_month", money(d.Cash.ThisMonth)}, {"cash", "last_month", money(d.Cash.LastMonth)},
	}
	for _, b := range Buckets {
		rows = append(rows, []string{"receivables", b, money(d.Receivables.Amount(b))})
	}
	rows = append(rows, []string{"receivables", "total", money(d.Receivables.Total)})
	for _, st := range d.ClaimsByStage {
		rows = append(rows, []string{"claims_by_stage", st.Stage, strconv.FormatInt(st.Claims, 10)})
	}
	rows = append(rows, []string{"stuck_claims", strconv.Itoa(d.StuckDays) + "_days", strconv.FormatInt(d.StuckClaims, 10)},
		[]string{"overdue_tasks", "", strconv.FormatInt(d.OverdueTasks, 10)})
	for _, n := range d.DenialsThisWeek {
		rows = append(rows, []string{"denials_this_week", n.Key, strconv.FormatInt(n.Count, 10)})
	}
	for _, w := range d.Trend {
		rows = append(rows, []string{"trend_revenue", w.Week, money(w.Revenue)}, []string{"trend_cash", w.Week, money(w.Cash)},
			[]string{"trend_receivables", w.Week, money(w.Receivables)},
			[]string{"trend_claims_submitted", w.Week, strconv.FormatInt(w.ClaimsSubmitted, 10)},
			[]string{"trend_claims_paid", w.Week, strconv.FormatInt(w.ClaimsPaid, 10)},
			[]string{"trend_denials", w.Week, strconv.FormatInt(w.Denials, 10)})
	}
	return Table{Name: "dashboard", Header: []string{"figure", "key", "value"}, Rows: rows}
}
