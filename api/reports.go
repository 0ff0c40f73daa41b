package api

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/reports"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// The manager views: each handler reads one report (internal/reports) and answers
// JSON, or CSV when asked (Accept: text/csv or ?format=csv).

func (s *Server) reports() *reports.Service { return &reports.Service{DB: s.DB, Now: s.Clock} }

func (s *Server) clock() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// wantsCSV reads ?format (json or csv) and the Accept header; ok is false after
// a 400 for an unknown format.
func wantsCSV(c *gin.Context) (csvOut, ok bool) {
	switch f := c.Query("format"); f {
	case "csv":
		return true, true
	case "json":
		return false, true
	case "":
		return strings.Contains(c.GetHeader("Accept"), "text/csv"), true
	default:
		invalid(c, validate.Errors{{Field: "format", Message: "must be json or csv"}})
		return false, false
	}
}

// writeCSV answers a table as a CSV attachment named name.csv.
func writeCSV(c *gin.Context, name string, header []string, rows [][]string) {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write(header)
	_ = w.WriteAll(rows)
}

// queryInt reads a whole-number query parameter (def when absent).
func queryInt(c *gin.Context, errs *validate.Errors, name string, def, lo, hi int) int {
	v := c.Query(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		errs.Add(name, "must be a whole number from %d to %d", lo, hi)
		return def
	}
	return n
}

func money(d decimal.Decimal) string { return d.StringFixed(2) }

func optDec(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// stuckClaimsReport answers GET /reports/stuck-claims: the summary by stage and
// payer, or (with stage and/or payer_id) a page of the group's claims with their
// timelines and what each claim's workflow waits for now.
func (s *Server) stuckClaimsReport(c *gin.Context) {
	if !checkQuery(c, []string{"days", "stage", "payer_id", "after", "limit", "format"}) {
		return
	}
	csvOut, ok := wantsCSV(c)
	if !ok {
		return
	}
	var errs validate.Errors
	f := reports.StuckFilter{Stage: c.Query("stage"), PayerID: c.Query("payer_id"), After: c.Query("after")}
	f.Days = queryInt(c, &errs, "days", reports.DefaultStuckDays, 0, 3650)
	f.Limit = queryInt(c, &errs, "limit", reports.DefaultStuckPage, 1, reports.MaxStuckPage)
	errs = append(errs, f.Check()...)
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	ctx := c.Request.Context()
	if f.Stage == "" && f.PayerID == "" && f.After == "" {
		sum, err := s.reports().Stuck(ctx, f.Days)
		if err != nil {
			s.fail(c, err)
			return
		}
		if csvOut {
			rows := make([][]string, 0, len(sum.Groups))
			for _, g := range sum.Groups {
				rows = append(rows, []string{g.Stage, g.PayerID, g.PayerName, strconv.FormatInt(g.Claims, 10),
					money(g.TotalCharge), stamp(g.OldestSince), strconv.Itoa(g.MaxDays)})
			}
			writeCSV(c, "stuck-claims", []string{"stage", "payer_id", "payer_name", "claims", "total_charge", "oldest_since", "max_days"}, rows)
			return
		}
		c.JSON(http.StatusOK, sum)
		return
	}
	page, err := s.reports().StuckClaims(ctx, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	reports.AddWaiting(ctx, &page, s.claimWaiting)
	if csvOut {
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
		writeCSV(c, "stuck-claims-detail", []string{"claim_id", "case_id", "patient_name", "patient_control_number",
			"payer_name", "stage", "stage_changed_at", "days_in_stage", "total_charge", "waiting_for", "timer",
			"timer_fires_at", "open_tasks", "last_transition"}, rows)
		return
	}
	c.JSON(http.StatusOK, page)
}

// claimWaiting asks one claim workflow what it waits for (its state query).
func (s *Server) claimWaiting(ctx context.Context, claimID string) (*contract.ClaimWaiting, error) {
	if s.Temporal == nil {
		return nil, errors.New("no workflow service configured")
	}
	res, err := s.Temporal.QueryWorkflow(ctx, contract.ClaimWorkflowID(claimID), "", contract.QueryClaimState)
	if err != nil {
		return nil, err
	}
	var st contract.ClaimState
	if err := res.Get(&st); err != nil {
		return nil, err
	}
	if st.Waiting == nil { // a workflow that started before the field existed
		return &contract.ClaimWaiting{Phase: st.Phase, For: "phase " + st.Phase}, nil
	}
	return st.Waiting, nil
}

// arAgingReport answers GET /reports/ar-aging: the aging of the ledger's
// receivables by account, payer, case kind, location and provider, or (with a
// bucket or a group key) the open items behind that cell.
func (s *Server) arAgingReport(c *gin.Context) {
	if !checkQuery(c, []string{"by", "bucket", "account", "payer", "case_kind", "location_id", "provider_id", "after", "limit", "format"}) {
		return
	}
	csvOut, ok := wantsCSV(c)
	if !ok {
		return
	}
	var errs validate.Errors
	f := reports.AgingFilter{Bucket: c.Query("bucket"), Account: c.Query("account"), Payer: c.Query("payer"),
		CaseKind: c.Query("case_kind"), LocationID: c.Query("location_id"), ProviderID: c.Query("provider_id"), After: c.Query("after")}
	f.Limit = queryInt(c, &errs, "limit", reports.DefaultItemPage, 1, reports.MaxItemPage)
	by := c.Query("by")
	reports.CheckBy(&errs, by)
	errs = append(errs, f.Check()...)
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	ctx := c.Request.Context()
	if f.Filtered() || f.After != "" {
		items, err := s.reports().AgingDrill(ctx, f)
		if err != nil {
			s.fail(c, err)
			return
		}
		if csvOut {
			rows := make([][]string, 0, len(items.Items))
			for _, it := range items.Items {
				rows = append(rows, []string{it.Account, deref(it.CaseID), it.CaseKind, it.PatientName, deref(it.EncounterID),
					deref(it.ClaimID), deref(it.ClaimStage), deref(it.PayerName), deref(it.LocationID), deref(it.ProviderID),
					it.ServiceDate.Format(time.DateOnly), strconv.Itoa(it.AgeDays), it.Bucket, money(it.Balance)})
			}
			writeCSV(c, "ar-aging-items", []string{"account", "case_id", "case_kind", "patient_name", "encounter_id",
				"claim_id", "claim_stage", "payer_name", "location_id", "provider_id", "service_date", "age_days", "bucket", "balance"}, rows)
			return
		}
		c.JSON(http.StatusOK, items)
		return
	}
	ag, err := s.reports().Aging(ctx, by)
	if err != nil {
		s.fail(c, err)
		return
	}
	if csvOut {
		line := func(group string, r reports.AgingRow) []string {
			out := []string{group, r.Key, r.Label}
			for _, b := range reports.Buckets {
				out = append(out, money(r.Amount(b)))
			}
			return append(out, money(r.Total))
		}
		var rows [][]string
		for _, g := range reports.Groupings {
			for _, r := range ag.Groups[g] {
				rows = append(rows, line(g, r))
			}
		}
		rows = append(rows, line("total", ag.Total))
		writeCSV(c, "ar-aging", append(append([]string{"group", "key", "label"}, reports.Buckets...), "total"), rows)
		return
	}
	c.JSON(http.StatusOK, ag)
}

// kpiReport answers GET /reports/kpis?from=&to=.
func (s *Server) kpiReport(c *gin.Context) {
	if !checkQuery(c, []string{"from", "to", "format"}) {
		return
	}
	csvOut, ok := wantsCSV(c)
	if !ok {
		return
	}
	p, errs := reports.ParsePeriod(c.Query("from"), c.Query("to"), s.clock())
	if len(errs) > 0 {
		invalid(c, errs)
		return
	}
	k, err := s.reports().KPIs(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !csvOut {
		c.JSON(http.StatusOK, k)
		return
	}
	var rows [][]string
	for _, x := range k.KPIs {
		rows = append(rows, []string{"kpi", x.Name, "", optDec(x.Value), x.Unit, x.Numerator.String(), x.Denominator.String(), x.Formula})
	}
	for _, sec := range []struct {
		name  string
		rates []reports.Rate
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
	writeCSV(c, "kpis-"+k.From+"-"+k.To, []string{"section", "key", "label", "value", "unit", "numerator", "denominator", "formula"}, rows)
}

// dashboard answers GET /dashboard.
func (s *Server) dashboard(c *gin.Context) {
	if !checkQuery(c, []string{"format"}) {
		return
	}
	csvOut, ok := wantsCSV(c)
	if !ok {
		return
	}
	d, err := s.reports().Dashboard(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	if !csvOut {
		c.JSON(http.StatusOK, d)
		return
	}
	rows := [][]string{
		{"revenue", "this_month", money(d.Revenue.ThisMonth)}, {"revenue", "last_month", money(d.Revenue.LastMonth)},
		{"cash", "this_month", money(d.Cash.ThisMonth)}, {"cash", "last_month", money(d.Cash.LastMonth)},
	}
	for _, b := range reports.Buckets {
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
	writeCSV(c, "dashboard", []string{"figure", "key", "value"}, rows)
}
