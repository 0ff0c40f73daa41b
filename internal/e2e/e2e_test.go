package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/workflows/contract"
)

// practice is the reference data a clinic sets up once.
type practice struct {
	location, provider, feeSchedule string
}

func setupPractice(t *testing.T, e *testenv.Env) practice {
	tok := e.AdminToken
	var p practice
	p.location = e.MustDo(201, "POST", "/api/v1/locations", tok, map[string]any{
		"name": "Main St Clinic", "address1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701-1234",
	}).Map(t)["id"].(string)
	p.provider = e.MustDo(201, "POST", "/api/v1/providers", tok, map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "npi": "1234567893", "taxonomy": "207Q00000X",
	}).Map(t)["id"].(string)
	p.feeSchedule = e.MustDo(201, "POST", "/api/v1/fee-schedules", tok, map[string]any{
		"name": "Standard", "is_default": true, "items": []map[string]any{
			{"procedure_code": "99213", "price": "125.00"},
			{"procedure_code": "36415", "price": 15.50},
			{"procedure_code": "81002", "price": "9.99"},
		},
	}).Map(t)["id"].(string)
	return p
}

// checkIn checks the patient of a case in with the practice's provider and
// location and returns the visit (encounter) id.
func checkIn(t *testing.T, e *testenv.Env, tok string, p practice, caseID string) string {
	t.Helper()
	return e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/check-ins", tok, map[string]any{
		"provider_id": p.provider, "location_id": p.location}).Map(t)["id"].(string)
}

func newPatientCase(t *testing.T, e *testenv.Env, tok, kind string) (patient, caseID string) {
	patient = e.MustDo(201, "POST", "/api/v1/patients", tok, map[string]any{
		"first_name": "Jane", "last_name": "Roe", "date_of_birth": "1980-02-03", "email": "jane@example.com",
		// The 837P sends the patient's address (scrub rule edi-addresses).
		"address1": "5 Elm St", "city": "Springfield", "state": "IL", "zip": "62704",
	}).Map(t)["id"].(string)
	caseID = e.MustDo(201, "POST", "/api/v1/cases", tok, map[string]any{
		"patient_id": patient, "kind": kind, "title": "visit",
	}).Map(t)["id"].(string)
	return patient, caseID
}

type caseDetail struct {
	Stage      string               `json:"stage"`
	Encounters []contract.Encounter `json:"encounters"`
	// BillingProblems are completed visits that could not be billed.
	BillingProblems []contract.BillingProblem `json:"billing_problems"`
	Totals          contract.Totals           `json:"totals"`
	Ledger          map[string]string         `json:"ledger"`
	InAgreement     bool                      `json:"in_agreement"`
	// WorkflowURL opens the case workflow in the Temporal Web UI.
	WorkflowURL string `json:"workflow_url"`
}

func getCase(t *testing.T, e *testenv.Env, tok, id string) caseDetail {
	var d caseDetail
	e.MustDo(200, "GET", "/api/v1/cases/"+id, tok, nil).JSON(t, &d)
	return d
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// assertLedgerInvariant checks every journal balances and, for the case, that
// charges - payments - adjustments equals the ledger's open balance to the cent.
func assertLedgerInvariant(t *testing.T, e *testenv.Env, caseID string) {
	t.Helper()
	bad, err := ledger.CheckAll(e.DB)
	require.NoError(t, err)
	require.Empty(t, bad, "unbalanced journals")
	sum, err := billing.CaseSummary(e.DB, caseID)
	require.NoError(t, err)
	bal, err := ledger.CaseBalances(e.DB, caseID)
	require.NoError(t, err)
	require.True(t, sum.Net().Equal(bal.Net()), "charges-payments-adjustments %s != ledger %s", sum.Net(), bal.Net())
	require.False(t, bal.PatientBalance().IsNegative(), "patient balance must never be negative")
	require.False(t, bal.PatientCredit().IsNegative())
}

func TestPrivateCaseFromCheckInToPaid(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := setupPractice(t, e)
	desk := e.NewUserToken("desk@test.local", auth.RoleFrontDesk)
	doc := e.NewUserToken("doc@test.local", auth.RoleProvider)
	biller := e.NewUserToken("biller@test.local", auth.RoleBiller)
	patient, caseID := newPatientCase(t, e, desk, "private")

	// A patient may have several open cases.
	second := e.MustDo(201, "POST", "/api/v1/cases", desk, map[string]any{"patient_id": patient, "kind": "mva"}).Map(t)
	assert.Equal(t, "mva", second["kind"])

	// The case exists before any visit; its workflow starts with the first check-in.
	d := getCase(t, e, desk, caseID)
	assert.Equal(t, cases.StageOpen, d.Stage)

	enc := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/check-ins", desk, map[string]any{
		"provider_id": p.provider, "location_id": p.location, "service_date": "2026-11-20",
	}, "Idempotency-Key", "visit-1").Map(t)
	encID := enc["id"].(string)
	// A retried check-in (same key) is the same visit.
	again := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/check-ins", desk, map[string]any{
		"provider_id": p.provider, "location_id": p.location, "service_date": "2026-11-20",
	}, "Idempotency-Key", "visit-1").Map(t)
	assert.Equal(t, encID, again["id"])

	charges := "/api/v1/cases/" + caseID + "/encounters/" + encID + "/charges"
	c1 := e.MustDo(201, "POST", charges, doc, map[string]any{
		"procedure_code": "99213", "modifiers": []string{"25"}, "diagnoses": []string{"E11.9", "I10"},
		"diagnosis_pointers": []int{1, 2},
	}).Map(t)
	assert.Equal(t, "125", c1["amount"])
	assert.Equal(t, []any{"E11.9", "I10"}, c1["diagnoses"], "diagnoses come back as people write them")
	c2 := e.MustDo(201, "POST", charges, doc, map[string]any{"procedure_code": "36415", "units": 2, "diagnoses": []string{"E119"}}).Map(t)
	assert.Equal(t, []any{"E11.9"}, c2["diagnoses"], "an undotted code is stored dotted")
	wrong := e.MustDo(201, "POST", charges, doc, map[string]any{"procedure_code": "81002", "diagnoses": []string{"R30.0"}}).Map(t)
	// A biller may override the fee-schedule price; a provider may not.
	e.MustDo(403, "POST", charges, doc, map[string]any{"procedure_code": "81002", "diagnoses": []string{"R30.0"}, "price_override": "1.00"})
	over := e.MustDo(201, "POST", charges, biller, map[string]any{"procedure_code": "81002", "diagnoses": []string{"R30.0"}, "price_override": "5.25"}).Map(t)
	assert.Equal(t, true, over["price_overridden"])

	e.MustDo(200, "POST", "/api/v1/cases/"+caseID+"/charges/"+wrong["id"].(string)+"/void", doc, map[string]any{"reason": "entered twice"})
	e.MustDo(200, "POST", "/api/v1/cases/"+caseID+"/encounters/"+encID+"/complete-charges", doc, nil)
	// Charges after completion are refused.
	e.MustDo(409, "POST", charges, doc, map[string]any{"procedure_code": "99213", "diagnoses": []string{"E11.9"}})

	d = getCase(t, e, desk, caseID)
	assert.Equal(t, cases.StagePatientBalance, d.Stage)
	assert.True(t, dec("161.25").Equal(d.Totals.PatientBalance), "125 + 2x15.50 + 5.25 = %s", d.Totals.PatientBalance)
	assert.True(t, d.InAgreement, "workflow and ledger agree: %+v vs %+v", d.Totals, d.Ledger)
	assertLedgerInvariant(t, e, caseID)

	pay := "/api/v1/cases/" + caseID + "/payments"
	// A partial payment, retried with the same Idempotency-Key, posts once.
	r1 := e.MustDo(201, "POST", pay, desk, map[string]any{"amount": "60.00", "method": "card", "reference": "visa 4242"}, "Idempotency-Key", "pay-1").Map(t)
	r2 := e.MustDo(200, "POST", pay, desk, map[string]any{"amount": "60.00", "method": "card", "reference": "visa 4242"}, "Idempotency-Key", "pay-1")
	assert.Equal(t, "true", r2.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, r1["payment_id"], r2.Map(t)["payment_id"])
	var n int64
	require.NoError(t, e.DB.Table("payments").Where("case_id = ?", caseID).Count(&n).Error)
	assert.EqualValues(t, 1, n)
	require.NoError(t, e.DB.Table("journals").Where("idempotency_key = ?", "payment:"+r1["payment_id"].(string)).Count(&n).Error)
	assert.EqualValues(t, 1, n, "one journal for the retried payment")
	// The same key with a different amount is refused.
	e.MustDo(409, "POST", pay, desk, map[string]any{"amount": "61.00", "method": "card", "reference": "visa 4242"}, "Idempotency-Key", "pay-1")

	// A split payment: cash and check; the check overpays, leaving a credit.
	e.MustDo(201, "POST", pay, desk, map[string]any{"amount": "50", "method": "cash"}, "Idempotency-Key", "pay-2")
	e.MustDo(201, "POST", pay, desk, map[string]any{"amount": "60.00", "method": "check", "reference": "#1001"}, "Idempotency-Key", "pay-3")
	d = getCase(t, e, desk, caseID)
	assert.True(t, d.Totals.PatientBalance.IsZero(), "no negative balance: %s", d.Totals.PatientBalance)
	assert.True(t, dec("8.75").Equal(d.Totals.PatientCredit), "overpayment is a credit: %s", d.Totals.PatientCredit)
	assert.Equal(t, cases.StagePaid, d.Stage)
	assert.True(t, d.InAgreement, "%+v vs %+v", d.Totals, d.Ledger)
	assertLedgerInvariant(t, e, caseID)

	// A second visit's charge is paid down by the credit first.
	enc2 := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/check-ins", desk, map[string]any{
		"provider_id": p.provider, "location_id": p.location}).Map(t)["id"].(string)
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/encounters/"+enc2+"/charges", doc, map[string]any{"procedure_code": "36415", "diagnoses": []string{"E11.9"}})
	e.MustDo(200, "POST", "/api/v1/cases/"+caseID+"/encounters/"+enc2+"/complete-charges", doc, nil)
	d = getCase(t, e, desk, caseID)
	assert.True(t, dec("6.75").Equal(d.Totals.PatientBalance), "15.50 - 8.75 credit = %s", d.Totals.PatientBalance)
	assert.True(t, d.Totals.PatientCredit.IsZero())
	// An adjustment larger than the balance is refused; a smaller one clears it.
	e.MustDo(400, "POST", "/api/v1/cases/"+caseID+"/adjustments", biller, map[string]any{"amount": "7.00", "reason": "courtesy"})
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/adjustments", biller, map[string]any{"amount": "6.75", "reason": "small balance"}, "Idempotency-Key", "adj-1")
	d = getCase(t, e, desk, caseID)
	assert.Equal(t, cases.StagePaid, d.Stage)
	assert.True(t, d.Totals.Balance.IsZero(), "%s", d.Totals.Balance)
	assert.True(t, d.InAgreement)
	assertLedgerInvariant(t, e, caseID)

	// The ledger endpoint shows balanced journals.
	var lj struct {
		Journals []struct {
			Kind  string `json:"kind"`
			Lines []struct {
				Amount decimal.Decimal `json:"amount"`
			} `json:"lines"`
		} `json:"journals"`
	}
	e.MustDo(200, "GET", "/api/v1/cases/"+caseID+"/ledger", biller, nil).JSON(t, &lj)
	require.NotEmpty(t, lj.Journals)
	for _, j := range lj.Journals {
		s := decimal.Zero
		for _, l := range j.Lines {
			s = s.Add(l.Amount)
		}
		assert.True(t, s.IsZero(), "journal %s sums to %s", j.Kind, s)
		assert.NotEmpty(t, j.Kind)
	}

	// Every write left an audit row with its actor and request id, and no PHI.
	var audits []struct {
		Action, EntityType, RequestID string
		Changes                       string
	}
	require.NoError(t, e.DB.Raw(`SELECT action, entity_type, request_id, coalesce(changes::text, '') AS changes FROM audit_log`).Scan(&audits).Error)
	actions := map[string]bool{}
	for _, a := range audits {
		actions[a.Action] = true
		assert.NotContains(t, a.Changes, "Roe", "no patient names in the audit log")
		assert.NotContains(t, a.Changes, "1980-02-03")
	}
	for _, want := range []string{"patient.create", "case.create", "encounter.check_in", "charge.capture", "charge.void",
		"encounter.charges_complete", "payment.record", "adjustment.record"} {
		assert.True(t, actions[want], "audit has %s", want)
	}
	// The audit log is append-only.
	require.Error(t, e.DB.Exec(`DELETE FROM audit_log`).Error)
	// Rows written by the API and by activities, concurrently, form one hash
	// chain that verifies.
	chain := e.MustDo(200, "GET", "/api/v1/audit/verify", e.AdminToken, nil).Map(t)
	assert.Equal(t, true, chain["ok"], "audit chain: %v", chain)
	assert.GreaterOrEqual(t, chain["checked"], float64(len(audits)), "every row read above is in the chain")

	// The stage is mirrored in the CaseStage search attribute (no PHI), so
	// visibility queries can find cases by stage.
	require.Eventually(t, func() bool {
		resp, err := e.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: e.Namespace, Query: "CaseStage = 'paid' AND CaseKind = 'private'"})
		if err != nil || len(resp.Executions) != 1 {
			return false
		}
		return resp.Executions[0].Execution.WorkflowId == contract.CaseWorkflowID(caseID)
	}, settle, 200*time.Millisecond, "visibility finds the paid case by its CaseStage")

	recordHistory(t, e, contract.CaseWorkflowID(caseID), "private_case_paid")
}

// TestMissingChargesTaskAnsweredThroughTheTask completes a missing-charges task with
// an outcome: the task names the case workflow and its complete-charges update,
// which the task endpoint sends; the workflow closes the task.
func TestMissingChargesTaskAnsweredThroughTheTask(t *testing.T) {
	e := testenv.New(t, testenv.Options{MissingChargesAfter: time.Second})
	p := setupPractice(t, e)
	_, caseID := newPatientCase(t, e, e.AdminToken, "private")
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/check-ins", e.AdminToken, map[string]any{
		"provider_id": p.provider, "location_id": p.location})
	var task map[string]any
	require.Eventually(t, func() bool {
		var body struct {
			Items []map[string]any `json:"items"`
		}
		e.MustDo(200, "GET", "/api/v1/tasks?queue=charges", e.AdminToken, nil).JSON(t, &body)
		if len(body.Items) == 1 {
			task = body.Items[0]
		}
		return task != nil
	}, settle, 200*time.Millisecond, "a missing-charges task appears after the window")
	assert.Equal(t, contract.CaseWorkflowID(caseID), task["workflow_id"])
	assert.Equal(t, contract.UpdateCompleteCharges, task["update"])

	biller := e.NewUserToken("b2@test.local", auth.RoleBiller)
	id := task["id"].(string)
	r := e.Do("POST", "/api/v1/tasks/"+id+"/complete", biller, map[string]any{"resolution": "done"})
	assert.Equal(t, http.StatusConflict, r.Status, "the case waits for the charges, not a closed task: %s", r.Body)
	r = e.Do("POST", "/api/v1/tasks/"+id+"/complete", biller, map[string]any{"outcome": map[string]any{}})
	require.Equal(t, http.StatusBadRequest, r.Status, "a visit without charges needs a reason: %s", r.Body)
	var answered struct {
		Update string `json:"update"`
		Answer struct {
			ChargesCompletedAt *time.Time `json:"charges_completed_at"`
		} `json:"answer"`
	}
	e.MustDo(200, "POST", "/api/v1/tasks/"+id+"/complete", biller, map[string]any{
		"outcome": map[string]any{"no_charge_reason": "left before being seen"}}).JSON(t, &answered)
	assert.Equal(t, contract.UpdateCompleteCharges, answered.Update)
	assert.NotNil(t, answered.Answer.ChargesCompletedAt)
	var status string
	require.NoError(t, e.DB.Table("tasks").Where("id = ?", id).Pluck("status", &status).Error)
	assert.Equal(t, "done", status)
	assert.Equal(t, cases.StagePaid, getCase(t, e, e.AdminToken, caseID).Stage)
}

func TestMissingChargesTaskRaisedAndClosed(t *testing.T) {
	e := testenv.New(t, testenv.Options{MissingChargesAfter: 2 * time.Second})
	p := setupPractice(t, e)
	_, caseID := newPatientCase(t, e, e.AdminToken, "insurance")
	encID := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/check-ins", e.AdminToken, map[string]any{
		"provider_id": p.provider, "location_id": p.location}).Map(t)["id"].(string)

	var tasks []map[string]any
	require.Eventually(t, func() bool {
		var body struct {
			Items []map[string]any `json:"items"`
		}
		e.MustDo(200, "GET", "/api/v1/tasks?queue=charges", e.AdminToken, nil).JSON(t, &body)
		tasks = body.Items
		return len(tasks) == 1
	}, settle, 200*time.Millisecond, "a missing-charges task appears after the window")
	assert.Equal(t, "missing_charges", tasks[0]["kind"])
	assert.Equal(t, encID, tasks[0]["encounter_id"])
	d := getCase(t, e, e.AdminToken, caseID)
	assert.NotEmpty(t, d.Encounters[0].MissingChargesTaskID)

	// A biller claims it from the queue; the queue is then empty.
	biller := e.NewUserToken("b@test.local", auth.RoleBiller)
	claimed := e.MustDo(200, "POST", "/api/v1/tasks/claim-next", biller, map[string]any{"queue": "charges"}).Map(t)
	assert.Equal(t, tasks[0]["id"], claimed["id"])
	e.MustDo(204, "POST", "/api/v1/tasks/claim-next", biller, map[string]any{"queue": "charges"})

	// Completing the charges closes the task.
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/encounters/"+encID+"/charges", e.AdminToken,
		map[string]any{"procedure_code": "99213", "diagnoses": []string{"J06.9"}})
	e.MustDo(200, "POST", "/api/v1/cases/"+caseID+"/encounters/"+encID+"/complete-charges", e.AdminToken, nil)
	var status string
	require.NoError(t, e.DB.Table("tasks").Where("id = ?", tasks[0]["id"]).Pluck("status", &status).Error)
	assert.Equal(t, "done", status)
	d = getCase(t, e, e.AdminToken, caseID)
	assert.Equal(t, cases.StageReadyToBill, d.Stage)
	assert.True(t, dec("125").Equal(d.Totals.OtherReceivable), "insurance charges wait unbilled")
	assert.True(t, d.InAgreement)
	require.Eventually(t, func() bool {
		d = getCase(t, e, e.AdminToken, caseID)
		return len(d.BillingProblems) == 1
	}, settle, 50*time.Millisecond, "no coverage to bill: a task instead of a claim")
	var covTask string
	require.NoError(t, e.DB.Table("tasks").Where("id = ?", d.BillingProblems[0].TaskID).Pluck("queue", &covTask).Error)
	assert.Equal(t, "eligibility", covTask)
	assert.Eventually(t, func() bool {
		var stage string
		require.NoError(t, e.DB.Table("cases").Where("id = ?", caseID).Pluck("stage", &stage).Error)
		return stage == cases.StageReadyToBill
	}, settle, 50*time.Millisecond, "the read model follows the workflow")

	// The front desk adds the coverage: the visit is billed and the task closes.
	payer := e.MustDo(201, "POST", "/api/v1/payers", e.AdminToken, map[string]any{"name": "Acme", "payer_id": "ACME1", "type": "commercial"}).Map(t)["id"].(string)
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/coverages", e.AdminToken, map[string]any{
		"payer_id": payer, "priority": "primary", "member_id": "XJ123456", "effective_from": "2026-01-01"})
	require.Eventually(t, func() bool {
		d = getCase(t, e, e.AdminToken, caseID)
		return len(d.Encounters[0].ClaimIDs) == 1 && d.Stage == cases.StageBilled
	}, settle, 100*time.Millisecond, "a coverage added later bills the waiting visit")
	assert.Empty(t, d.BillingProblems)
	var covStatus string
	require.NoError(t, e.DB.Table("tasks").Where("business_key = ?", "no-coverage:"+encID).Pluck("status", &covStatus).Error)
	assert.Equal(t, "done", covStatus)
	var n map[string]int
	e.MustDo(200, "POST", "/api/v1/cases/"+caseID+"/retry-billing", e.AdminToken, nil).JSON(t, &n)
	assert.Equal(t, 0, n["retried_visits"], "nothing left to retry")
	assertLedgerInvariant(t, e, caseID)

	recordHistory(t, e, contract.CaseWorkflowID(caseID), "missing_charges_task")
}

func TestAuthentication(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	e.MustDo(200, "GET", "/healthz", "", nil)
	e.MustDo(200, "GET", "/readyz", "", nil)

	r := e.MustDo(401, "GET", "/api/v1/patients", "", nil)
	assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	assert.NotEmpty(t, r.Header.Get("WWW-Authenticate"))
	e.MustDo(401, "GET", "/api/v1/patients", "rcm_not-a-real-token", nil)
	e.MustDo(401, "GET", "/api/v1/patients", "", nil, "Authorization", "Basic YWRtaW46YWRtaW4=")

	desk := e.NewUserToken("desk@test.local", auth.RoleFrontDesk)
	doc := e.NewUserToken("doc@test.local", auth.RoleProvider)
	r = e.MustDo(403, "POST", "/api/v1/users", desk, map[string]any{"email": "x@y.z", "name": "X", "role": "admin"})
	assert.Equal(t, "/problems/forbidden", r.Map(t)["type"])
	e.MustDo(403, "POST", "/api/v1/patients", doc, map[string]any{"first_name": "A", "last_name": "B", "date_of_birth": "1990-01-01"})
	e.MustDo(403, "POST", "/api/v1/fee-schedules", desk, map[string]any{"name": "x"})
	e.MustDo(403, "GET", "/api/v1/audit", desk, nil)

	// An admin creates a user and issues a token that works at once.
	u := e.MustDo(201, "POST", "/api/v1/users", e.AdminToken, map[string]any{"email": "new@test.local", "name": "New", "role": "biller"}).Map(t)
	e.MustDo(409, "POST", "/api/v1/users", e.AdminToken, map[string]any{"email": "new@test.local", "name": "New", "role": "biller"})
	tok := e.MustDo(201, "POST", "/api/v1/users/"+u["id"].(string)+"/tokens", e.AdminToken, map[string]any{"name": "laptop"}).Map(t)["token"].(string)
	me := e.MustDo(200, "GET", "/api/v1/me", tok, nil).Map(t)
	assert.Equal(t, "biller", me["role"])
	var stored int64
	require.NoError(t, e.DB.Table("api_tokens").Where("token_hash = ?", tok).Count(&stored).Error)
	assert.Zero(t, stored, "tokens are stored hashed, never in plaintext")
}

func TestBadInputIsA400AndWritesNothing(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := setupPractice(t, e)
	tok := e.AdminToken
	_, caseID := newPatientCase(t, e, tok, "private")
	encID := checkIn(t, e, tok, p, caseID)
	charges := "/api/v1/cases/" + caseID + "/encounters/" + encID + "/charges"

	cases := []struct {
		name, method, path string
		body               any
		want               []string
	}{
		{"malformed JSON", "POST", "/api/v1/patients", `{"first_name": `, nil},
		{"empty body", "POST", "/api/v1/patients", nil, nil},
		{"unknown field", "POST", "/api/v1/patients", map[string]any{"first_name": "A", "ssn": "123"}, []string{"ssn"}},
		{"wrong type", "POST", "/api/v1/patients", map[string]any{"first_name": 5}, []string{"first_name"}},
		{"patient fields", "POST", "/api/v1/patients", map[string]any{"first_name": "A", "date_of_birth": "3000-01-01", "email": "nope", "state": "Illinois", "address1": "x", "city": "y", "zip": "1"},
			[]string{"last_name", "date_of_birth", "email", "state", "zip"}},
		{"case kind", "POST", "/api/v1/cases", map[string]any{"patient_id": "00000000-0000-0000-0000-000000000000", "kind": "dental"}, []string{"patient_id", "kind"}},
		{"bad NPI", "POST", "/api/v1/providers", map[string]any{"first_name": "A", "last_name": "B", "npi": "1234567890"}, []string{"npi"}},
		{"bad codes", "POST", charges, map[string]any{"procedure_code": "ABCDE", "modifiers": []string{"1", "25", "25"}, "units": -1,
			"diagnoses": []string{"E11.9", "123"}, "diagnosis_pointers": []int{1, 5}},
			[]string{"procedure_code", "modifiers[0]", "modifiers[2]", "units", "diagnoses[1]", "diagnosis_pointers[1]"}},
		{"no diagnosis", "POST", charges, map[string]any{"procedure_code": "99213"}, []string{"diagnoses"}},
		{"no price", "POST", charges, map[string]any{"procedure_code": "99215", "diagnoses": []string{"E11.9"}}, []string{"procedure_code"}},
		{"bad amount", "POST", "/api/v1/cases/" + caseID + "/payments", map[string]any{"amount": "ten", "method": "card"}, []string{"amount"}},
		{"negative amount", "POST", "/api/v1/cases/" + caseID + "/payments", map[string]any{"amount": "-5", "method": "barter"}, []string{"amount", "method"}},
		{"fractional cents", "POST", "/api/v1/cases/" + caseID + "/payments", map[string]any{"amount": "10.005", "method": "cash"}, []string{"amount"}},
		{"case filters", "GET", "/api/v1/cases?kind=dental&stage=nope&patient_id=1", nil, []string{"kind", "stage", "patient_id"}},
		{"user list limit", "GET", "/api/v1/users?limit=0", nil, []string{"limit"}},
		{"check-in refs", "POST", "/api/v1/cases/" + caseID + "/check-ins", map[string]any{"provider_id": "x", "location_id": p.provider}, []string{"provider_id", "location_id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(tc.method, tc.path, tok, tc.body)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			got := problemFields(t, r)
			for _, f := range tc.want {
				assert.Contains(t, got, f, "%s", r.Body)
			}
		})
	}
	e.MustDo(404, "GET", "/api/v1/cases/"+strings.Repeat("0", 8)+"-0000-0000-0000-000000000000", tok, nil)
	e.MustDo(404, "POST", "/api/v1/cases/"+caseID+"/encounters/00000000-0000-0000-0000-000000000000/charges", tok,
		map[string]any{"procedure_code": "99213", "diagnoses": []string{"E11.9"}})

	// Nothing was half-written.
	for _, table := range []string{"charges", "payments", "journals", "journal_lines"} {
		var n int64
		require.NoError(t, e.DB.Table(table).Count(&n).Error)
		assert.Zero(t, n, "%s must be empty after rejected requests", table)
	}
	d := getCase(t, e, tok, caseID)
	assert.Empty(t, d.Encounters[0].Charges)
}

func TestConcurrentPaymentsKeepTheLedgerBalanced(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := setupPractice(t, e)
	_, caseID := newPatientCase(t, e, e.AdminToken, "private")
	encID := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/check-ins", e.AdminToken, map[string]any{
		"provider_id": p.provider, "location_id": p.location}).Map(t)["id"].(string)
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/encounters/"+encID+"/charges", e.AdminToken,
		map[string]any{"procedure_code": "99213", "diagnoses": []string{"E11.9"}})

	errs := make(chan error, 10)
	for i := range 10 {
		go func() {
			key := fmt.Sprintf("k-%d", i%5) // every key sent twice, concurrently
			r := e.Do("POST", "/api/v1/cases/"+caseID+"/payments", e.AdminToken,
				map[string]any{"amount": "30.00", "method": "card"}, "Idempotency-Key", key)
			if r.Status != 201 && r.Status != 200 {
				errs <- fmt.Errorf("status %d: %s", r.Status, r.Body)
				return
			}
			errs <- nil
		}()
	}
	for range 10 {
		require.NoError(t, <-errs)
	}
	d := getCase(t, e, e.AdminToken, caseID)
	assert.True(t, dec("150").Equal(d.Totals.Payments), "five distinct payments: %s", d.Totals.Payments)
	assert.True(t, dec("25").Equal(d.Totals.PatientCredit), "%s", d.Totals.PatientCredit)
	assert.True(t, d.InAgreement)
	assertLedgerInvariant(t, e, caseID)
}
