package e2e

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/payments"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/workflows/contract"
)

// planDate is the calendar day n days from today (UTC): payment-plan due dates
// count in dunning days from the day the plan is agreed.
func planDate(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }

func hasStep(d dunningDetail, step string) bool {
	for _, s := range d.Workflow.Sent {
		if s == step {
			return true
		}
	}
	return false
}

func TestPaymentPlansOverRealTemporalAndPostgres(t *testing.T) {
	sink, err := dunning.StartMailSink("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sink.Close() })
	// A dunning day lasts a second: an instalment's 10-day grace is 10 seconds.
	e := testenv.New(t, testenv.Options{Dunning: &testenv.DunningOptions{DayLength: time.Second, SMTPAddr: sink.Addr()}})
	p := setupPractice(t, e)
	biller := e.NewUserToken("biller@test.local", auth.RoleBiller)

	t.Run("a plan whose instalment is never paid resumes the cadence after the grace", func(t *testing.T) {
		patient, caseID := privateBalance(t, e, p, biller)
		waitDunning(t, e, biller, patient, 20*time.Second, func(d dunningDetail) bool { return hasStep(d, "statement") })
		v := e.MustDo(200, "POST", "/api/v1/patients/"+patient+"/payment-plan", biller, map[string]any{
			"instalments": []map[string]any{{"due_date": planDate(2), "amount": "75.00"}, {"due_date": planDate(4), "amount": "50.00"}}}).Map(t)
		assert.Equal(t, contract.DunningPlan, v["status"])
		d := waitDunning(t, e, biller, patient, 30*time.Second, func(d dunningDetail) bool { return hasStep(d, "plan-1-defaulted") })
		assert.Equal(t, contract.DunningActive, d.Workflow.Status, "dunning resumes where it was")
		assert.Nil(t, d.Workflow.Plan)
		assert.True(t, hasStep(d, "plan-1-instalment-1"), "the instalment was reminded before it fell due")
		assert.Equal(t, "125.00", d.Balance.Due.StringFixed(2))
		recordHistory(t, e, contract.DunningWorkflowID(patient), "dunning_plan_defaulted")
		assertLedgerInvariant(t, e, caseID)
	})

	t.Run("a missed instalment is noticed and the plan caught up is rescued", func(t *testing.T) {
		patient, caseID := privateBalance(t, e, p, biller)
		waitDunning(t, e, biller, patient, 20*time.Second, func(d dunningDetail) bool { return hasStep(d, "statement") })
		e.MustDo(200, "POST", "/api/v1/patients/"+patient+"/payment-plan", biller, map[string]any{
			"instalments": []map[string]any{{"due_date": planDate(2), "amount": "75.00"}, {"due_date": planDate(4), "amount": "50.00"}}})
		waitDunning(t, e, biller, patient, 20*time.Second, func(d dunningDetail) bool { return hasStep(d, "plan-1-instalment-1") })

		// Day 2 passes unpaid: the day after, the patient is told, and the
		// plan holds for the grace.
		d := waitDunning(t, e, biller, patient, 20*time.Second, func(d dunningDetail) bool { return hasStep(d, "plan-1-missed-1") })
		assert.Equal(t, contract.DunningPlan, d.Workflow.Status)
		var notice *dunning.Outbox
		for i, m := range d.Messages {
			if m.Step == "plan-1-missed-1" && m.Channel == dunning.ChannelEmail {
				notice = &d.Messages[i]
			}
		}
		require.NotNil(t, notice, "the missed-instalment email is in the outbox")
		assert.Equal(t, dunning.StatusSent, notice.Status)
		assert.Contains(t, notice.Subject, "Missed payment-plan instalment: $75.00")
		assert.NotEmpty(t, mailsTo(sink, "Missed payment-plan instalment"), "it went over SMTP")

		// The patient catches up inside the grace: the plan goes on.
		e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/payments", biller, map[string]any{"amount": "75.00", "method": "card"})
		d = waitDunning(t, e, biller, patient, 20*time.Second, func(d dunningDetail) bool {
			return d.Workflow.Plan != nil && d.Workflow.Plan.Next == 1 && hasStep(d, "plan-1-instalment-2")
		})
		assert.Equal(t, contract.DunningPlan, d.Workflow.Status, "caught up: still on the plan")
		e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/payments", biller, map[string]any{"amount": "50.00", "method": "card"})
		d = waitDunning(t, e, biller, patient, 20*time.Second, func(d dunningDetail) bool { return d.Workflow.Status == contract.DunningClosed })
		assert.Equal(t, "paid", d.Workflow.Outcome)
		assert.True(t, hasStep(d, "thanks"))
		assert.False(t, hasStep(d, "plan-1-defaulted"), "the plan was never defaulted")
		assert.False(t, hasStep(d, "reminder"), "no cadence reminder once on the plan")
		assert.True(t, d.Balance.Due.IsZero())
		var accounts struct {
			Items []dunning.Account `json:"items"`
		}
		e.MustDo(200, "GET", "/api/v1/dunning?status=closed", biller, nil).JSON(t, &accounts)
		var listed bool
		for _, a := range accounts.Items {
			listed = listed || (a.PatientID == patient && a.Step == "thanks")
		}
		assert.True(t, listed, "the billing team's list shows the account closed: %+v", accounts.Items)
		e.MustDo(400, "GET", "/api/v1/dunning?status=lost", biller, nil)
		c := getCase(t, e, biller, caseID)
		assert.True(t, c.InAgreement)
		assertLedgerInvariant(t, e, caseID)
		recordHistory(t, e, contract.DunningWorkflowID(patient), "dunning_plan_rescued")
	})
}

// patientCredit answers the patient's credits.
type patientCredit struct {
	Owed       string `json:"owed"`
	Credit     string `json:"credit"`
	Applicable string `json:"applicable"`
	Refundable string `json:"refundable"`
	Refunds    []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"refunds"`
}

func TestPatientCreditsOverRealTemporalAndPostgres(t *testing.T) {
	e := testenv.New(t, testenv.Options{Dunning: &testenv.DunningOptions{DayLength: time.Hour}})
	p := setupPractice(t, e)
	desk := e.NewUserToken("desk@test.local", auth.RoleFrontDesk)
	biller := e.NewUserToken("biller@test.local", auth.RoleBiller)
	mgr := e.NewUserToken("mgr@test.local", auth.RoleManager)

	// A deposit before the visit is held as credit, and the visit's charge uses it.
	patient, first := newPatientCase(t, e, desk, "private")
	dep := e.MustDo(201, "POST", "/api/v1/cases/"+first+"/prepayments", desk, map[string]any{"amount": "154.00", "method": "card"},
		"Idempotency-Key", "deposit-1").Map(t)
	again := e.MustDo(200, "POST", "/api/v1/cases/"+first+"/prepayments", desk, map[string]any{"amount": "154.00", "method": "card"},
		"Idempotency-Key", "deposit-1").Map(t)
	assert.Equal(t, dep["payment_id"], again["payment_id"], "a retried prepayment posts once")
	c := getCase(t, e, desk, first)
	assert.Equal(t, "154", c.Totals.PatientCredit.String())
	assert.True(t, c.InAgreement)
	enc := checkIn(t, e, desk, p, first)
	e.MustDo(201, "POST", "/api/v1/cases/"+first+"/encounters/"+enc+"/charges", biller, map[string]any{
		"procedure_code": "99213", "diagnoses": []string{"E11.9"}})
	e.MustDo(200, "POST", "/api/v1/cases/"+first+"/encounters/"+enc+"/complete-charges", biller, nil)
	c = getCase(t, e, desk, first)
	assert.Equal(t, "29", c.Totals.PatientCredit.String(), "154.00 prepaid less the 125.00 visit")
	assert.True(t, c.InAgreement, "%+v vs %+v", c.Totals, c.Ledger)

	// A second case owes 125.00: the statement nets the 29.00 credit.
	second := e.MustDo(201, "POST", "/api/v1/cases", desk, map[string]any{"patient_id": patient, "kind": "private"}).Map(t)["id"].(string)
	enc2 := checkIn(t, e, desk, p, second)
	e.MustDo(201, "POST", "/api/v1/cases/"+second+"/encounters/"+enc2+"/charges", biller, map[string]any{
		"procedure_code": "99213", "diagnoses": []string{"E11.9"}})
	// Money taken on a case that owes is a payment, not a prepayment.
	e.MustDo(409, "POST", "/api/v1/cases/"+second+"/prepayments", desk, map[string]any{"amount": "1.00", "method": "cash"})
	st := e.MustDo(201, "POST", "/api/v1/patients/"+patient+"/statements", biller, map[string]any{}, "Idempotency-Key", "st-1").Map(t)
	assert.Equal(t, "96", st["amount_due"])
	html := e.MustDo(200, "GET", "/api/v1/statements/"+st["id"].(string)+".html", biller, nil)
	assert.Contains(t, string(html.Body), `id="credits">-$29.00<`)
	assert.Contains(t, string(html.Body), `id="amount-due">$96.00<`)

	// A refund is refused while the patient owes on another case.
	e.MustDo(400, "POST", "/api/v1/payments/refunds", biller, map[string]any{"case_id": first, "amount": "29.00", "method": "check", "reason": "overpaid"})

	// The biller applies the credit across cases: one journal, once.
	var pc patientCredit
	e.MustDo(200, "GET", "/api/v1/patients/"+patient+"/credits", biller, nil).JSON(t, &pc)
	assert.Equal(t, "29", pc.Applicable)
	e.MustDo(403, "POST", "/api/v1/patients/"+patient+"/credits/apply", desk, map[string]any{})
	a := e.MustDo(201, "POST", "/api/v1/patients/"+patient+"/credits/apply", biller, map[string]any{}, "Idempotency-Key", "apply-1").Map(t)
	assert.Equal(t, "29", a["amount"])
	b := e.MustDo(200, "POST", "/api/v1/patients/"+patient+"/credits/apply", biller, map[string]any{}, "Idempotency-Key", "apply-1").Map(t)
	assert.Equal(t, a["id"], b["id"])
	var n int64
	require.NoError(t, e.DB.Table("journals").Where("kind = 'credit_applied'").Count(&n).Error)
	assert.EqualValues(t, 1, n)
	for _, id := range []string{first, second} {
		c := getCase(t, e, biller, id)
		assert.True(t, c.InAgreement, "case workflow totals follow the move: %+v vs %+v", c.Totals, c.Ledger)
		assertLedgerInvariant(t, e, id)
	}
	assert.Equal(t, "96", getCase(t, e, biller, second).Totals.PatientBalance.String())
	assert.Equal(t, "0", getCase(t, e, biller, first).Totals.PatientCredit.String())

	// The patient pays 100.00 against the 96.00: 4.00 over, refunded by check
	// with a manager's approval.
	e.MustDo(201, "POST", "/api/v1/cases/"+second+"/payments", desk, map[string]any{"amount": "100.00", "method": "cash"})
	r := e.MustDo(201, "POST", "/api/v1/payments/refunds", biller, map[string]any{"case_id": second, "amount": "4.00", "method": "check",
		"reason": "overpaid at the desk"}, "Idempotency-Key", "refund-1").Map(t)
	assert.Equal(t, "requested", r["status"])
	var approvals struct {
		Items []struct {
			ID   string `json:"id"`
			Kind string `json:"kind"`
		} `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/tasks?queue=approvals", mgr, nil).JSON(t, &approvals)
	require.Len(t, approvals.Items, 1)
	assert.Equal(t, "refund_approval", approvals.Items[0].Kind)
	path := "/api/v1/payments/refunds/" + r["id"].(string) + "/decision"
	e.MustDo(403, "POST", path, biller, map[string]any{"approve": true})
	e.MustDo(400, "POST", path, mgr, map[string]any{})
	for range 2 { // a retried approval pays once
		got := e.MustDo(200, "POST", path, mgr, map[string]any{"approve": true, "reference": "check 1001"}).Map(t)
		assert.Equal(t, "refunded", got["status"])
	}
	require.NoError(t, e.DB.Table("journals").Where("kind = 'refund_paid'").Count(&n).Error)
	assert.EqualValues(t, 1, n)
	c = getCase(t, e, biller, second)
	assert.True(t, c.InAgreement, "%+v vs %+v", c.Totals, c.Ledger)
	assert.True(t, c.Totals.PatientCredit.IsZero())
	assertLedgerInvariant(t, e, second)
	e.MustDo(200, "GET", "/api/v1/patients/"+patient+"/credits", biller, nil).JSON(t, &pc)
	require.Len(t, pc.Refunds, 1)
	assert.Equal(t, "refunded", pc.Refunds[0].Status)
	e.MustDo(200, "GET", "/api/v1/tasks?queue=approvals", mgr, nil).JSON(t, &approvals)
	assert.Empty(t, approvals.Items, "the approval task closed with the decision")
	b2, err := ledger.CaseBalances(e.DB, second)
	require.NoError(t, err)
	assert.True(t, b2.Get(ledger.RefundsPayable).IsZero())
}

func TestAgencyRecoveryAndBadDebtOverRealTemporalAndPostgres(t *testing.T) {
	e := testenv.New(t, testenv.Options{Dunning: &testenv.DunningOptions{DayLength: time.Hour}})
	p := setupPractice(t, e)
	biller := e.NewUserToken("biller@test.local", auth.RoleBiller)
	mgr := e.NewUserToken("mgr@test.local", auth.RoleManager)
	patient, first := privateBalance(t, e, p, biller)
	second := e.MustDo(201, "POST", "/api/v1/cases", biller, map[string]any{"patient_id": patient, "kind": "private"}).Map(t)["id"].(string)
	enc := checkIn(t, e, biller, p, second)
	e.MustDo(201, "POST", "/api/v1/cases/"+second+"/encounters/"+enc+"/charges", biller, map[string]any{
		"procedure_code": "99213", "diagnoses": []string{"E11.9"}})
	// Day 90: the hand-off the dunning workflow's activity makes.
	_, err := e.Dunning.HandOff(t.Context(), patient, patient+"/test", time.Now())
	require.NoError(t, err)

	// The agency recovered 150.00 and kept 45.00 (30%).
	body := map[string]any{"patient_id": patient, "amount": "150.00", "fee": "45.00", "agency_reference": "AG-2026-11-1"}
	e.MustDo(400, "POST", "/api/v1/collections/recoveries", biller, map[string]any{"patient_id": patient, "amount": "250.01"})
	r := e.MustDo(201, "POST", "/api/v1/collections/recoveries", biller, body, "Idempotency-Key", "rec-1").Map(t)
	assert.EqualValues(t, 2, r["cases"])
	// A retry is a replay, answered as a payment's is: 200, Idempotent-Replayed,
	// the same payments.
	again := e.MustDo(200, "POST", "/api/v1/collections/recoveries", biller, body, "Idempotency-Key", "rec-1")
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	ra := again.Map(t)
	assert.EqualValues(t, 2, ra["cases"])
	ids := func(m map[string]any) []any {
		var out []any
		for _, p := range m["payments"].([]any) {
			out = append(out, p.(map[string]any)["payment_id"])
		}
		return out
	}
	assert.Equal(t, ids(r), ids(ra))
	// The same key with another amount is a conflict, not a second recovery.
	other := map[string]any{"patient_id": patient, "amount": "140.00", "fee": "45.00", "agency_reference": "AG-2026-11-1"}
	e.MustDo(409, "POST", "/api/v1/collections/recoveries", biller, other, "Idempotency-Key", "rec-1")
	var recs struct {
		Items []dunning.Recovery `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/collections/recoveries", biller, nil).JSON(t, &recs)
	require.Len(t, recs.Items, 2, "posted once per case")
	fee, net := dec("0"), dec("0")
	for _, x := range recs.Items {
		fee, net = fee.Add(x.Fee), net.Add(x.Net)
	}
	assert.Equal(t, "45.00", fee.StringFixed(2))
	assert.Equal(t, "105.00", net.StringFixed(2))

	// The agency gives up on the remaining 100.00: bad debt, by a manager.
	e.MustDo(403, "POST", "/api/v1/patients/"+patient+"/collections/bad-debt", biller, map[string]any{"reason": "agency closed the account"})
	bd := e.MustDo(200, "POST", "/api/v1/patients/"+patient+"/collections/bad-debt", mgr, map[string]any{"reason": "agency closed the account"}).Map(t)
	assert.Equal(t, "100", bd["written_off"])
	e.MustDo(409, "POST", "/api/v1/patients/"+patient+"/collections/bad-debt", mgr, map[string]any{"reason": "again"})
	for _, id := range []string{first, second} {
		b, err := ledger.CaseBalances(e.DB, id)
		require.NoError(t, err)
		assert.True(t, b.Get(ledger.ARCollections).IsZero(), "nothing left at the agency")
		c := getCase(t, e, biller, id)
		assert.True(t, c.InAgreement, "%+v vs %+v", c.Totals, c.Ledger)
		assert.True(t, c.Totals.PatientBalance.IsZero())
		assertLedgerInvariant(t, e, id)
	}
	var commission, badDebt string
	require.NoError(t, e.DB.Raw(`SELECT coalesce(sum(amount), 0)::text FROM journal_lines WHERE account_code = '6100'`).Scan(&commission).Error)
	require.NoError(t, e.DB.Raw(`SELECT coalesce(sum(amount), 0)::text FROM journal_lines WHERE account_code = '6200'`).Scan(&badDebt).Error)
	assert.Equal(t, "45.00", commission)
	assert.Equal(t, "100.00", badDebt)
}

func TestCardRefundThroughTheDevelopmentProcessor(t *testing.T) {
	e := testenv.New(t, testenv.Options{Dunning: &testenv.DunningOptions{DayLength: time.Hour}})
	p := setupPractice(t, e)
	biller := e.NewUserToken("biller@test.local", auth.RoleBiller)
	mgr := e.NewUserToken("mgr@test.local", auth.RoleManager)
	patient, caseID := privateBalance(t, e, p, biller)

	// The patient pays the 125.00 online (a link as the statement's) ...
	token, _, err := payments.CreateLink(e.DB, patient, "", dec("125.00"), time.Now(), 0)
	require.NoError(t, err)
	resp, err := http.PostForm(e.HTTP.URL+"/pay/"+token, url.Values{"card": {"4242 4242 4242 4242"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 202, resp.StatusCode)
	require.Eventually(t, func() bool {
		var n int64
		e.DB.Table("payments").Where("case_id = ? AND method = 'card'", caseID).Count(&n)
		return n == 1
	}, 20*time.Second, 100*time.Millisecond)
	// ... and the desk, not seeing it, takes 25.00 more: a credit.
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/payments", biller, map[string]any{"amount": "25.00", "method": "cash"})

	r := e.MustDo(201, "POST", "/api/v1/payments/refunds", biller, map[string]any{"case_id": caseID, "amount": "25.00",
		"method": "card", "reason": "paid twice"}, "Idempotency-Key", "card-refund").Map(t)
	assert.NotEmpty(t, r["checkout_id"], "back to the card of the online payment")
	path := "/api/v1/payments/refunds/" + r["id"].(string) + "/decision"
	first := e.MustDo(200, "POST", path, mgr, map[string]any{"approve": true}).Map(t)
	assert.Equal(t, "refunded", first["status"])
	assert.Contains(t, first["processor_ref"], "re_")
	again := e.MustDo(200, "POST", path, mgr, map[string]any{"approve": true}).Map(t)
	assert.Equal(t, first["processor_ref"], again["processor_ref"], "refunded once")
	e.MustDo(409, "POST", path, mgr, map[string]any{"approve": false})
	var n int64
	require.NoError(t, e.DB.Table("journals").Where("kind = 'refund_paid'").Count(&n).Error)
	assert.EqualValues(t, 1, n)
	c := getCase(t, e, biller, caseID)
	assert.True(t, c.InAgreement, "%+v vs %+v", c.Totals, c.Ledger)
	assert.True(t, c.Totals.PatientCredit.IsZero())
	assertLedgerInvariant(t, e, caseID)
}
