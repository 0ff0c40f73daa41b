package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
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

type dunningDetail struct {
	Workflow *contract.DunningView `json:"workflow"`
	Balance  dunning.Balance       `json:"balance"`
	Messages []dunning.Outbox      `json:"messages"`
}

// waitDunning polls the patient's dunning until ok or the deadline.
func waitDunning(t *testing.T, e *testenv.Env, tok, patient string, within time.Duration, ok func(dunningDetail) bool) dunningDetail {
	t.Helper()
	var d dunningDetail
	deadline := time.Now().Add(within)
	for {
		d = dunningDetail{} // a field absent from this answer must not keep the last one's value
		e.MustDo(200, "GET", "/api/v1/patients/"+patient+"/dunning", tok, nil).JSON(t, &d)
		if d.Workflow != nil && ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("dunning did not get there in %s: %+v", within, d.Workflow)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// privateBalance checks a new patient in, charges one office visit (125.00)
// and completes the visit: the patient's balance becomes due.
func privateBalance(t *testing.T, e *testenv.Env, p practice, tok string) (patient, caseID string) {
	patient, caseID = newPatientCase(t, e, tok, "private")
	enc := checkIn(t, e, tok, p, caseID)
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/encounters/"+enc+"/charges", tok, map[string]any{
		"procedure_code": "99213", "diagnoses": []string{"E11.9"}})
	e.MustDo(200, "POST", "/api/v1/cases/"+caseID+"/encounters/"+enc+"/complete-charges", tok, nil)
	return patient, caseID
}

func mailsTo(sink *dunning.MailSink, subject string) []dunning.Sent {
	var out []dunning.Sent
	for _, m := range sink.Sent() {
		if strings.Contains(m.Subject, subject) {
			out = append(out, m)
		}
	}
	return out
}

func webhook(t *testing.T, e *testenv.Env, body []byte, sig string) (int, map[string]any) {
	req, err := http.NewRequest(http.MethodPost, e.HTTP.URL+"/webhooks/payments", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set(payments.SignatureHeader, sig)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestDunningOverRealTemporalPostgresAndSMTP(t *testing.T) {
	sink, err := dunning.StartMailSink("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sink.Close() })
	var crashes atomic.Int32
	// A dunning day lasts 400ms: day 90 comes after 36 seconds.
	e := testenv.New(t, testenv.Options{Dunning: &testenv.DunningOptions{DayLength: 400 * time.Millisecond, SMTPAddr: sink.Addr(),
		// The first message ever sent "kills the worker" after leaving and
		// before being recorded: the retry must not send it again.
		AfterSend: func(dunning.OutMessage) {
			if crashes.Add(1) == 1 {
				panic("worker killed between sending and recording")
			}
		}}})
	p := setupPractice(t, e)
	biller := e.NewUserToken("biller@test.local", auth.RoleBiller)

	// One balance runs the whole cadence to the collections file.
	full, fullCase := privateBalance(t, e, p, biller)
	// Another is rescued by a dispute, then a payment-link payment.
	payer, payerCase := privateBalance(t, e, p, biller)

	t.Run("a dispute pauses dunning and its task resumes it", func(t *testing.T) {
		waitDunning(t, e, biller, payer, 20*time.Second, func(d dunningDetail) bool { return len(d.Workflow.Sent) >= 1 })
		v := e.MustDo(200, "POST", "/api/v1/patients/"+payer+"/dispute", biller, map[string]any{"reason": "I paid at the desk"}).Map(t)
		assert.Equal(t, contract.DunningDisputed, v["status"])
		var list struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		e.MustDo(200, "GET", "/api/v1/tasks?queue=disputes", biller, nil).JSON(t, &list)
		require.Len(t, list.Items, 1)
		e.MustDo(200, "POST", "/api/v1/tasks/"+list.Items[0].ID+"/complete", biller, map[string]any{
			"outcome": map[string]any{"outcome": "resume", "note": "checked: not paid"}})
		d := waitDunning(t, e, biller, payer, 10*time.Second, func(d dunningDetail) bool { return d.Workflow.Status == contract.DunningActive })
		assert.Nil(t, d.Workflow.Dispute)
	})

	t.Run("a payment link pays through the development processor once", func(t *testing.T) {
		var link string
		re := regexp.MustCompile(`/pay/([A-Za-z0-9_-]{20,})`)
		for _, m := range sink.Sent() {
			if strings.Contains(m.To, "jane@example.com") {
				if mm := re.FindStringSubmatch(m.Body); mm != nil {
					link = mm[1]
				}
			}
		}
		require.NotEmpty(t, link, "a statement email with a payment link")
		// Links of both patients went to the same address; find this patient's.
		var owner string
		require.NoError(t, e.DB.Table("payment_links").Where("token_sha256 = ?", payments.HashToken(link)).Pluck("patient_id", &owner).Error)
		if owner != payer {
			for _, m := range sink.Sent() {
				for _, mm := range re.FindAllStringSubmatch(m.Body, -1) {
					var o string
					require.NoError(t, e.DB.Table("payment_links").Where("token_sha256 = ?", payments.HashToken(mm[1])).Pluck("patient_id", &o).Error)
					if o == payer {
						link = mm[1]
					}
				}
			}
		}
		resp, err := http.Get(e.HTTP.URL + "/pay/" + link)
		require.NoError(t, err)
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		assert.Contains(t, string(page), "$125.00")
		assert.Contains(t, string(page), `name="viewport"`)
		assert.Contains(t, string(page), `href="/app/static/pay.css"`, "the payment page wears the staff app's style")
		css, err := http.Get(e.HTTP.URL + "/app/static/pay.css")
		require.NoError(t, err)
		css.Body.Close()
		assert.Equal(t, 200, css.StatusCode, "the style sheets need no sign-in")
		for _, phi := range []string{"Jane", "Roe", "E11.9", payer, payerCase} {
			assert.NotContains(t, string(page), phi, "the payment page shows no PHI or internal ids")
		}
		resp, err = http.Get(e.HTTP.URL + "/pay/not-a-real-token-at-all-000000")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 404, resp.StatusCode)

		// A declined card posts nothing.
		resp, err = http.PostForm(e.HTTP.URL+"/pay/"+link, url.Values{"card": {payments.DeclineCard}})
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 202, resp.StatusCode)
		require.Eventually(t, func() bool {
			var n int64
			e.DB.Table("payment_checkouts").Where("status = 'declined'").Count(&n)
			return n == 1
		}, 10*time.Second, 100*time.Millisecond)
		var n int64
		require.NoError(t, e.DB.Table("payments").Where("case_id = ?", payerCase).Count(&n).Error)
		assert.Zero(t, n)

		// A good card: the webhook posts the payment; dunning thanks and ends.
		resp, err = http.PostForm(e.HTTP.URL+"/pay/"+link, url.Values{"card": {"4242 4242 4242 4242"}})
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 202, resp.StatusCode)
		d := waitDunning(t, e, biller, payer, 20*time.Second, func(d dunningDetail) bool { return d.Workflow.Status == contract.DunningClosed })
		assert.Equal(t, "paid", d.Workflow.Outcome)
		assert.Contains(t, d.Workflow.Sent, "thanks")
		assert.True(t, d.Balance.Due.IsZero())
		c := getCase(t, e, biller, payerCase)
		assert.True(t, c.InAgreement)
		assertLedgerInvariant(t, e, payerCase)

		// The used link is refused.
		resp, err = http.Get(e.HTTP.URL + "/pay/" + link)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 404, resp.StatusCode)

		// A forged, a stale and a replayed webhook post nothing.
		var co struct{ ID string }
		require.NoError(t, e.DB.Raw(`SELECT id FROM payment_checkouts WHERE status = 'paid'`).Scan(&co).Error)
		var evID string
		require.NoError(t, e.DB.Raw(`SELECT event_id FROM payment_events WHERE checkout_id = ? AND type = ?`, co.ID, payments.EventSucceeded).Scan(&evID).Error)
		body := []byte(fmt.Sprintf(`{"id":%q,"type":"payment.succeeded","checkout_id":%q,"amount":"125.00","created":1}`, evID, co.ID))
		status, _ := webhook(t, e, body, payments.Sign([]byte("not the secret"), body, time.Now()))
		assert.Equal(t, 400, status, "forged")
		status, _ = webhook(t, e, body, payments.Sign(e.WebhookSecret, body, time.Now().Add(-10*time.Minute)))
		assert.Equal(t, 400, status, "stale")
		status, m := webhook(t, e, body, payments.Sign(e.WebhookSecret, body, time.Now()))
		assert.Equal(t, 200, status)
		assert.Equal(t, false, m["applied"], "replayed")
		other := []byte(fmt.Sprintf(`{"id":"evt_other","type":"payment.succeeded","checkout_id":%q,"amount":"125.00","created":1}`, co.ID))
		status, _ = webhook(t, e, other, payments.Sign(e.WebhookSecret, other, time.Now()))
		assert.Equal(t, 200, status, "a second event for a settled checkout")
		require.NoError(t, e.DB.Table("payments").Where("case_id = ?", payerCase).Count(&n).Error)
		assert.EqualValues(t, 1, n, "the payment posted once")
		assertLedgerInvariant(t, e, payerCase)
	})

	t.Run("the full cadence ends in the collections file", func(t *testing.T) {
		d := waitDunning(t, e, biller, full, 60*time.Second, func(d dunningDetail) bool { return d.Workflow.Status == contract.DunningCollections })
		assert.Equal(t, []string{"statement", "reminder", "second-notice", "final-notice", "collections"}, d.Workflow.Sent)
		var exports struct {
			Items []dunning.Export `json:"items"`
		}
		e.MustDo(200, "GET", "/api/v1/collections/exports", biller, nil).JSON(t, &exports)
		require.Len(t, exports.Items, 1)
		assert.Equal(t, "125.00", exports.Items[0].Total.StringFixed(2))
		csv := e.MustDo(200, "GET", "/api/v1/collections/exports/"+exports.Items[0].ID, biller, nil)
		assert.Contains(t, string(csv.Body), "account,guarantor_name")
		assert.Contains(t, string(csv.Body), ",125.00,")

		b, err := ledger.CaseBalances(e.DB, fullCase)
		require.NoError(t, err)
		assert.True(t, b.Get(ledger.ARPatient).IsZero())
		assert.Equal(t, "125.00", b.Get(ledger.ARCollections).StringFixed(2))
		c := getCase(t, e, biller, fullCase)
		assert.True(t, c.InAgreement, "%+v vs %+v", c.Totals, c.Ledger)
		assertLedgerInvariant(t, e, fullCase)

		// Each step's email went once, including the one whose worker "died"
		// between sending and recording.
		for _, subject := range []string{"Your statement", "Reminder:", "Final notice"} {
			want := 1
			if subject == "Reminder:" {
				want = 2 // day 21 and day 45
			}
			var mine int
			for _, m := range mailsTo(sink, subject) {
				var o string
				if mm := regexp.MustCompile(`/pay/([A-Za-z0-9_-]{20,})`).FindStringSubmatch(m.Body); mm != nil {
					require.NoError(t, e.DB.Table("payment_links").Where("token_sha256 = ?", payments.HashToken(mm[1])).Pluck("patient_id", &o).Error)
				}
				if o == full {
					mine++
				}
			}
			assert.Equal(t, want, mine, "%s emails", subject)
		}
		assert.GreaterOrEqual(t, crashes.Load(), int32(2), "the crash hook ran and the workflow went on")
		var unconfirmed int64
		require.NoError(t, e.DB.Table("dunning_messages").Where("status = ?", dunning.StatusUnconfirmed).Count(&unconfirmed).Error)
		assert.EqualValues(t, 1, unconfirmed, "the message of the killed worker is marked, not resent")

		// Recall brings the balance back to patient A/R.
		e.MustDo(403, "POST", "/api/v1/patients/"+full+"/collections/recall", biller, nil)
		mgr := e.NewUserToken("mgr@test.local", auth.RoleManager)
		r := e.MustDo(200, "POST", "/api/v1/patients/"+full+"/collections/recall", mgr, nil).Map(t)
		assert.Equal(t, "125", r["recalled"])
		assertLedgerInvariant(t, e, fullCase)
	})

	t.Run("statements render and carry the ledger's totals", func(t *testing.T) {
		var list struct {
			Items []struct {
				ID        string `json:"id"`
				AmountDue string `json:"amount_due"`
			} `json:"items"`
		}
		e.MustDo(200, "GET", "/api/v1/patients/"+full+"/statements", biller, nil).JSON(t, &list)
		require.NotEmpty(t, list.Items)
		last := list.Items[len(list.Items)-1] // the day-0 statement
		assert.Equal(t, "125", last.AmountDue)
		pdf := e.MustDo(200, "GET", "/api/v1/statements/"+last.ID+".pdf", biller, nil)
		assert.Equal(t, "application/pdf", pdf.Header.Get("Content-Type"))
		assert.True(t, bytes.HasPrefix(pdf.Body, []byte("%PDF-")))
		assert.Contains(t, string(pdf.Body), "($125.00)Tj")
		html := e.MustDo(200, "GET", "/api/v1/statements/"+last.ID+".html", biller, nil)
		assert.Contains(t, string(html.Body), `id="amount-due">$125.00<`)
		assert.NotContains(t, string(html.Body), "E11.9")
		e.MustDo(404, "GET", "/api/v1/statements/00000000-0000-0000-0000-000000000000", biller, nil)
	})
}
