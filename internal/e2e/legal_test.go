package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/workflows/contract"
)

// legalDay is a hold's day in these tests: a 30-day follow-up comes in 6s.
const legalDay = 200 * time.Millisecond

// legalTasks lists the case's tasks in the legal-follow-up queue (open and
// done), by kind.
func legalTasks(t *testing.T, e *testenv.Env, tok, caseID string) map[string][]tasks.Task {
	t.Helper()
	var list struct {
		Items []tasks.Task `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/tasks?status=open,claimed,done&queue="+tasks.QueueLegal+"&case_id="+caseID, tok, nil).JSON(t, &list)
	out := map[string][]tasks.Task{}
	for _, x := range list.Items {
		out[x.Kind] = append(out[x.Kind], x)
	}
	return out
}

// waitTask waits for the case's first task of a kind in the legal-follow-up queue.
func waitTask(t *testing.T, e *testenv.Env, tok, caseID, kind string, within time.Duration) tasks.Task {
	t.Helper()
	var got tasks.Task
	require.Eventually(t, func() bool {
		if l := legalTasks(t, e, tok, caseID)[kind]; len(l) > 0 {
			got = l[0]
			return true
		}
		return false
	}, within, 100*time.Millisecond, "no %s task", kind)
	return got
}

// taskStatus is the status of one of the case's legal-follow-up tasks.
func taskStatus(t *testing.T, e *testenv.Env, tok, caseID, id string) string {
	t.Helper()
	for _, l := range legalTasks(t, e, tok, caseID) {
		for _, x := range l {
			if x.ID == id {
				return x.Status
			}
		}
	}
	return ""
}

// heldInvariant checks what the ledger must say of a held case: every journal
// balances, the workflow and the ledger agree, and held A/R is the held charges.
func heldInvariant(t *testing.T, e *testenv.Env, tok, caseID, held string) {
	t.Helper()
	assertLedgerInvariant(t, e, caseID)
	d := getCase(t, e, tok, caseID)
	require.True(t, d.InAgreement, "workflow and ledger agree")
	bal, err := ledger.CaseBalances(e.DB, caseID)
	require.NoError(t, err)
	require.Equal(t, held, bal.Get(ledger.ARHeld).StringFixed(2), "held A/R = held charges")
}

func TestHeldMVACaseIsWatchedFromFirstChargeToFollowUp(t *testing.T) {
	e := testenv.New(t, testenv.Options{LegalDayLength: legalDay})
	p := setupPractice(t, e)
	desk := e.NewUserToken("desk@test.local", auth.RoleFrontDesk)
	biller := e.NewUserToken("biller@test.local", auth.RoleBiller)
	_, caseID := newPatientCase(t, e, desk, "mva")

	atty := e.MustDo(201, "POST", "/api/v1/contacts", desk, map[string]any{"kind": "attorney", "name": "Saul Goodman",
		"organization": "Goodman & Partners", "phone": "505-555-0100"}).Map(t)["id"].(string)
	found := e.MustDo(200, "GET", "/api/v1/contacts?q=goodman", desk, nil).Map(t)["items"].([]any)
	require.Len(t, found, 1)

	today := time.Now().UTC()
	injury := today.AddDate(0, 0, -3).Format(time.DateOnly)
	sol := today.AddDate(0, 0, 100).Format(time.DateOnly)
	details := map[string]any{"date_of_injury": injury, "accident_state": "IL", "sol_date": sol,
		"contacts": []map[string]any{{"role": "patient_attorney", "contact_id": atty}}}

	// Bad input names every field and stores nothing.
	r := e.Do("PUT", "/api/v1/cases/"+caseID+"/legal", desk, map[string]any{"date_of_injury": "2999-01-01",
		"accident_state": "XX", "lien_received_on": today.Format(time.DateOnly)})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	assert.ElementsMatch(t, []string{"date_of_injury", "accident_state", "lien_received_on"}, problemFields(t, r))
	e.MustDo(404, "GET", "/api/v1/cases/"+caseID+"/legal", desk, nil)

	l := e.MustDo(200, "PUT", "/api/v1/cases/"+caseID+"/legal", desk, details).Map(t)
	assert.Equal(t, sol, l["sol_date"])
	assert.Equal(t, true, l["sol_overridden"])
	assert.Equal(t, false, l["lien_on_file"])

	// Charges on an MVA case are held; the first one starts the hold.
	enc := checkIn(t, e, desk, p, caseID)
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/encounters/"+enc+"/charges", biller,
		map[string]any{"procedure_code": "99213", "diagnoses": []string{"S13.4XXA"}})
	var hold map[string]any
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		r := e.MustDo(200, "GET", "/api/v1/cases/"+caseID, biller, nil)
		hold, _ = r.Map(t)["hold"].(map[string]any)
		if timers, _ := hold["timers"].([]any); len(timers) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the case shows no hold with timers: %s", r.Body)
		}
	}
	assert.Equal(t, contract.HoldWorkflowID(caseID), hold["workflow_id"])
	assert.Equal(t, "125", hold["held_total"])
	heldInvariant(t, e, biller, caseID, "125.00")

	// SOL 100 days out: the 90-day reminder comes ten "days" in; no lien after 14.
	solTask := waitTask(t, e, biller, caseID, tasks.KindSOLReminder, 10*time.Second)
	assert.Equal(t, 3, solTask.Priority)
	lien := waitTask(t, e, biller, caseID, tasks.KindNoLien, 10*time.Second)
	assert.Equal(t, tasks.StatusOpen, lien.Status)

	// The lien arrives: the hold re-reads the details and closes the task.
	details["lien_received_on"] = today.Format(time.DateOnly)
	details["lien_document"] = "LOP-2026-17"
	e.MustDo(200, "PUT", "/api/v1/cases/"+caseID+"/legal", desk, details)
	require.Eventually(t, func() bool {
		return taskStatus(t, e, biller, caseID, lien.ID) == tasks.StatusDone
	}, 10*time.Second, 100*time.Millisecond, "the no-lien task closes when the lien is on file")

	// The attorney follow-up comes after 30 days and is answered through the task.
	fu := waitTask(t, e, biller, caseID, tasks.KindAttorneyFollowUp, 15*time.Second)
	assert.Equal(t, contract.HoldWorkflowID(caseID), fu.WorkflowID)
	r = e.Do("POST", "/api/v1/tasks/"+fu.ID+"/complete", biller, map[string]any{"outcome": map[string]any{"outcome": "maybe"}})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	assert.Equal(t, []string{"outcome"}, problemFields(t, r))
	e.MustDo(200, "POST", "/api/v1/tasks/"+fu.ID+"/complete", biller,
		map[string]any{"outcome": map[string]any{"outcome": "demand_sent", "note": "demand went to the insurer"}})
	assert.Equal(t, tasks.StatusDone, taskStatus(t, e, biller, caseID, fu.ID))

	// Or through the case, once per idempotency key.
	next := today.AddDate(0, 0, 200).Format(time.DateOnly)
	for range 2 {
		e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/follow-ups", biller,
			map[string]any{"outcome": "negotiating", "next_follow_up": next}, "Idempotency-Key", "fu-1")
	}
	hold = e.MustDo(200, "GET", "/api/v1/cases/"+caseID, biller, nil).Map(t)["hold"].(map[string]any)
	assert.Len(t, hold["follow_ups"], 2, "a retried follow-up is recorded once")
	assert.Equal(t, "negotiating", hold["last_outcome"])

	// The holds list: the case, its attorney, the held total, the SOL and the lien.
	var holds struct {
		Items []map[string]any `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/holds?attorney_id="+atty, biller, nil).JSON(t, &holds)
	require.Len(t, holds.Items, 1)
	h := holds.Items[0]
	assert.Equal(t, caseID, h["case_id"])
	assert.Equal(t, "125", h["held_total"])
	assert.Equal(t, "Saul Goodman", h["attorney"].(map[string]any)["name"])
	assert.Equal(t, true, h["lien_on_file"])
	assert.EqualValues(t, 100, h["sol_days_left"])
	assert.True(t, strings.HasPrefix(h["next_follow_up_at"].(string), "20"))
	e.MustDo(200, "GET", "/api/v1/holds?min_age_days=5", biller, nil).JSON(t, &holds)
	assert.Empty(t, holds.Items, "today's charge is not five days old")
	r = e.Do("GET", "/api/v1/holds?min_age_days=soon", biller, nil)
	assert.Equal(t, 400, r.Status)
	heldInvariant(t, e, biller, caseID, "125.00")
	recordHistory(t, e, contract.CaseWorkflowID(caseID), "mva_case_with_hold")
	recordHistory(t, e, contract.HoldWorkflowID(caseID), "hold_follow_ups")

	// Other kinds of case have no legal details and no follow-ups.
	_, private := newPatientCase(t, e, desk, "private")
	e.MustDo(409, "PUT", "/api/v1/cases/"+private+"/legal", desk, details)
	e.MustDo(409, "POST", "/api/v1/cases/"+private+"/follow-ups", biller, map[string]any{"outcome": "treating"})
}
