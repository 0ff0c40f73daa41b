package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/reports"
	"github.com/clinicflow/rcm/internal/statements"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// The work, manager and admin pages' templates rendered with view models built
// from sample reports: every template executes, and shows the figures it was
// given. The browser tests (internal/e2e/web_work_test.go) run them against
// the real system.

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// render runs a page template inside the layout as a signed-in manager.
func render(t *testing.T, name string, f *Form, data any) string {
	t.Helper()
	gin.SetMode(gin.TestMode)
	a := &App{Deps: Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, pages: parsePages()}
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodGet, "/app/x", nil)
	q := &Req{Context: c, App: a, Session: &auth.WebSession{User: auth.User{ID: "u1", Name: "Mia Manager", Role: auth.RoleManager}, CSRF: "tok"}}
	q.RenderForm(http.StatusOK, name, "Title", f, data)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	return rec.Body.String()
}

func sampleDashboard() reports.Dashboard {
	dash := reports.Dashboard{AsOf: time.Date(2026, 3, 18, 12, 0, 0, 0, time.UTC), StuckDays: 14, StuckClaims: 3, OverdueTasks: 2,
		Revenue:         reports.MonthPair{ThisMonth: d("12500.50"), LastMonth: d("10000")},
		Cash:            reports.MonthPair{ThisMonth: d("8000"), LastMonth: d("9000")},
		Receivables:     reports.AgingRow{Key: "total", B0to30: d("700"), B31to60: d("200"), Over120: d("100.25"), Total: d("1000.25")},
		ClaimsByStage:   []reports.StageCount{{Stage: "needs_fix", Claims: 2}, {Stage: "accepted", Claims: 9}},
		DenialsThisWeek: []reports.Count{{Key: "medical_necessity", Count: 4}, {Key: "eligibility", Count: 1}},
	}
	for i := range reports.TrendWeeks {
		dash.Trend = append(dash.Trend, reports.Week{Week: time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i).Format(time.DateOnly),
			Revenue: decimal.NewFromInt(int64(1000 * i)), Cash: decimal.NewFromInt(int64(800 * i)), Receivables: d("1000.25"),
			ClaimsSubmitted: int64(i), ClaimsPaid: int64(i / 2), Denials: int64(i % 3)})
	}
	return dash
}

func TestDashboardPageShowsTheReportsFigures(t *testing.T) {
	v := newDashboardView(sampleDashboard())
	assert.Equal(t, "+25.0%", v.RevenueChange)
	assert.Equal(t, "-11.1%", v.CashChange)
	assert.EqualValues(t, 11, v.ClaimsInFlight)
	assert.EqualValues(t, 5, v.DenialsThisWeek)
	out := render(t, "manager_dashboard.html", nil, v)
	for _, want := range []string{"$12,500.50", "$1,000.25", `id="chart-aging"`, `id="chart-stages"`, `id="chart-denials"`,
		`id="chart-money-trend"`, `id="chart-claims-trend"`, `id="chart-ar-trend"`, `data-label="0-30" data-value="700"`,
		`data-label="120+" data-value="100.25"`, `data-label="needs fix" data-value="2"`,
		`data-label="medical necessity" data-value="4"`, `href="/app/manager/aging/items?bucket=31-60"`,
		`href="/app/manager/dashboard.csv"`} {
		assert.Contains(t, out, want)
	}
}

func TestStuckPageDrawsEachClaimsTimeline(t *testing.T) {
	now := time.Now().UTC()
	page := reports.StuckPage{Days: 14, Stage: "accepted", Claims: []reports.StuckClaim{{
		ClaimID: "11111111-2222-3333-4444-555555555555", CaseID: "c1", PatientName: "Jane Roe", PatientControlNumber: "PCN1",
		PayerName: "Acme", Stage: "accepted", TotalCharge: d("140"), StageChangedAt: now.AddDate(0, 0, -20), DaysInStage: 20,
		Timeline: []reports.Transition{{At: now.AddDate(0, 0, -22), ToStage: "created", By: "system"},
			{At: now.AddDate(0, 0, -21), FromStage: "created", ToStage: "submitted", By: "system"},
			{At: now.AddDate(0, 0, -20), FromStage: "submitted", ToStage: "accepted", By: "payer 277CA file"}},
		WaitingFor: &contract.ClaimWaiting{For: "the payer's 835", Timer: &contract.ClaimTimer{Name: "status_inquiry", FiresAt: now.Add(time.Hour)}},
	}}}
	rows := claimTimelineRows(page.Claims, func(id string) string { return "/app/claims/" + id })
	require.Len(t, rows, 1)
	require.Len(t, rows[0].Segments, 3)
	assert.True(t, rows[0].Segments[2].To.IsZero(), "the last stage is still open")
	assert.Equal(t, "status_inquiry", rows[0].Next)
	v := stuckView{Days: 14, Stage: "accepted", Page: &page, Timeline: newStuckTimeline(page, now, func(id string) string { return "/app/claims/" + id }),
		Claims: []stuckClaimView{{StuckClaim: page.Claims[0], ClaimHref: "/app/claims/x", WorkflowURL: "http://ui/namespaces/default/workflows/claim%2Fx"}}}
	out := render(t, "manager_stuck.html", nil, v)
	for _, want := range []string{`id="chart-stuck-timeline"`, `data-stage="accepted" data-days="20.0" data-open="true"`, "the payer&#39;s 835",
		`href="http://ui/namespaces/default/workflows/claim%2Fx"`, "Jane Roe", "$140.00"} {
		assert.Contains(t, out, want)
	}
	sum := reports.StuckSummary{Days: 14, Claims: 1, Groups: []reports.StuckGroup{{Stage: "accepted", PayerID: "p1", PayerName: "Acme", Claims: 1, TotalCharge: d("140"), MaxDays: 20}}}
	out = render(t, "manager_stuck.html", nil, stuckView{Days: 14, Summary: &sum, ByStage: newStuckByStage(sum)})
	assert.Contains(t, out, `data-label="accepted" data-value="1"`)
	assert.Contains(t, out, `href="/app/manager/stuck?days=14&amp;stage=accepted&amp;payer_id=p1"`)
}

func TestAgingPageLinksEveryCellToItsItems(t *testing.T) {
	ag := reports.Aging{AsOf: "2026-03-18", Total: reports.AgingRow{Key: "total", B0to30: d("100"), Total: d("100")},
		Groups: map[string][]reports.AgingRow{reports.ByPayer: {{Key: "p1", Label: "Acme", B0to30: d("60"), Total: d("60")},
			{Key: "patient", Label: "Patient", B0to30: d("40"), Total: d("40")}}},
		Ledger: reports.LedgerCheck{Total: d("100"), InAgreement: true}}
	out := render(t, "manager_aging.html", nil, newAgingView(ag, reports.ByPayer))
	for _, want := range []string{`href="/app/manager/aging/items?bucket=0-30&amp;payer=p1"`, `href="/app/manager/aging/items?payer=patient"`,
		`href="/app/manager/aging/items?bucket=0-30"`, "In agreement with the ledger", `id="chart-aging-by"`, "$60.00"} {
		assert.Contains(t, out, want)
	}
	items := agingItemsView{Items: reports.AgingItems{AsOf: "2026-03-18", Items: []reports.AgingItem{{Account: "1200", PatientName: "Jane Roe",
		ServiceDate: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), AgeDays: 17, Bucket: "0-30", Balance: d("60")}}}, Total: "$60.00"}
	assert.Contains(t, render(t, "manager_aging_items.html", nil, items), "Jane Roe")
}

func TestKPIPageShowsValuesAndDefinitions(t *testing.T) {
	v := d("92.31")
	k := reports.KPIs{From: "2026-03-01", To: "2026-03-18", KPIs: []reports.KPI{
		{Name: reports.KPICleanClaimRate, Value: &v, Unit: "percent", Formula: reports.Formulas[reports.KPICleanClaimRate], Numerator: d("12"), Denominator: d("13")},
		{Name: reports.KPIDaysToPayment, Unit: "days", Formula: "avg"}},
		DenialsByCategory: []reports.Rate{{Key: "eligibility", Numerator: 1, Denominator: 13, Value: &v}}}
	out := render(t, "manager_kpis.html", nil, kpiPageView{K: k, KPIs: newKPIViews(k.KPIs), From: k.From, To: k.To,
		CategoryChart: rateChart("c1", "by category", "desc", k.DenialsByCategory)})
	for _, want := range []string{"Clean-claim rate", "92.31%", "Average days to payment", "—", reports.Formulas[reports.KPICleanClaimRate][:40]} {
		assert.Contains(t, out, want)
	}
}

func TestMyWorkPageListsQueuesAndTheNextTaskButton(t *testing.T) {
	w := tasks.Work{ClaimCap: 25, Queues: []tasks.QueueCounts{{Queue: "claim-fix", Open: 3, Overdue: 1}},
		Claimed: []tasks.Task{{ID: "t1", Queue: "claim-fix", Title: "Claim failed scrubbing", Overdue: true}}}
	out := render(t, "work_mine.html", nil, myWorkView{W: w, Open: 3, Overdue: 1})
	for _, want := range []string{`id="next-task"`, `data-queue="claim-fix"`, `href="/app/work/tasks/t1"`, "overdue", `name="csrf" value="tok"`} {
		assert.Contains(t, out, want)
	}
}

func TestTaskPageShowsTheFormOfItsUpdate(t *testing.T) {
	claimID := "c1"
	cl := claims.Claim{ID: claimID, CoverageID: "cov1", PatientControlNumber: "PCN1", Stage: "needs_fix", Diagnoses: []string{"E11.9", "I10"},
		TotalCharge: d("140"), Priority: "primary"}
	lines := []claims.ClaimLine{{LineNumber: 1, ProcedureCode: "99213", Units: 1, Charge: d("140"), DiagnosisPointers: []int64{1}}}
	for form, want := range map[string][]string{
		"fix":       {`name="line1_procedure_code"`, `value="99213"`, `name="diagnoses"`, `value="E11.9, I10"`, "Send the fix", "diagnosis-unused"},
		"decide":    {`name="action"`, `value="appeal" selected`, `name="argument"`},
		"approve":   {`name="approve" value="true" checked`, "Refuse"},
		"follow-up": {`name="outcome"`, `value="demand_sent"`, `name="next_follow_up"`},
		"dispute":   {`value="write_off"`, `name="amount"`},
		"resolve":   {`name="resolution"`, `action="/app/work/tasks/t1/resolve"`},
		"legal-approval": {`name="decision"`, `value="approve" selected`, `name="counter_reduction"`,
			"The attorney asks for <strong>75.00</strong> off 250.00 held"},
	} {
		v := taskView{T: tasks.Task{ID: "t1", Queue: "claim-fix", Kind: "scrub_failed", Status: "claimed", Title: "Claim failed scrubbing"},
			Form: form, Open: true, Mine: true, CanAnswer: true, Claim: &cl, Lines: lines, ClaimOpen: d("140"), PayerName: "Acme",
			Problems: []problemLine{{Rule: "diagnosis-unused", Field: "diagnoses[1]", Message: "I10 is not pointed at"}}, Idem: "k"}
		v.Decisions = []Option{{Value: contract.DecisionAppeal, Label: "Appeal"}}
		v.FollowUps = []Option{{Value: contract.OutcomeDemandSent, Label: "demand sent"}}
		v.Disputes = []Option{{Value: contract.DisputeWriteOff, Label: "write off"}}
		v.Approvals = []Option{{Value: contract.DecisionApprove, Label: "Approve"}, {Value: contract.DecisionCounter, Label: "Counter"}}
		if form == "legal-approval" {
			v.Details = map[string]any{"requested_reduction": "75.00", "held_total": "250.00", "requested_percent": "30.00",
				"settlement_amount": "25000.00"}
		}
		out := render(t, "work_task.html", taskFormDefaults(v), v)
		for _, w := range want {
			assert.Contains(t, out, w, form)
		}
		assert.Contains(t, out, `id="answer-next" name="next" value="1" checked`, "straight on to the next task by default")
	}
}

func TestFixFormSendsOnlyWhatChanged(t *testing.T) {
	cl := claims.Claim{ID: "c1", CoverageID: "cov1", Diagnoses: []string{"E11.9", "I10"}}
	lines := []claims.ClaimLine{{LineNumber: 1, ProcedureCode: "99213", Units: 1, DiagnosisPointers: []int64{1}},
		{LineNumber: 2, ProcedureCode: "36415", Units: 2, DiagnosisPointers: []int64{1}, Modifiers: []string{"59"}}}
	v := taskView{Form: "fix", Claim: &cl, Lines: lines}
	f := taskFormDefaults(v)
	f.Set("line1_diagnosis_pointers", "1, 2")
	f.Set("note", "point line 1 at I10")
	out, ok := answerOutcome(v, f)
	require.True(t, ok, f.Errors)
	fix := out["fix"].(claims.Fix)
	assert.Empty(t, fix.CoverageID)
	assert.Empty(t, fix.Diagnoses)
	require.Len(t, fix.Lines, 1, "line 2 is untouched")
	assert.Equal(t, 1, fix.Lines[0].LineNumber)
	assert.Equal(t, []int{1, 2}, fix.Lines[0].DiagnosisPointers)
	assert.Nil(t, fix.Lines[0].ProcedureCode)
	assert.Equal(t, "point line 1 at I10", fix.Note)

	f.Set("line2_units", "two")
	_, ok = answerOutcome(v, f)
	assert.False(t, ok)
	assert.Contains(t, f.Err("line2_units"), "whole number")
}

func TestLegalApprovalFormCountersWithAnAmount(t *testing.T) {
	v := taskView{Form: "legal-approval"}
	f := taskFormDefaults(v)
	out, ok := answerOutcome(v, f)
	require.True(t, ok, f.Errors)
	assert.Equal(t, contract.DecisionApprove, out["decision"])
	f.Set("decision", contract.DecisionCounter)
	_, ok = answerOutcome(v, f)
	assert.False(t, ok, "a counter names its amount")
	assert.Contains(t, f.Err("counter_reduction"), "reduction you grant")
	f = taskFormDefaults(v)
	f.Set("decision", contract.DecisionCounter)
	f.Set("counter_reduction", "50.00")
	out, ok = answerOutcome(v, f)
	require.True(t, ok, f.Errors)
	assert.Equal(t, "50", out["counter_reduction"].(decimal.Decimal).String())
}

func TestAdminPagesRender(t *testing.T) {
	out := render(t, "admin_users.html", NewForm("user").Set("role", "biller"), usersView{
		Users: []auth.User{{ID: "u2", Email: "b@x.test", Name: "Bo", Role: "biller", Disabled: true}},
		Roles: []Option{{Value: "biller", Label: "biller"}}, OneTime: "abcd-efgh", OneTimeFor: "b@x.test"})
	assert.Contains(t, out, "abcd-efgh")
	assert.Contains(t, out, `action="/app/admin/users/u2/enable"`)
	npi := "1245319599"
	assert.Contains(t, render(t, "admin_locations.html", NewForm("location"), referenceView{Locations: []records.Location{{Name: "Main", NPI: &npi}}}), "1245319599")
	assert.Contains(t, render(t, "admin_providers.html", NewForm("provider"), referenceView{Providers: []records.Provider{{FirstName: "Ada", LastName: "Lovelace"}}}), "Lovelace, Ada")
	assert.Contains(t, render(t, "admin_payers.html", NewForm("payer"), referenceView{Payers: []records.Payer{{Name: "Acme", Type: "workers_comp"}}, PayerTypes: payerTypes()}), "workers comp")
	assert.Contains(t, render(t, "admin_fees.html", NewForm("fees"), referenceView{FeeSchedules: []billing.FeeSchedule{{ID: "f1", Name: "Std"}}}), `href="/app/admin/fee-schedules/f1"`)
	fs := billing.FeeSchedule{Name: "Std", Items: []billing.FeeScheduleItem{{ProcedureCode: "99213", Price: d("125")}}}
	assert.Contains(t, render(t, "admin_fee_schedule.html", nil, referenceView{FeeSchedule: &fs}), "$125.00")
	out = render(t, "admin_branding.html", NewForm("branding"), brandingView{B: statements.Branding{Name: "Main St Clinic", Accent: "#0b4f8a"}})
	assert.Contains(t, out, `fill="#0b4f8a"`)
	assert.True(t, strings.Contains(render(t, "admin_index.html", nil, struct{ IsAdmin bool }{true}), "/app/admin/users"))
}

func TestFeeItemsNameTheBadLine(t *testing.T) {
	f := NewForm("fees").Set("items", "99213 125.00 Office visit\n\n36415 abc\nlonely")
	items := feeItems(f)
	require.Len(t, items, 1)
	assert.Equal(t, "Office visit", items[0].Description)
	assert.Contains(t, f.Err("items"), "items[1].price")
	assert.Contains(t, f.Err("items"), "items[2]")
}

func TestFixErrorsLandOnTheirInputs(t *testing.T) {
	p := &Problem{Errors: []validate.FieldError{{Field: "lines[0].modifiers[1]"}, {Field: "fix.lines[2].units"}, {Field: "note"}, {Field: "fix.diagnoses[1]"}}}
	formFields(p)
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Field)
	}
	assert.Equal(t, []string{"line1_modifiers[1]", "line3_units", "note", "diagnoses[1]"}, got)
}
