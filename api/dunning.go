package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"

	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/payments"
	"github.com/clinicflow/rcm/internal/statements"
	"github.com/clinicflow/rcm/workflows/contract"
)

// dunningJSON is a patient's dunning: the workflow's live state (absent when
// none ever ran), the balance and the messages sent.
type dunningJSON struct {
	Workflow   *contract.DunningView `json:"workflow"`
	WorkflowID string                `json:"workflow_id"`
	Balance    dunning.Balance       `json:"balance"`
	Contact    dunning.Contact       `json:"contact"`
	Messages   []dunning.Outbox      `json:"messages"`
}

func (s *Server) getDunning(c *gin.Context) {
	id, ok := s.patientExists(c)
	if !ok || !onlyQuery(c) {
		return
	}
	ctx := c.Request.Context()
	out := dunningJSON{WorkflowID: contract.DunningWorkflowID(id)}
	v, err := s.Temporal.QueryWorkflow(ctx, out.WorkflowID, "", contract.QueryDunningState)
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
	case err != nil:
		s.fail(c, err)
		return
	default:
		var view contract.DunningView
		if err := v.Get(&view); err != nil {
			s.fail(c, err)
			return
		}
		out.Workflow = &view
	}
	if out.Balance, err = s.Dunning.PatientBalance(ctx, id); err != nil {
		s.fail(c, err)
		return
	}
	if out.Contact, err = s.Dunning.Contact(ctx, id); err != nil {
		s.fail(c, err)
		return
	}
	if out.Messages, err = s.Dunning.Messages(ctx, id, 200); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

type contactPrefsRequest struct {
	EmailOK  *bool  `json:"email_ok"`
	SMSOK    *bool  `json:"sms_ok"`
	TimeZone string `json:"time_zone"`
}

func (s *Server) setContactPrefs(c *gin.Context) {
	id, ok := s.patientExists(c)
	if !ok {
		return
	}
	var in contactPrefsRequest
	if !bind(c, &in) {
		return
	}
	out, err := s.Dunning.SetPrefs(c.Request.Context(), id, dunning.Prefs(in), actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

type instalmentRequest struct {
	DueDate string `json:"due_date"`
	Amount  Amount `json:"amount"`
}

type paymentPlanRequest struct {
	Instalments []instalmentRequest `json:"instalments"`
}

// dunningUpdate sends an update to the patient's dunning workflow; 409 when
// there is none running.
func (s *Server) dunningUpdate(c *gin.Context, patientID, name string, arg any) {
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	var view contract.DunningView
	err := s.update(c.Request.Context(), 30*time.Second, contract.DunningWorkflowID(patientID), name,
		derivedID(patientID, name, key), arg, &view)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		conflictProblem(c, "no dunning is running for this patient (nothing is owed, or it ended)")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, view)
}

func (s *Server) paymentPlan(c *gin.Context) {
	id, ok := s.patientExists(c)
	if !ok {
		return
	}
	var in paymentPlanRequest
	if !bind(c, &in) {
		return
	}
	req := contract.PaymentPlanRequest{Actor: actor(c)}
	for _, i := range in.Instalments {
		req.Instalments = append(req.Instalments, dunning.Instalment{DueDate: i.DueDate, Amount: i.Amount.Decimal})
	}
	s.dunningUpdate(c, id, contract.UpdatePaymentPlan, req)
}

type disputeRequest struct {
	Reason string `json:"reason" maxlen:"2000"`
}

func (s *Server) disputeBalance(c *gin.Context) {
	id, ok := s.patientExists(c)
	if !ok {
		return
	}
	var in disputeRequest
	if !bind(c, &in) {
		return
	}
	s.dunningUpdate(c, id, contract.UpdateDispute, contract.DisputeRequest{Reason: in.Reason, Actor: actor(c)})
}

func (s *Server) recallCollections(c *gin.Context) {
	id, ok := s.patientExists(c)
	if !ok {
		return
	}
	amt, err := s.Dunning.Recall(c.Request.Context(), id, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"recalled": amt})
}

func (s *Server) listCollectionExports(c *gin.Context) {
	listed(c, s, s.Dunning.Exports, func(e dunning.Export) dunning.Export { return e })
}

// getCollectionExport serves the agency file as CSV (its layout is
// dunning.CollectionsHeader).
func (s *Server) getCollectionExport(c *gin.Context) {
	e, err := s.Dunning.ExportFile(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+e.FileName+`"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", []byte(e.CSV))
}

// smsInbound is the text-message provider's inbound webhook: a reply of STOP
// (or STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) opts the number out. It is signed
// like the payment webhook.
func (s *Server) smsInbound(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10))
	if err != nil {
		malformed(c, "the body could not be read")
		return
	}
	if err := payments.Verify(s.WebhookSecret, body, c.GetHeader(payments.SignatureHeader), time.Now()); err != nil {
		problem(c, http.StatusBadRequest, ProblemMalformed, "Bad signature", err.Error())
		return
	}
	var in struct {
		From string `json:"from"`
		Body string `json:"body"`
	}
	if err := jsonStrict(body, &in); err != nil {
		malformed(c, "the body must be {\"from\": ..., \"body\": ...}")
		return
	}
	if !dunning.IsStop(in.Body) {
		c.JSON(http.StatusOK, gin.H{"opted_out": 0})
		return
	}
	n, err := s.Dunning.OptOutSMS(c.Request.Context(), in.From)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"opted_out": n})
}

var simplePage = template.Must(template.New("p").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Title}}</title>
<link rel="stylesheet" href="/app/static/app.css"><link rel="stylesheet" href="/app/static/pay.css"></head>
<body class="pay"><main class="pay-card"><h1>{{.Title}}</h1><p>{{.Text}}</p></main></body></html>`))

// page answers a browser (Accept: text/html) with a small HTML page and any
// other client, for an error, with the usual problem+json.
func page(c *gin.Context, status int, title, text string) {
	if status >= 400 && !strings.Contains(c.GetHeader("Accept"), "text/html") {
		typ := map[int]string{http.StatusBadRequest: ProblemMalformed, http.StatusNotFound: ProblemNotFound,
			http.StatusConflict: ProblemConflict}[status]
		if typ == "" {
			typ = ProblemUnavailable
		}
		problem(c, status, typ, title, text)
		return
	}
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	_ = simplePage.Execute(c.Writer, map[string]string{"Title": title, "Text": text})
}

// unsubscribe is the link in every dunning email: it turns email off.
func (s *Server) unsubscribe(c *gin.Context) {
	if err := s.Dunning.Unsubscribe(c.Request.Context(), c.Param("token")); err != nil {
		page(c, http.StatusNotFound, "Link not valid", "This unsubscribe link is not valid.")
		return
	}
	page(c, http.StatusOK, "Unsubscribed", "You will no longer receive billing emails. Statements will reach you by text message or post.")
}

var devMessagesPage = template.Must(template.New("dev").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Development mail sink</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top}pre{white-space:pre-wrap;margin:0}</style></head>
<body><h1>Messages sent (development sink)</h1>
<p>Email received by the development SMTP sink and text messages given to the development SMS provider, newest first.</p>
<table><tr><th>When</th><th>Channel</th><th>To</th><th>Subject</th><th>Message</th></tr>
{{range .}}<tr><td>{{.At.Format "2006-01-02 15:04:05"}}</td><td>{{.Channel}}</td><td>{{.To}}</td><td>{{.Subject}}</td><td><pre>{{.Body}}</pre></td></tr>
{{else}}<tr><td colspan="5">Nothing sent yet.</td></tr>{{end}}</table></body></html>`))

// devMessages is the development sink page (rcm dev): what the dunning
// workflows sent, as the patient would have received it.
func (s *Server) devMessages(c *gin.Context) {
	if s.DevSent == nil {
		notFound(c, "the development mail sink (it runs with rcm dev only)")
		return
	}
	sent := s.DevSent()
	for i, j := 0, len(sent)-1; i < j; i, j = i+1, j-1 {
		sent[i], sent[j] = sent[j], sent[i]
	}
	if c.Query("format") == "json" {
		c.JSON(http.StatusOK, gin.H{"items": sent})
		return
	}
	c.Status(http.StatusOK)
	c.Header("Content-Type", "text/html; charset=utf-8")
	_ = devMessagesPage.Execute(c.Writer, sent)
}

// jsonStrict decodes a whole body into v, refusing unknown fields.
func jsonStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// withPatientBilling gives a new server its statement and dunning services
// (the caller replaces them with configured ones).
func (s *Server) withPatientBilling() *Server {
	s.Statements = &statements.Service{DB: s.DB}
	s.Dunning = &dunning.Service{DB: s.DB, Config: dunning.DefaultConfig(), Statements: s.Statements}
	return s
}
