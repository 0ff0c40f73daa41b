package api

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/payments"
	"github.com/clinicflow/rcm/workflows/contract"
)

// The public payment page: no sign-in, phone-sized, and it shows only the
// practice, the statement number and the amount due (no names, no diagnoses,
// no internal ids). It wears the staff app's style sheet (web/static/app.css,
// public like every static file) and the practice's accent colour.
var payPage = template.Must(template.New("pay").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Pay {{.Practice}}</title>
<link rel="stylesheet" href="/app/static/app.css">
<link rel="stylesheet" href="/app/static/pay.css">
{{if .Accent}}<style>:root{--accent:{{.Accent}}}</style>{{end}}
</head><body class="pay">
<main class="pay-card">
<h1>{{.Practice}}</h1>
{{if .Statement}}<p class="muted">Statement {{.Statement}}</p>{{end}}
<p class="pay-label">Amount due</p><p class="amount">{{.Amount}}</p>
<form method="post" action="/pay/{{.Token}}">
<div class="field"><label for="card">Card number</label>
<input id="card" name="card" inputmode="numeric" autocomplete="cc-number" required maxlength="23"></div>
<button type="submit" class="primary pay-button">Pay {{.Amount}}</button>
</form>
<details><summary>Something wrong with this bill?</summary>
<form method="post" action="/pay/{{.Token}}/dispute">
<div class="field"><label for="reason">Tell us what is wrong</label>
<textarea id="reason" name="reason" rows="3" required maxlength="1000"></textarea></div>
<button type="submit" class="pay-button secondary">Dispute this balance</button>
</form></details>
</main>
</body></html>`))

func (s *Server) payLink(c *gin.Context) (payments.Link, bool) {
	l, err := payments.Resolve(c.Request.Context(), s.DB, c.Param("token"), time.Now())
	if err != nil {
		page(c, http.StatusNotFound, "Link not valid", "This payment link is not valid: it may have expired or been used. Please call the office.")
		return l, false
	}
	return l, true
}

func (s *Server) showPayPage(c *gin.Context) {
	l, ok := s.payLink(c)
	if !ok {
		return
	}
	b, err := s.Statements.BrandingFor(c.Request.Context(), "")
	if err != nil {
		s.fail(c, err)
		return
	}
	number := ""
	if l.StatementID != nil {
		if row, err := s.Statements.Get(c.Request.Context(), *l.StatementID); err == nil {
			number = row.Number
			// The statement carries its location's branding (per-location
			// overrides): the page looks like the statement it pays.
			if st, err := row.Statement(); err == nil && st.Practice.Name != "" {
				b = st.Practice
			}
		}
	}
	c.Status(http.StatusOK)
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	_ = payPage.Execute(c.Writer, map[string]any{"Practice": b.Name, "Accent": template.CSS(b.Accent),
		"Statement": number, "Amount": "$" + l.Amount.StringFixed(2), "Token": c.Param("token")})
}

// payCheckout opens a checkout with the processor for the link's amount; the
// processor's webhook posts the payment.
func (s *Server) payCheckout(c *gin.Context) {
	l, ok := s.payLink(c)
	if !ok {
		return
	}
	card := c.PostForm("card")
	if len(card) < 12 || len(card) > 23 {
		page(c, http.StatusBadRequest, "Card number needed", "Please go back and enter a card number.")
		return
	}
	if s.Processor == nil {
		page(c, http.StatusServiceUnavailable, "Online payment unavailable", "Please call the office to pay.")
		return
	}
	co, err := payments.OpenCheckout(c.Request.Context(), s.DB, l)
	if err == nil {
		err = s.Processor.StartCheckout(c.Request.Context(), payments.Checkout{ID: co.ID, Amount: co.Amount, Card: card})
	}
	if err != nil {
		s.Logger.Error("checkout failed", "request_id", c.GetString(ctxRequestID), "error", err)
		page(c, http.StatusBadGateway, "Payment not started", "The payment could not be started. Please try again later.")
		return
	}
	page(c, http.StatusAccepted, "Payment processing", "Thank you. Your payment is being processed; the balance updates in a moment.")
}

// payDispute is the dispute link on the payment page.
func (s *Server) payDispute(c *gin.Context) {
	l, ok := s.payLink(c)
	if !ok {
		return
	}
	reason := strings.TrimSpace(c.PostForm("reason"))
	if reason == "" || len(reason) > 1000 {
		page(c, http.StatusBadRequest, "Tell us what is wrong", "Please go back and describe the problem (up to 1000 characters).")
		return
	}
	var view contract.DunningView
	err := s.update(c.Request.Context(), 30*time.Second, contract.DunningWorkflowID(l.PatientID), contract.UpdateDispute,
		derivedID(l.ID, "dispute", "pay-page"), contract.DisputeRequest{Reason: reason, Actor: audit.System}, &view)
	if err != nil {
		s.Logger.Warn("dispute from the payment page not taken", "request_id", c.GetString(ctxRequestID), "error", err)
		page(c, http.StatusConflict, "Please call us", "We could not record the dispute online. Please call the office.")
		return
	}
	page(c, http.StatusOK, "Dispute received", "Thank you. Reminders are paused while our billing team looks into it.")
}

// paymentWebhook applies a processor's event once: a bad or stale signature is
// a 400 and changes nothing; a repeated event or one about a settled checkout
// posts nothing; a success posts the payment through the case workflows.
func (s *Server) paymentWebhook(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10))
	if err != nil {
		malformed(c, "the body could not be read")
		return
	}
	if err := payments.Verify(s.WebhookSecret, body, c.GetHeader(payments.SignatureHeader), time.Now()); err != nil {
		problem(c, http.StatusBadRequest, ProblemMalformed, "Bad signature", err.Error())
		return
	}
	var ev payments.Event
	if err := jsonStrict(body, &ev); err != nil || ev.ID == "" {
		malformed(c, "the body is not a payment event")
		return
	}
	ctx := c.Request.Context()
	if seen, err := payments.Seen(ctx, s.DB, ev.ID); err != nil {
		s.fail(c, err)
		return
	} else if seen {
		c.JSON(http.StatusOK, gin.H{"event": ev.ID, "applied": false, "reason": "already applied"})
		return
	}
	co, err := payments.LoadCheckout(ctx, s.DB, ev.CheckoutID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if ev.Type == payments.EventSucceeded && co.Status == "open" {
		if !ev.Amount.Equal(co.Amount) {
			malformed(c, "the event's amount is not the checkout's")
			return
		}
		if err := s.postCheckout(ctx, co); err != nil {
			s.fail(c, err)
			return
		}
	}
	applied, err := payments.Settle(ctx, s.DB, ev)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"event": ev.ID, "applied": applied})
}

// postCheckout posts a paid checkout as patient payments, oldest case first
// (any excess is a credit on the last case), through each case workflow's
// record-payment update. Each case's payment is keyed by the checkout, so a
// retried webhook posts nothing twice and allocates the same way.
func (s *Server) postCheckout(ctx context.Context, co payments.CheckoutRow) error {
	key := "checkout-" + co.ID
	bal, err := s.Dunning.PatientBalance(ctx, co.PatientID)
	if err != nil {
		return err
	}
	var prior []struct {
		CaseID string
		Amount decimal.Decimal
	}
	if err := s.DB.WithContext(ctx).Raw(`SELECT case_id, amount FROM payments WHERE idempotency_key = ?`, key).Scan(&prior).Error; err != nil {
		return err
	}
	owed := map[string]decimal.Decimal{}
	var order []string
	for _, cb := range bal.Cases {
		owed[cb.CaseID] = cb.Owed
		order = append(order, cb.CaseID)
	}
	for _, p := range prior {
		if _, ok := owed[p.CaseID]; !ok {
			order = append(order, p.CaseID)
		}
		owed[p.CaseID] = owed[p.CaseID].Add(p.Amount)
	}
	if len(order) == 0 {
		var last string
		if err := s.DB.WithContext(ctx).Raw(`SELECT id FROM cases WHERE patient_id = ? ORDER BY opened_at DESC, id LIMIT 1`,
			co.PatientID).Scan(&last).Error; err != nil || last == "" {
			return fmt.Errorf("no case to post checkout %s on: %w", co.ID, err)
		}
		order = []string{last}
	}
	left := co.Amount
	for i, caseID := range order {
		amt := decimal.Min(left, owed[caseID])
		if i == len(order)-1 {
			amt = left
		}
		if !amt.IsPositive() {
			continue
		}
		var r billing.PaymentResult
		err := s.update(ctx, 30*time.Second, contract.CaseWorkflowID(caseID), contract.UpdateRecordPayment, derivedID(caseID, "checkout", co.ID),
			billing.PaymentInput{PaymentID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(key+caseID)).String(), CaseID: caseID, Amount: amt,
				Method: "card", Reference: "online payment " + co.ID[:8], ReceivedAt: time.Now().UTC(), IdempotencyKey: key,
				Actor: audit.System}, &r)
		if err != nil {
			return fmt.Errorf("post checkout %s on case %s: %w", co.ID, caseID, err)
		}
		left = left.Sub(amt)
	}
	return nil
}
