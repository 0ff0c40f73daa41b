package web

import (
	"context"
	"encoding/csv"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/reports"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// managerPages are the managers' views: the dashboard, stuck claims with their
// timeline, A/R aging with its drill-down, the KPIs, and each as a CSV
// download. Who may open each is who may call the API route it mirrors:
// stuck claims and aging are the billers' too (GET /reports/stuck-claims,
// /reports/ar-aging), the dashboard and KPIs managers' only.
func (a *App) managerPages(r *Routes) {
	roles := r.Roles()
	r.GET("/manager", roles.Managers, func(q *Req) { q.Redirect(Prefix+"/manager/dashboard", "") })
	r.GET("/manager/dashboard", roles.Managers, practiceWide(a.dashboardPage))
	r.GET("/manager/dashboard.csv", roles.Managers, practiceWide(a.dashboardCSV))
	r.GET("/manager/stuck", roles.Billers, a.stuckPage)
	r.GET("/manager/stuck.csv", roles.Billers, a.stuckCSV)
	r.GET("/manager/aging", roles.Billers, a.agingPage)
	r.GET("/manager/aging.csv", roles.Billers, a.agingCSV)
	r.GET("/manager/aging/items", roles.Billers, a.agingItemsPage)
	r.GET("/manager/aging/items.csv", roles.Billers, a.agingItemsCSV)
	r.GET("/manager/kpis", roles.Managers, practiceWide(a.kpiPage))
	r.GET("/manager/kpis.csv", roles.Managers, practiceWide(a.kpiCSV))
	// The dashboard is not at /manager itself: the nav marks the entry whose
	// path prefixes the page's, and the other manager pages are under it.
	r.Nav("Dashboard", "/manager/dashboard", roles.Managers)
	r.Nav("Stuck claims", "/manager/stuck", roles.Billers)
	r.Nav("A/R aging", "/manager/aging", roles.Billers)
	r.Nav("KPIs", "/manager/kpis", roles.Managers)
}

// reports is the report service the API's handlers use too.
func (a *App) reports() *reports.Service { return &reports.Service{DB: a.DB} }

// onlyParams shows a 400 page naming the first query parameter the page does
// not take, as the API's checkQuery refuses unknown parameters.
func (q *Req) onlyParams(allowed ...string) bool {
	var errs validate.Errors
	for name := range q.Request.URL.Query() {
		if !slices.Contains(allowed, name) {
			errs.Add(name, "is not a parameter of this page (it takes: %s)", joinOr(allowed))
		}
	}
	if len(errs) > 0 {
		q.Fail(errs)
		return false
	}
	return true
}

func joinOr(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}

// intParam reads a whole-number parameter within [lo, hi] (def when absent).
func (q *Req) intParam(errs *validate.Errors, name string, def, lo, hi int) int {
	v := q.Query(name)
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

// sendTable downloads a report's table as CSV: the same file the API's
// ?format=csv answers.
func (q *Req) sendTable(t reports.Table) {
	q.Header("Content-Type", "text/csv; charset=utf-8")
	q.Header("Content-Disposition", `attachment; filename="`+t.Name+`.csv"`)
	q.Status(http.StatusOK)
	w := csv.NewWriter(q.Writer)
	_ = w.Write(t.Header)
	_ = w.WriteAll(t.Rows)
	w.Flush()
}

func (a *App) dashboardPage(q *Req) {
	if !q.onlyParams() {
		return
	}
	d, err := a.reports().Dashboard(q.Ctx())
	if err != nil {
		q.Fail(err)
		return
	}
	q.Render(http.StatusOK, "manager_dashboard.html", "Dashboard", newDashboardView(d))
}

func (a *App) dashboardCSV(q *Req) {
	d, err := a.reports().Dashboard(q.Ctx())
	if err != nil {
		q.Fail(err)
		return
	}
	q.sendTable(reports.DashboardTable(d))
}

// stuckFilter reads the stuck-claims page's parameters as the API reads them.
func (q *Req) stuckFilter() (reports.StuckFilter, bool) {
	if !q.onlyParams("days", "stage", "payer_id", "after") {
		return reports.StuckFilter{}, false
	}
	var errs validate.Errors
	f := reports.StuckFilter{Stage: q.Query("stage"), PayerID: q.Query("payer_id"), After: q.Query("after"),
		Limit: reports.DefaultStuckPage}
	f.Days = q.intParam(&errs, "days", reports.DefaultStuckDays, 0, 3650)
	errs = append(errs, f.Check()...)
	if len(errs) > 0 {
		q.Fail(errs)
		return f, false
	}
	return f, true
}

func (a *App) stuckPage(q *Req) {
	f, ok := q.stuckFilter()
	if !ok {
		return
	}
	v := stuckView{Days: f.Days, Stage: f.Stage, PayerID: f.PayerID}
	for _, st := range claims.Stages {
		if !slices.Contains(claims.Terminal, st) {
			v.Stages = append(v.Stages, st)
		}
	}
	if f.Stage == "" && f.PayerID == "" && f.After == "" {
		sum, err := a.reports().Stuck(q.Ctx(), f.Days)
		if err != nil {
			q.Fail(err)
			return
		}
		v.Summary, v.ByStage = &sum, newStuckByStage(sum)
		q.Render(http.StatusOK, "manager_stuck.html", "Stuck claims", v)
		return
	}
	page, err := a.reports().StuckClaims(q.Ctx(), f)
	if err != nil {
		q.Fail(err)
		return
	}
	reports.AddWaiting(q.Ctx(), &page, a.claimWaiting)
	v.Page = &page
	for _, c := range page.Claims {
		v.Claims = append(v.Claims, stuckClaimView{StuckClaim: c, ClaimHref: Prefix + "/claims/" + c.ClaimID,
			WorkflowURL: a.WorkflowURL(contract.ClaimWorkflowID(c.ClaimID))})
	}
	v.Timeline = newStuckTimeline(page, time.Now().UTC(), func(id string) string { return Prefix + "/claims/" + id })
	q.Render(http.StatusOK, "manager_stuck.html", "Stuck claims", v)
}

func (a *App) stuckCSV(q *Req) {
	f, ok := q.stuckFilter()
	if !ok {
		return
	}
	if f.Stage == "" && f.PayerID == "" && f.After == "" {
		sum, err := a.reports().Stuck(q.Ctx(), f.Days)
		if err != nil {
			q.Fail(err)
			return
		}
		q.sendTable(reports.StuckTable(sum))
		return
	}
	f.Limit = reports.MaxStuckPage
	page, err := a.reports().StuckClaims(q.Ctx(), f)
	if err != nil {
		q.Fail(err)
		return
	}
	reports.AddWaiting(q.Ctx(), &page, a.claimWaiting)
	q.sendTable(reports.StuckClaimsTable(page))
}

// claimWaiting asks a claim's workflow what it waits for (its state query),
// as the API's stuck-claims report does.
func (a *App) claimWaiting(ctx context.Context, claimID string) (*contract.ClaimWaiting, error) {
	if a.Temporal == nil {
		return nil, errors.New("no workflow service configured")
	}
	res, err := a.Temporal.QueryWorkflow(ctx, contract.ClaimWorkflowID(claimID), "", contract.QueryClaimState)
	if err != nil {
		return nil, err
	}
	var st contract.ClaimState
	if err := res.Get(&st); err != nil {
		return nil, err
	}
	if st.Waiting == nil {
		return &contract.ClaimWaiting{Phase: st.Phase, For: "phase " + st.Phase}, nil
	}
	return st.Waiting, nil
}

func (a *App) agingPage(q *Req) {
	if !q.onlyParams("by") {
		return
	}
	by := q.DefaultQuery("by", reports.ByPayer)
	var errs validate.Errors
	reports.CheckBy(&errs, by)
	if len(errs) > 0 {
		q.Fail(errs)
		return
	}
	ag, err := a.reports().Aging(q.Ctx(), by)
	if err != nil {
		q.Fail(err)
		return
	}
	q.Render(http.StatusOK, "manager_aging.html", "A/R aging", newAgingView(ag, by))
}

func (a *App) agingCSV(q *Req) {
	if !q.onlyParams() {
		return
	}
	ag, err := a.reports().Aging(q.Ctx(), "")
	if err != nil {
		q.Fail(err)
		return
	}
	q.sendTable(reports.AgingTable(ag))
}

// agingItemsFilter reads the drill-down's parameters as the API reads them.
func (q *Req) agingItemsFilter(limit int) (reports.AgingFilter, bool) {
	if !q.onlyParams("bucket", "account", "payer", "case_kind", "location_id", "provider_id", "after") {
		return reports.AgingFilter{}, false
	}
	f := reports.AgingFilter{Bucket: q.Query("bucket"), Account: q.Query("account"), Payer: q.Query("payer"),
		CaseKind: q.Query("case_kind"), LocationID: q.Query("location_id"), ProviderID: q.Query("provider_id"),
		After: q.Query("after"), Limit: limit}
	if errs := f.Check(); len(errs) > 0 {
		q.Fail(errs)
		return f, false
	}
	return f, true
}

// agingItemsView is the drill-down page: the open items behind a cell.
type agingItemsView struct {
	Filter reports.AgingFilter
	Items  reports.AgingItems
	Total  string
	// NextHref and CSVHref keep the filter.
	NextHref, CSVHref string
}

func (a *App) agingItemsPage(q *Req) {
	f, ok := q.agingItemsFilter(reports.DefaultItemPage)
	if !ok {
		return
	}
	items, err := a.reports().AgingDrill(q.Ctx(), f)
	if err != nil {
		q.Fail(err)
		return
	}
	v := agingItemsView{Filter: f, Items: items}
	total := decimal.Zero
	for _, it := range items.Items {
		total = total.Add(it.Balance)
	}
	v.Total = money(total)
	params := q.Request.URL.Query()
	params.Del("after")
	v.CSVHref = Prefix + "/manager/aging/items.csv?" + params.Encode()
	if items.Next != "" {
		params.Set("after", items.Next)
		v.NextHref = Prefix + "/manager/aging/items?" + params.Encode()
	}
	q.Render(http.StatusOK, "manager_aging_items.html", "A/R aging: open items", v)
}

func (a *App) agingItemsCSV(q *Req) {
	f, ok := q.agingItemsFilter(reports.MaxItemPage)
	if !ok {
		return
	}
	items, err := a.reports().AgingDrill(q.Ctx(), f)
	if err != nil {
		q.Fail(err)
		return
	}
	q.sendTable(reports.AgingItemsTable(items))
}

// kpiPageView is the KPI page: the period, each KPI with its definition, and
// the denial breakdowns.
type kpiPageView struct {
	K                         reports.KPIs
	KPIs                      []kpiView
	CategoryChart, PayerChart template.HTML
	From, To                  string
	CSVHref                   string
	PeriodDays                int
	// LastMonth and ThisMonth are the query strings of the two usual periods.
	LastMonth, ThisMonth string
}

func (a *App) kpiPeriod(q *Req) (reports.Period, bool) {
	if !q.onlyParams("from", "to") {
		return reports.Period{}, false
	}
	p, errs := reports.ParsePeriod(q.Query("from"), q.Query("to"), time.Now())
	if len(errs) > 0 {
		q.Fail(errs)
		return p, false
	}
	return p, true
}

func (a *App) kpiPage(q *Req) {
	p, ok := a.kpiPeriod(q)
	if !ok {
		return
	}
	k, err := a.reports().KPIs(q.Ctx(), p)
	if err != nil {
		q.Fail(err)
		return
	}
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	v := kpiPageView{K: k, KPIs: newKPIViews(k.KPIs), From: k.From, To: k.To, PeriodDays: p.Days(),
		CSVHref:   Prefix + "/manager/kpis.csv?from=" + k.From + "&to=" + k.To,
		LastMonth: "from=" + first.AddDate(0, -1, 0).Format(time.DateOnly) + "&to=" + first.AddDate(0, 0, -1).Format(time.DateOnly),
		ThisMonth: "from=" + first.Format(time.DateOnly) + "&to=" + now.Format(time.DateOnly)}
	v.CategoryChart = rateChart("chart-denial-category", "Denial rate by category",
		"Share of the period's 835 claim payments that denied all or part of the claim, by the denial's primary category.",
		k.DenialsByCategory)
	v.PayerChart = rateChart("chart-denial-payer", "Denial rate by payer",
		"Share of each payer's 835 claim payments in the period that denied all or part of the claim.", k.DenialsByPayer)
	q.Render(http.StatusOK, "manager_kpis.html", "KPIs", v)
}

func (a *App) kpiCSV(q *Req) {
	p, ok := a.kpiPeriod(q)
	if !ok {
		return
	}
	k, err := a.reports().KPIs(q.Ctx(), p)
	if err != nil {
		q.Fail(err)
		return
	}
	q.sendTable(reports.KPITable(k))
}

// practiceWide serves a page computed over every location (the dashboard and
// the KPIs read the whole ledger) only to users who work at every location,
// as the API does for the routes behind them (api.PracticeWide).
func practiceWide(h Handler) Handler {
	return func(q *Req) {
		if q.User().Scope().Limited() {
			q.Forbidden("This page covers every location, and you are limited to some locations (ask an admin).")
			return
		}
		h(q)
	}
}
