package e2e

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/workflows/contract"
)

// legalMoneyInvariant checks the ledger of a legal case after a step: every
// journal balances, the case workflow and the ledger agree, held A/R is the
// held charges not yet released (none once dropped; held kinds only), and attorney A/R is
// what was released to the attorney less reductions and attorney payments.
func legalMoneyInvariant(t *testing.T, e *testenv.Env, tok, caseID string) ledger.Balances {
	t.Helper()
	bad, err := ledger.CheckAll(e.DB)
	require.NoError(t, err)
	require.Empty(t, bad, "unbalanced journals")
	require.Eventually(t, func() bool { return getCase(t, e, tok, caseID).InAgreement }, settle, 50*time.Millisecond,
		"the case workflow's totals agree with the ledger")
	var want struct {
		Held     decimal.Decimal
		Attorney decimal.Decimal
		Dropped  bool
	}
	require.NoError(t, e.DB.Raw(`SELECT
		(SELECT coalesce(sum(ch.amount), 0) FROM charges ch WHERE ch.case_id = @id AND ch.status = 'active'
			AND NOT EXISTS (SELECT 1 FROM legal_release_charges r WHERE r.charge_id = ch.id)
			AND EXISTS (SELECT 1 FROM cases c WHERE c.id = @id AND c.kind IN ('mva', 'personal_injury'))) AS held,
		(SELECT coalesce(sum(amount - reduction), 0) FROM legal_releases WHERE case_id = @id AND target = 'attorney')
			- (SELECT coalesce(sum(amount), 0) FROM legal_payments WHERE case_id = @id AND payer = 'attorney') AS attorney,
		EXISTS (SELECT 1 FROM legal_drops WHERE case_id = @id) AS dropped`, map[string]any{"id": caseID}).Scan(&want).Error)
	bal, err := ledger.CaseBalances(e.DB, caseID)
	require.NoError(t, err)
	if want.Dropped {
		want.Held, want.Attorney = decimal.Zero, decimal.Zero
	}
	require.Equal(t, want.Held.StringFixed(2), bal.Get(ledger.ARHeld).StringFixed(2), "held A/R = held charges not released")
	require.Equal(t, want.Attorney.StringFixed(2), bal.Get(ledger.ARAttorney).StringFixed(2),
		"attorney A/R = released to the attorney - reductions - attorney payments")
	return bal
}

// holdOf is the case's hold as GET /cases/{id} shows it.
func holdOf(t *testing.T, e *testenv.Env, tok, caseID string) map[string]any {
	t.Helper()
	h, _ := e.MustDo(200, "GET", "/api/v1/cases/"+caseID, tok, nil).Map(t)["hold"].(map[string]any)
	return h
}

// waitHold waits until the case's hold runs (its first held charge started it).
func waitHold(t *testing.T, e *testenv.Env, tok, caseID string) {
	t.Helper()
	require.Eventually(t, func() bool { return holdOf(t, e, tok, caseID) != nil }, settle, 100*time.Millisecond,
		"the first held charge starts the hold")
}

// approvalTask waits for the case's open task of a kind in the approvals queue.
func approvalTask(t *testing.T, e *testenv.Env, tok, caseID, kind string) tasks.Task {
	t.Helper()
	var got tasks.Task
	require.Eventually(t, func() bool {
		var list struct {
			Items []tasks.Task `json:"items"`
		}
		e.MustDo(200, "GET", "/api/v1/tasks?queue="+tasks.QueueApprovals+"&case_id="+caseID, tok, nil).JSON(t, &list)
		for _, x := range list.Items {
			if x.Kind == kind && x.Status == tasks.StatusOpen {
				got = x
				return true
			}
		}
		return false
	}, settle, 100*time.Millisecond, "no open %s task", kind)
	return got
}

// heldVisit checks the patient in and captures a 99213 (125.00), charge
// capture complete; it returns the charge id.
func heldVisit(t *testing.T, e *testenv.Env, tok string, p practice, caseID string) string {
	t.Helper()
	enc := checkIn(t, e, tok, p, caseID)
	ch := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/encounters/"+enc+"/charges", tok,
		map[string]any{"procedure_code": "99213", "diagnoses": []string{"S13.4XXA"}, "diagnosis_pointers": []int{1}}).Map(t)
	e.MustDo(200, "POST", "/api/v1/cases/"+caseID+"/encounters/"+enc+"/complete-charges", tok, nil)
	return ch["id"].(string)
}

func TestMVACaseSettledWithApprovedReductionReleasedToAttorneyAndPaid(t *testing.T) {
	e := testenv.New(t, testenv.Options{LegalDayLength: legalDay})
	p := setupPractice(t, e)
	desk := e.NewUserToken("desk@test.local", auth.RoleFrontDesk)
	biller := e.NewUserToken("biller@test.local", auth.RoleBiller)
	manager := e.NewUserToken("manager@test.local", auth.RoleManager)
	_, caseID := newPatientCase(t, e, desk, "mva")
	atty := e.MustDo(201, "POST", "/api/v1/contacts", desk, map[string]any{"kind": "attorney", "name": "Saul Goodman",
		"organization": "Goodman & Partners"}).Map(t)["id"].(string)
	today := time.Now().UTC()
	e.MustDo(200, "PUT", "/api/v1/cases/"+caseID+"/legal", desk, map[string]any{
		"date_of_injury": today.AddDate(0, 0, -3).Format(time.DateOnly), "accident_state": "IL",
		"lien_received_on": today.Format(time.DateOnly), "lien_document": "LOP-1", "follow_up_days": 365,
		"contacts": []map[string]any{{"role": "patient_attorney", "contact_id": atty}}})

	// Two visits, 250.00 held.
	first := heldVisit(t, e, biller, p, caseID)
	heldVisit(t, e, biller, p, caseID)
	waitHold(t, e, biller, caseID)
	legalMoneyInvariant(t, e, biller, caseID)
	r := e.Do("POST", "/api/v1/cases/"+caseID+"/payments", desk, map[string]any{"amount": "80.00", "method": "check"})
	require.Equal(t, 409, r.Status, "a patient payment beside a held balance is refused: %s", r.Body)

	// Bad input is a field error and changes nothing.
	before := journalCount(t, e, caseID)
	r = e.Do("POST", "/api/v1/cases/"+caseID+"/settlement", biller, map[string]any{"amount": "20000",
		"reduction_percent": "120", "pay_via": "attorney"})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	assert.Equal(t, []string{"reduction_percent"}, problemFields(t, r))
	r = e.Do("POST", "/api/v1/cases/"+caseID+"/release", biller, map[string]any{"to": "attorney",
		"charge_ids": []string{"00000000-0000-0000-0000-000000000001"}})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	assert.Equal(t, []string{"charge_ids[0]"}, problemFields(t, r))
	_, private := newPatientCase(t, e, desk, "private")
	e.MustDo(409, "POST", "/api/v1/cases/"+private+"/settlement", biller, map[string]any{"amount": "100", "pay_via": "attorney"})
	assert.Equal(t, before, journalCount(t, e, caseID))

	// A 30 % reduction waits for a manager.
	h := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/settlement", biller, map[string]any{"amount": "20000",
		"reduction_percent": "30", "pay_via": "attorney"}, "Idempotency-Key", "settle-1").Map(t)
	assert.Equal(t, contract.HoldStatusSettling, h["status"])
	assert.Equal(t, contract.SettlementPending, h["settlement"].(map[string]any)["status"])
	e.MustDo(409, "POST", "/api/v1/cases/"+caseID+"/release", biller, map[string]any{"to": "attorney"})
	task := approvalTask(t, e, manager, caseID, tasks.KindReductionApproval)
	e.MustDo(403, "POST", "/api/v1/tasks/"+task.ID+"/complete", biller, map[string]any{"outcome": map[string]any{"decision": "approve"}})
	e.MustDo(200, "POST", "/api/v1/tasks/"+task.ID+"/complete", manager, map[string]any{"outcome": map[string]any{"decision": "approve"}})
	h = holdOf(t, e, biller, caseID)
	assert.Equal(t, contract.SettlementApproved, h["settlement"].(map[string]any)["status"])
	assert.Nil(t, h["approval"])

	// Part of the charges to the attorney: the first visit, with the 75.00 reduction.
	h = e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/release", biller, map[string]any{"to": "attorney",
		"charge_ids": []string{first}}, "Idempotency-Key", "rel-1").Map(t)
	assert.Equal(t, contract.HoldStatusSettling, h["status"], "125.00 is still held")
	bal := legalMoneyInvariant(t, e, biller, caseID)
	assert.Equal(t, "125.00", bal.Get(ledger.ARHeld).StringFixed(2))
	assert.Equal(t, "50.00", bal.Get(ledger.ARAttorney).StringFixed(2))
	assert.Equal(t, "75.00", bal.Get(ledger.LegalReduction).StringFixed(2), "the reduction is its own journal")
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/release", biller, map[string]any{"to": "attorney",
		"charge_ids": []string{first}}, "Idempotency-Key", "rel-1")
	legalMoneyInvariant(t, e, biller, caseID)
	h = e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/release", biller, map[string]any{"to": "attorney"}).Map(t)
	assert.Equal(t, contract.HoldStatusReleased, h["status"])
	bal = legalMoneyInvariant(t, e, biller, caseID)
	assert.Equal(t, "175.00", bal.Get(ledger.ARAttorney).StringFixed(2))

	var exposure struct {
		Items []map[string]any `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/holds/by-attorney", biller, nil).JSON(t, &exposure)
	require.NotEmpty(t, exposure.Items)
	assert.Equal(t, "Saul Goodman", exposure.Items[0]["attorney"].(map[string]any)["name"])
	assert.Equal(t, "175", exposure.Items[0]["attorney_owed"])
	var released struct {
		Items []map[string]any `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/holds?status=released", biller, nil).JSON(t, &released)
	require.Len(t, released.Items, 1)
	assert.Equal(t, "175", released.Items[0]["attorney_owed"])
	st := e.MustDo(200, "GET", "/api/v1/cases/"+caseID+"/lien-statement", biller, nil).Map(t)
	assert.Len(t, st["lines"], 2)
	assert.Equal(t, "175", st["balance_due"])
	assert.NotContains(t, string(e.Do("GET", "/api/v1/cases/"+caseID+"/lien-statement", biller, nil).Body), "S13", "never a diagnosis")

	// The attorney's checks post against attorney A/R, once per key; too much is refused.
	e.MustDo(409, "POST", "/api/v1/cases/"+caseID+"/legal-payments", desk, map[string]any{"payer": "attorney",
		"amount": "175.01", "method": "check"})
	for range 2 {
		e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/legal-payments", desk, map[string]any{"payer": "attorney",
			"amount": "100", "method": "check", "reference": "CHK 1001"}, "Idempotency-Key", "chk-1001")
	}
	bal = legalMoneyInvariant(t, e, biller, caseID)
	assert.Equal(t, "75.00", bal.Get(ledger.ARAttorney).StringFixed(2), "a retried check posts once")
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/legal-payments", desk, map[string]any{"payer": "attorney",
		"amount": "75", "method": "check", "reference": "CHK 1002"}, "Idempotency-Key", "chk-1002")
	bal = legalMoneyInvariant(t, e, biller, caseID)
	assert.True(t, bal.Net().IsZero(), "the case reaches zero")
	assert.Equal(t, "175.00", bal.Get(ledger.Cash).StringFixed(2))
	require.Eventually(t, func() bool { return holdOf(t, e, biller, caseID)["status"] == contract.HoldStatusClosed },
		settle, 100*time.Millisecond, "the hold closes")
	d := getCase(t, e, biller, caseID)
	assert.Equal(t, "175", d.Totals.InsurancePaid.String(), "the case workflow knows the attorney's money")
	recordHistory(t, e, contract.HoldWorkflowID(caseID), "hold_settled_released_paid")

	// A second case is dropped: its balance becomes the patient's, who may then pay.
	_, dropped := newPatientCase(t, e, desk, "personal_injury")
	heldVisit(t, e, biller, p, dropped)
	waitHold(t, e, biller, dropped)
	e.MustDo(400, "POST", "/api/v1/cases/"+dropped+"/drop", biller, map[string]any{"disposition": "patient"})
	h = e.MustDo(200, "POST", "/api/v1/cases/"+dropped+"/drop", biller, map[string]any{"disposition": "patient",
		"reason": "attorney withdrew"}).Map(t)
	assert.Equal(t, contract.HoldStatusDropped, h["status"])
	bal = legalMoneyInvariant(t, e, biller, dropped)
	assert.Equal(t, "125.00", bal.PatientBalance().StringFixed(2))
	require.Eventually(t, func() bool { return getCase(t, e, biller, dropped).Totals.PatientBalance.String() == "125" },
		settle, 50*time.Millisecond)
	e.MustDo(201, "POST", "/api/v1/cases/"+dropped+"/payments", desk, map[string]any{"amount": "125.00", "method": "card"})
	bal = legalMoneyInvariant(t, e, biller, dropped)
	assert.True(t, bal.Net().IsZero())

	// A third is dropped with a write-off, which a manager approves.
	_, written := newPatientCase(t, e, desk, "mva")
	heldVisit(t, e, biller, p, written)
	waitHold(t, e, biller, written)
	h = e.MustDo(200, "POST", "/api/v1/cases/"+written+"/drop", biller, map[string]any{"disposition": "write_off",
		"reason": "no recovery"}).Map(t)
	assert.Equal(t, contract.ApprovalWriteOff, h["approval"].(map[string]any)["kind"])
	legalMoneyInvariant(t, e, biller, written)
	task = approvalTask(t, e, manager, written, tasks.KindLegalWriteOff)
	e.MustDo(200, "POST", "/api/v1/tasks/"+task.ID+"/complete", manager, map[string]any{"outcome": map[string]any{"decision": "approve"}})
	bal = legalMoneyInvariant(t, e, biller, written)
	assert.Equal(t, "125.00", bal.Get(ledger.LegalWriteOff).StringFixed(2))
	assert.True(t, bal.Net().IsZero())
}

func journalCount(t *testing.T, e *testenv.Env, caseID string) int64 {
	var n int64
	require.NoError(t, e.DB.Table("journals").Where("case_id = ?", caseID).Count(&n).Error)
	return n
}

func TestMVACaseReleasedToAutoInsurerAndPaidBySimulator(t *testing.T) {
	e := testenv.New(t, testenv.Options{LegalDayLength: legalDay,
		Simulator:    clearinghouse.Config{AckDelay: 200 * time.Millisecond, RemitDelay: 600 * time.Millisecond},
		PollInterval: 100 * time.Millisecond})
	tok := e.AdminToken
	var p practice
	p.location = e.MustDo(201, "POST", "/api/v1/locations", tok, map[string]any{
		"name": "Main St Clinic", "address1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701-1234",
		"npi": "1245319599", "tax_id": "12-3456789", "taxonomy": "261QM1300X"}).Map(t)["id"].(string)
	p.provider = e.MustDo(201, "POST", "/api/v1/providers", tok, map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "npi": "1234567893", "taxonomy": "207Q00000X"}).Map(t)["id"].(string)
	e.MustDo(201, "POST", "/api/v1/fee-schedules", tok, map[string]any{"name": "Standard", "is_default": true,
		"items": []map[string]any{{"procedure_code": "99213", "price": "125.00"}}})
	insurer := e.MustDo(201, "POST", "/api/v1/payers", tok, map[string]any{"name": "Acme Auto", "payer_id": "ACMEAUTO",
		"type": "auto", "address1": "PO Box 1", "city": "Chicago", "state": "IL", "zip": "60601"}).Map(t)["id"].(string)
	biller := e.NewUserToken("biller@test.local", auth.RoleBiller)

	_, caseID := newPatientCase(t, e, tok, "mva")
	today := time.Now().UTC()
	e.MustDo(200, "PUT", "/api/v1/cases/"+caseID+"/legal", tok, map[string]any{
		"date_of_injury": today.AddDate(0, 0, -3).Format(time.DateOnly), "accident_state": "IL", "follow_up_days": 365,
		"insurer_id": insurer, "insurer_claim_number": "PAYFULL7701"})
	heldVisit(t, e, tok, p, caseID)
	waitHold(t, e, biller, caseID)

	h := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/release", biller, map[string]any{"to": "insurer"}).Map(t)
	rel := h["releases"].([]any)[0].(map[string]any)
	claimIDs := rel["claim_ids"].([]any)
	require.Len(t, claimIDs, 1)
	claimID := claimIDs[0].(string)
	bal := legalMoneyInvariant(t, e, biller, caseID)
	assert.True(t, bal.Get(ledger.ARHeld).IsZero())

	var v struct {
		claims.Claim
	}
	require.Eventually(t, func() bool {
		e.MustDo(200, "GET", "/api/v1/claims/"+claimID, biller, nil).JSON(t, &v)
		return v.Stage == claims.StagePaid
	}, settle, 100*time.Millisecond, "the simulator pays the auto insurer's claim")
	assert.Equal(t, insurer, v.PayerID)
	assert.Equal(t, "125", v.Paid.String())
	require.Eventually(t, func() bool { return getCase(t, e, biller, caseID).Totals.InsurancePaid.String() == "125" },
		settle, 50*time.Millisecond)
	bal = legalMoneyInvariant(t, e, biller, caseID)
	assert.True(t, bal.Net().IsZero(), "paid in full")
	hv := holdOf(t, e, biller, caseID)
	assert.Equal(t, contract.HoldStatusReleased, hv["status"])
	// The hold ended at the release; what it shows as owed is the ledger's now.
	assert.Equal(t, map[string]any{"held": "0", "attorney": "0", "insurer": "0"}, hv["owed"])
}

func TestWorkersCompCaseWaitsForTheCarrierThenDeniedOrAccepted(t *testing.T) {
	e := testenv.New(t, testenv.Options{LegalDayLength: legalDay})
	p := setupPractice(t, e)
	tok := e.AdminToken
	biller := e.NewUserToken("biller@test.local", auth.RoleBiller)
	carrier := e.MustDo(201, "POST", "/api/v1/payers", tok, map[string]any{"name": "State Fund", "payer_id": "STATEFUND",
		"type": "workers_comp", "address1": "PO Box 9", "city": "Chicago", "state": "IL", "zip": "60601"}).Map(t)["id"].(string)
	wcCase := func() string {
		_, caseID := newPatientCase(t, e, tok, "workers_comp")
		e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/coverages", tok, map[string]any{
			"payer_id": carrier, "priority": "primary", "member_id": "WC123456", "effective_from": "2026-01-01"})
		heldVisit(t, e, biller, p, caseID)
		require.Eventually(t, func() bool { return getCase(t, e, biller, caseID).Stage == "ready_to_bill" }, settle,
			50*time.Millisecond)
		return caseID
	}

	// Denied: the balance becomes the patient's.
	denied := wcCase()
	time.Sleep(300 * time.Millisecond)
	d := getCase(t, e, biller, denied)
	assert.Empty(t, d.Encounters[0].ClaimIDs, "nothing is billed before the carrier answers")
	r := e.Do("POST", "/api/v1/cases/"+denied+"/workers-comp-decision", biller, map[string]any{"decision": "deny"})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	assert.Equal(t, []string{"denied_to"}, problemFields(t, r))
	e.MustDo(200, "POST", "/api/v1/cases/"+denied+"/workers-comp-decision", biller, map[string]any{"decision": "deny",
		"denied_to": "patient", "reason": "not work related"})
	require.Eventually(t, func() bool { return getCase(t, e, biller, denied).Totals.PatientBalance.String() == "125" },
		settle, 50*time.Millisecond, "the denied visit becomes the patient's")
	bal := legalMoneyInvariant(t, e, biller, denied)
	assert.Equal(t, "125.00", bal.PatientBalance().StringFixed(2))
	assert.True(t, bal.Get(ledger.ARInsuranceUnbilled).IsZero())
	e.MustDo(409, "POST", "/api/v1/cases/"+denied+"/workers-comp-decision", biller, map[string]any{"decision": "accept",
		"claim_number": "WC-1"})
	d = getCase(t, e, biller, denied)
	assert.Empty(t, d.Encounters[0].ClaimIDs, "a case denied to the patient bills no payer")

	// Accepted: the waiting visit is billed to the carrier.
	accepted := wcCase()
	e.MustDo(200, "POST", "/api/v1/cases/"+accepted+"/workers-comp-decision", biller, map[string]any{"decision": "accept",
		"claim_number": "WC-889"})
	require.Eventually(t, func() bool { return len(getCase(t, e, biller, accepted).Encounters[0].ClaimIDs) == 1 },
		settle, 50*time.Millisecond, "the carrier is billed once it accepts")
	legalMoneyInvariant(t, e, biller, accepted)
	recordHistory(t, e, contract.CaseWorkflowID(denied), "wc_case_denied_to_patient")
}
