package api

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

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

// writeCSV answers a report's table (internal/reports, shared with the web
// application's downloads) as a CSV attachment named after it.
func writeCSV(c *gin.Context, t reports.Table) {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+t.Name+`.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write(t.Header)
	_ = w.WriteAll(t.Rows)
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
			writeCSV(c, reports.StuckTable(sum))
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
		writeCSV(c, reports.StuckClaimsTable(page))
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
			writeCSV(c, reports.AgingItemsTable(items))
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
		writeCSV(c, reports.AgingTable(ag))
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
	writeCSV(c, reports.KPITable(k))
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
	writeCSV(c, reports.DashboardTable(d))
}
