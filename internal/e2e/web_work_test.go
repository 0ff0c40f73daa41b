package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/reports"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/workflows/contract"
)

// TestWebWork drives the billers', managers' and admins' pages in a real
// headless Chromium against the real system (Postgres, in-process Temporal,
// the worker and the clearinghouse simulator): one server and one browser for
// every subtest. A biller claims the next task, fixes a scrub failure and
// watches the claim go to submitted and then paid; a biller sends a denial to
// write-off and a manager approves it; the dashboard's charts carry the
// numbers GET /api/v1/dashboard answers; the front desk cannot open the
// manager pages. axe-core checks each main page, and each is saved as a
// 1366x768 screenshot.
func TestWebWork(t *testing.T) {
	w := startWeb(t, testenv.Options{
		// The payer answers after two seconds, so the page can see "submitted"
		// before the 277CA moves the claim on.
		Simulator:    clearinghouse.Config{AckDelay: 2 * time.Second, RemitDelay: 2 * time.Second},
		PollInterval: 100 * time.Millisecond,
	})
	f := claimFlowOn(t, w.Env)
	biller := w.webUser(t, "bea@clinic.test", "Bea Biller", auth.RoleBiller)
	manager := w.webUser(t, "max@clinic.test", "Max Manager", auth.RoleManager)
	desk := w.webUser(t, "dana@clinic.test", "Dana Desk", auth.RoleFrontDesk)
	admin := w.webUser(t, "ada@clinic.test", "Ada Admin", auth.RoleAdmin)
	userID := func(email string) string {
		var id string
		require.NoError(t, w.DB.Raw(`SELECT id FROM users WHERE email = ?`, email).Scan(&id).Error)
		return id
	}
	// The biller's team works the fix and denial queues; its manager is Max.
	w.MustDo(201, "POST", "/api/v1/teams", w.AdminToken, map[string]any{"name": "Claims", "manager_id": userID(manager),
		"queues": []string{tasks.QueueClaimFix, tasks.QueueRejections, tasks.QueueDenials}, "members": []string{userID(biller)}})

	// claimStage polls the task page until the claim it is about shows stage
	// (or one of the later stages given).
	claimStage := func(b *tab, taskID string, stages ...string) string {
		t.Helper()
		var got string
		require.Eventually(t, func() bool {
			b.open("/app/work/tasks/" + taskID)
			got = b.text("#claim-stage")
			for _, s := range stages {
				if got == strings.ReplaceAll(s, "_", " ") {
					return true
				}
			}
			return false
		}, settle, 150*time.Millisecond, "the task page shows the claim in %v (last seen %q)", stages, got)
		return got
	}

	t.Run("a biller claims the next task, fixes a scrub failure and sees the claim submitted, then paid", func(t *testing.T) {
		caseID, claimID := scrubFailVisit(t, f, "PAYFULL700")
		fixTask := f.openTask(claimID, tasks.QueueClaimFix)
		b := w.newTab(t)
		b.signIn(biller)
		require.Equal(t, http.StatusOK, b.open("/app/work"))
		assert.Contains(t, b.text(`tr[data-queue="claim-fix"]`), "1")
		b.checkAccessibility("my work")
		b.screenshot("work-my-work")

		require.Equal(t, http.StatusOK, b.click("#next-task"))
		assert.Equal(t, "/app/work/tasks/"+fixTask.ID, b.location(), "next task claims the open fix task")
		assert.Contains(t, b.text(".flash"), "Your next task")
		assert.Contains(t, b.text("#claim-problems"), "modifier-validity")
		assert.Equal(t, "needs fix", b.text("#claim-stage"))
		b.checkAccessibility("task: fix a claim")
		b.screenshot("work-task-fix")

		// Sending the fix without saying what was corrected is refused, naming the note.
		setFields(b, map[string]string{"#answer-line1_modifiers": "50"})
		assert.Equal(t, http.StatusBadRequest, b.submit("#answer-form"))
		assert.Contains(t, b.text(".problem"), "Note")
		var st string
		require.NoError(t, w.DB.Raw(`SELECT status FROM tasks WHERE id = ?`, fixTask.ID).Scan(&st).Error)
		assert.Equal(t, tasks.StatusClaimed, st, "nothing was answered")

		// Line 1 is bilateral (50) instead: the workflow scrubs again and submits.
		setFields(b, map[string]string{"#answer-line1_modifiers": "50", "#answer-note": "bilateral, not LT and RT"})
		require.Equal(t, http.StatusOK, b.submit("#answer-form"))
		assert.Equal(t, "/app/work", b.location(), "nothing else to claim: back to my work")
		assert.Contains(t, b.text(".flash"), "Done: Claim failed scrubbing.")
		claimStage(b, fixTask.ID, claims.StageSubmitted)
		assert.Equal(t, "done", b.text("#task-status"))
		b.screenshot("work-task-submitted")
		claimStage(b, fixTask.ID, claims.StagePaid)
		v := f.claim(claimID)
		assert.Equal(t, []string{"50"}, []string(mustLines(t, w.Env, claimID)[0].Modifiers))
		assert.Equal(t, claims.StagePaid, v.Stage)
		f.agrees(caseID)
	})

	t.Run("a biller sends a denial to write-off and a manager approves it", func(t *testing.T) {
		_, claimID := f.visit(map[string]string{"primary": "DENY50700"})
		f.waitStage(claimID, claims.StageDenied, contract.PhaseDenied)
		denial := f.openTask(claimID, tasks.QueueDenials)

		b := w.newTab(t)
		b.signIn(biller)
		require.Equal(t, http.StatusOK, b.open("/app/work"))
		require.Equal(t, http.StatusOK, b.click("#next-task"))
		require.Equal(t, "/app/work/tasks/"+denial.ID, b.location())
		assert.Contains(t, b.text("main"), "medical necessity")
		b.checkAccessibility("task: decide a denial")
		b.screenshot("work-task-denial")
		setFields(b, map[string]string{"#answer-action": contract.DecisionWriteOff, "#answer-note": "not worth appealing"})
		require.Equal(t, http.StatusOK, b.submit("#answer-form"))
		approval := f.openTask(claimID, tasks.QueueApprovals)

		// The biller may not approve it: the approvals are managers'.
		require.Equal(t, http.StatusOK, b.open("/app/work/tasks/"+approval.ID))
		assert.Contains(t, b.text("main"), "Only a manager, admin may answer this task")
		assert.Zero(t, b.count("#answer-form"))

		// A second tab of the manager's has the approval open too, and will be late.
		late := w.newTab(t)
		late.signIn(manager)
		require.Equal(t, http.StatusOK, late.open("/app/work/tasks/"+approval.ID))

		m := w.newTab(t)
		m.signIn(manager)
		require.Equal(t, http.StatusOK, m.open("/app/work"))
		setFields(m, map[string]string{"#take-queue": tasks.QueueApprovals})
		require.Equal(t, http.StatusOK, m.submit("#take-from-queue"))
		require.Equal(t, "/app/work/tasks/"+approval.ID, m.location())
		assert.Contains(t, m.text("main"), "Approve the write-off of $140.00")
		m.checkAccessibility("task: approve a write-off")
		m.screenshot("work-task-approve")
		setFields(m, map[string]string{"#answer-note": "approved: small balance"})
		require.Equal(t, http.StatusOK, m.submit("#answer-form"))
		assert.Contains(t, m.text(".flash"), "Done: Approve claim write-off.")
		v := f.waitStage(claimID, claims.StageWrittenOff, "")
		assert.Equal(t, "140", v.WrittenOff.String())

		// The late tab answers the same task: a clear conflict, and nothing sent.
		setFields(late, map[string]string{"#answer-note": "approving too"})
		assert.Equal(t, http.StatusConflict, late.submit("#answer-form"))
		assert.Contains(t, late.text(".problem"), "can no longer be answered")
		assert.Contains(t, late.text(".problem"), "It was done while this page was open")
		late.checkAccessibility("task answered twice")
		late.screenshot("work-task-conflict")
		require.Equal(t, http.StatusOK, m.open("/app/work/tasks/"+approval.ID))
		assert.Contains(t, m.text("main"), "Closed")
	})

	t.Run("a stuck claim shows where it has been waiting", func(t *testing.T) {
		_, claimID := f.visit(map[string]string{"primary": "REJECT700"})
		f.waitStage(claimID, claims.StageRejected, contract.PhaseNeedsFix)
		// Age its history by three weeks, as if the payer's rejection had sat unanswered.
		// claim_events is append-only (a trigger refuses updates): the test
		// steps around the triggers for this one rewrite of time.
		require.NoError(t, w.DB.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec(`SET LOCAL session_replication_role = replica`).Error; err != nil {
				return err
			}
			return tx.Exec(`UPDATE claim_events SET at = at - interval '21 days' WHERE claim_id = ?`, claimID).Error
		}))
		require.NoError(t, w.DB.Exec(`UPDATE claims SET stage_changed_at = stage_changed_at - interval '21 days' WHERE id = ?`, claimID).Error)
		b := w.newTab(t)
		b.signIn(manager)
		require.Equal(t, http.StatusOK, b.open("/app/manager/stuck?days=14"))
		assert.Contains(t, b.text("#stuck-groups"), "rejected")
		assert.Equal(t, 1, b.count(`#chart-stuck-stages g.bar[data-label="rejected"][data-value="1"]`))
		b.checkAccessibility("stuck claims")
		b.screenshot("manager-stuck")
		require.Equal(t, http.StatusOK, b.click(`#stuck-groups a`))
		assert.Equal(t, 1, b.count(`#chart-stuck-timeline g.segment[data-open="true"][data-stage="rejected"]`))
		assert.Equal(t, 1, b.count(`#stuck-claims a[href="/app/claims/`+claimID+`"]`), "the claim's page is one click away")
		assert.Contains(t, b.text("#stuck-claims"), "fix of the claim", "what its workflow waits for, read live")
		b.checkAccessibility("stuck claims: timeline")
		b.screenshot("manager-stuck-timeline")
	})

	t.Run("the dashboard's charts show the numbers the API reports", func(t *testing.T) {
		// Two more paid visits, one leaving a copay with the patient.
		for _, member := range []string{"PARTIAL700", "OTHER700"} {
			_, id := f.visit(map[string]string{"primary": member})
			f.waitStage(id, claims.StagePaid, contract.PhaseDone)
		}
		b := w.newTab(t)
		b.signIn(manager)
		var api reports.Dashboard
		// The page and the API are read a moment apart: read the API on both
		// sides of the page until they agree (no claim is moving any more).
		require.Eventually(t, func() bool {
			var before, after reports.Dashboard
			w.MustDo(200, "GET", "/api/v1/dashboard", w.AdminToken, nil).JSON(t, &before)
			require.Equal(t, http.StatusOK, b.open("/app/manager/dashboard"))
			w.MustDo(200, "GET", "/api/v1/dashboard", w.AdminToken, nil).JSON(t, &after)
			api = after
			return dashboardKey(before) == dashboardKey(after)
		}, settle, 200*time.Millisecond)
		require.True(t, api.Receivables.Total.IsPositive() || api.Revenue.ThisMonth.IsPositive(), "the flows above posted money")
		num := func(sel string) decimal.Decimal {
			t.Helper()
			v := b.eval(fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => 'missing'}).getAttribute('data-value')`, sel))
			d, err := decimal.NewFromString(v)
			require.NoError(t, err, "%s: data-value %q", sel, v)
			return d
		}
		for _, bucket := range reports.Buckets {
			assert.True(t, api.Receivables.Amount(bucket).Equal(num(fmt.Sprintf(`#chart-aging g.bar[data-label=%q]`, bucket))), "A/R %s", bucket)
		}
		assert.True(t, api.Receivables.Total.Equal(num("#tile-ar .tile-value")))
		assert.True(t, api.Revenue.ThisMonth.Equal(num("#tile-revenue .tile-value")))
		assert.True(t, api.Cash.ThisMonth.Equal(num("#tile-cash .tile-value")))
		assert.Equal(t, api.StuckClaims, num("#tile-stuck .tile-value").IntPart())
		assert.Equal(t, api.OverdueTasks, num("#tile-overdue .tile-value").IntPart())
		assert.Equal(t, len(api.ClaimsByStage), b.count("#chart-stages g.bar"))
		for _, s := range api.ClaimsByStage {
			assert.Equal(t, s.Claims, num(fmt.Sprintf(`#chart-stages g.bar[data-label=%q]`, strings.ReplaceAll(s.Stage, "_", " "))).IntPart(), s.Stage)
		}
		assert.Equal(t, len(api.DenialsThisWeek), b.count("#chart-denials g.bar"))
		for _, n := range api.DenialsThisWeek {
			assert.Equal(t, n.Count, num(fmt.Sprintf(`#chart-denials g.bar[data-label=%q]`, strings.ReplaceAll(n.Key, "_", " "))).IntPart(), n.Key)
		}
		require.Len(t, api.Trend, reports.TrendWeeks)
		for i, wk := range api.Trend {
			label := weekLabel(wk.Week)
			assert.True(t, wk.Revenue.Equal(num(fmt.Sprintf(`#chart-money-trend g.point[data-label=%q]`, label+" · revenue"))), "revenue week %d", i)
			assert.True(t, wk.Cash.Equal(num(fmt.Sprintf(`#chart-money-trend g.point[data-label=%q]`, label+" · cash"))), "cash week %d", i)
			assert.True(t, wk.Receivables.Equal(num(fmt.Sprintf(`#chart-ar-trend g.point[data-label=%q]`, label+" · A/R"))), "A/R week %d", i)
			assert.Equal(t, wk.ClaimsPaid, num(fmt.Sprintf(`#chart-claims-trend g.bar[data-label=%q]`, label+" · paid")).IntPart(), "paid week %d", i)
		}
		// The numbers are written on the charts, not only drawn.
		assert.Contains(t, b.eval(`document.querySelector('#chart-aging').textContent`), moneyText(api.Receivables.Amount(reports.Bucket0to30)))
		b.checkAccessibility("dashboard")
		b.screenshot("manager-dashboard")

		// The CSV downloads are the API's spreadsheets, byte for byte.
		for page, api := range map[string]string{"/app/manager/dashboard.csv": "/api/v1/dashboard?format=csv",
			"/app/manager/aging.csv": "/api/v1/reports/ar-aging?format=csv", "/app/manager/stuck.csv?days=14": "/api/v1/reports/stuck-claims?days=14&format=csv"} {
			resp := w.get(t, page, b.cookies())
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode, page)
			assert.Contains(t, resp.Header.Get("Content-Disposition"), ".csv", page)
			assert.Equal(t, string(w.MustDo(200, "GET", api, w.AdminToken, nil).Body), string(body), page)
		}
	})

	t.Run("aging drills down to the items behind a cell, KPIs show their definitions", func(t *testing.T) {
		b := w.newTab(t)
		b.signIn(manager)
		require.Equal(t, http.StatusOK, b.open("/app/manager/aging?by=payer"))
		assert.Contains(t, b.text("#ledger-check"), "In agreement with the ledger")
		b.checkAccessibility("aging")
		b.screenshot("manager-aging")
		require.Equal(t, http.StatusOK, b.click(`#aging-table tfoot td a`))
		assert.Contains(t, b.location(), "/app/manager/aging/items?bucket=0-30")
		assert.Positive(t, b.count("#aging-items tbody tr"))
		b.checkAccessibility("aging items")
		require.Equal(t, http.StatusOK, b.open("/app/manager/kpis"))
		assert.Contains(t, b.text("#kpi-clean_claim_rate"), "Clean-claim rate")
		assert.Contains(t, b.text("#kpi-clean_claim_rate details"), "Definition")
		b.checkAccessibility("KPIs")
		b.screenshot("manager-kpis")
		// A bad period is refused naming the field, as the API does.
		assert.Equal(t, http.StatusBadRequest, b.open("/app/manager/kpis?from=2026-13-01"))
		assert.Contains(t, b.text("main"), "from")
	})

	t.Run("the front desk cannot open the manager pages; a biller opens stuck claims but not the dashboard", func(t *testing.T) {
		b := w.newTab(t)
		b.signIn(desk)
		for _, p := range []string{"/app/manager", "/app/manager/dashboard", "/app/manager/stuck", "/app/manager/aging", "/app/manager/kpis",
			"/app/manager/dashboard.csv", "/app/work", "/app/admin"} {
			assert.Equal(t, http.StatusForbidden, b.open(p), p)
		}
		assert.Contains(t, b.text("main"), "may not open this page")
		assert.Zero(t, b.count(`nav a[href="/app/manager/dashboard"]`), "no dashboard in the front desk's navigation")
		bb := w.newTab(t)
		bb.signIn(biller)
		assert.Equal(t, http.StatusForbidden, bb.open("/app/manager/dashboard"))
		assert.Equal(t, http.StatusOK, bb.open("/app/manager/stuck"))
		assert.Equal(t, http.StatusForbidden, bb.open("/app/admin/users"))
	})

	t.Run("an admin adds a user, who gets a one-time password; a payer form names its bad fields", func(t *testing.T) {
		b := w.newTab(t)
		b.signIn(admin)
		require.Equal(t, http.StatusOK, b.open("/app/admin/users"))
		setFields(b, map[string]string{"#user-name": "Nia New", "#user-email": "nia@clinic.test", "#user-role": auth.RoleBiller})
		require.Equal(t, http.StatusCreated, b.submit("#new-user"))
		assert.Contains(t, b.text("#one-time-password"), "nia@clinic.test")
		b.checkAccessibility("admin users")
		b.screenshot("admin-users")
		// The same email again is the API's conflict, on the email field.
		setFields(b, map[string]string{"#user-name": "Nia Again", "#user-email": "nia@clinic.test"})
		assert.Equal(t, http.StatusConflict, b.submit("#new-user"))
		assert.Contains(t, b.text(".problem"), "email")

		// Nia becomes a manager; saving her locations with none ticked keeps her at every location.
		var nia string
		require.NoError(t, w.DB.Raw(`SELECT id FROM users WHERE email = 'nia@clinic.test'`).Scan(&nia).Error)
		require.Equal(t, http.StatusOK, b.open("/app/admin/users"))
		setFields(b, map[string]string{"#role-" + nia: auth.RoleManager})
		require.Equal(t, http.StatusOK, b.submit(`form[action="/app/admin/users/`+nia+`/role"]`))
		assert.Contains(t, b.text(".flash"), "nia@clinic.test is now")
		var role string
		require.NoError(t, w.DB.Raw(`SELECT role FROM users WHERE id = ?`, nia).Scan(&role).Error)
		assert.Equal(t, auth.RoleManager, role)
		b.eval(`document.querySelector('form[action="/app/admin/users/` + nia + `/locations"]').closest('details').open = true, 'opened'`)
		require.Equal(t, http.StatusOK, b.submit(`form[action="/app/admin/users/`+nia+`/locations"]`))
		assert.Contains(t, b.text(".flash"), "every location")
		b.checkAccessibility("admin users after a role change")

		require.Equal(t, http.StatusOK, b.open("/app/admin/payers"))
		setFields(b, map[string]string{"#payer-name": "Bad Payer", "#payer-payer_id": "!", "#payer-timely_filing_days": "0"})
		assert.Equal(t, http.StatusBadRequest, b.submit(`form[action="/app/admin/payers"]`))
		problem := b.text(".problem")
		assert.Contains(t, problem, "Payer must be 2 to 80 letters or digits")
		assert.Contains(t, problem, "Timely filing days")
		b.checkAccessibility("admin payers with errors")
		var n int64
		require.NoError(t, w.DB.Raw(`SELECT count(*) FROM payers WHERE name = 'Bad Payer'`).Scan(&n).Error)
		assert.Zero(t, n, "nothing half-saved")
	})
}

// scrubFailVisit bills a visit whose line is both left and right (modifiers LT
// and RT): scrubbing fails (modifier-validity) and the claim waits for a fix.
func scrubFailVisit(t *testing.T, f *claimFlow, member string) (caseID, claimID string) {
	t.Helper()
	e, tok := f.e, f.e.AdminToken
	_, caseID = newPatientCase(t, e, tok, "insurance")
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/coverages", tok, map[string]any{
		"payer_id": f.payers["ACME1"], "priority": "primary", "member_id": member, "effective_from": "2026-01-01"})
	enc := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/check-ins", tok, map[string]any{
		"provider_id": f.p.provider, "location_id": f.p.location, "service_date": "2026-11-03"}).Map(t)["id"].(string)
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/encounters/"+enc+"/charges", tok,
		map[string]any{"procedure_code": "99213", "modifiers": []string{"LT", "RT"}, "diagnoses": []string{"E11.9"}})
	e.MustDo(200, "POST", "/api/v1/cases/"+caseID+"/encounters/"+enc+"/complete-charges", tok, nil)
	require.Eventually(t, func() bool {
		var list struct {
			Items []claims.Claim `json:"items"`
		}
		e.MustDo(200, "GET", "/api/v1/claims?case_id="+caseID, tok, nil).JSON(t, &list)
		if len(list.Items) > 0 {
			claimID = list.Items[0].ID
		}
		return claimID != ""
	}, settle, 50*time.Millisecond)
	f.waitStage(claimID, claims.StageNeedsFix, contract.PhaseNeedsFix)
	return caseID, claimID
}

// setFields sets inputs, selects and textareas by CSS selector (the
// harness's fill cannot clear an empty textarea).
func setFields(b *tab, fields map[string]string) {
	b.t.Helper()
	for sel, v := range fields {
		b.do(chromedp.SetValue(chromedp.CSS(sel), v))
	}
}

func mustLines(t *testing.T, e *testenv.Env, claimID string) []claims.ClaimLine {
	t.Helper()
	_, lines, err := (&claims.Service{DB: e.DB}).Get(context.Background(), claimID)
	require.NoError(t, err)
	require.NotEmpty(t, lines)
	return lines
}

// dashboardKey is the dashboard's figures without its time, to tell whether two
// reads saw the same book.
func dashboardKey(d reports.Dashboard) string {
	d.AsOf = time.Time{}
	b, _ := json.Marshal(d)
	return string(b)
}

// weekLabel is how the charts name a trend week (web.weekLabel).
func weekLabel(monday string) string {
	t, err := time.Parse(time.DateOnly, monday)
	if err != nil {
		return monday
	}
	return t.Format("Jan 2")
}

// moneyText writes an amount as the charts do ($1,234.50).
func moneyText(d decimal.Decimal) string {
	s := d.StringFixed(2)
	whole, cents, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return "$" + b.String() + "." + cents
}
