// Package testenv starts the real system for integration tests: a fresh
// PostgreSQL database with migrations applied, a real in-process Temporal server
// (temporaltest) with the product's workflows and activities registered against
// that database, and the HTTP API in front of them. It links the Temporal server,
// so only the integration-test package imports it.
package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/api"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/claims"
	"github.com/clinicflow/rcm/internal/clearinghouse"
	"github.com/clinicflow/rcm/internal/codec"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/metrics"
	"github.com/clinicflow/rcm/internal/payments"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/statements"
	"github.com/clinicflow/rcm/internal/tclient"
	"github.com/clinicflow/rcm/internal/testkey"
	"github.com/clinicflow/rcm/internal/tracing"
	"github.com/clinicflow/rcm/worker"
	"github.com/clinicflow/rcm/workflows/contract"
)

// Env is a running system under test.
type Env struct {
	T             testing.TB
	DB            *gorm.DB
	Temporal      client.Client
	Namespace     string
	DataConverter converter.DataConverter
	HTTP          *httptest.Server
	// AdminToken authenticates as an admin user.
	AdminToken string
	// Clearinghouse is the simulator the worker submits claims to.
	Clearinghouse *clearinghouse.Simulator
	// Dunning is patient billing (Options.Dunning), and WebhookSecret signs
	// payment and SMS webhooks.
	Dunning       *dunning.Service
	WebhookSecret []byte

	startWorker   func()
	restartWorker func()
}

// Options tune the environment.
type Options struct {
	// MissingChargesAfter is the charge-capture window given to new cases.
	MissingChargesAfter time.Duration
	// ClaimDayLength is the length of a payer's day for claim timers (24h when
	// zero).
	ClaimDayLength time.Duration
	// LegalDayLength is the length of a day for hold timers (24h when zero).
	LegalDayLength time.Duration
	// Simulator configures the clearinghouse simulator (delays, rules).
	Simulator clearinghouse.Config
	// DurableClearinghouse keeps the simulator's mailbox in the test database
	// (as `rcm` does), so RestartWorker's new simulator takes it over.
	DurableClearinghouse bool
	// PollInterval starts the clearinghouse poller when positive.
	PollInterval time.Duration
	// NoWorker leaves the task queue without a worker until StartWorker.
	NoWorker bool
	// Dunning, when set, wires patient billing: balance changes signal dunning
	// workflows, email goes over SMTP to Dunning.SMTPAddr, card payments go to
	// the development processor.
	Dunning *DunningOptions
}

// DunningOptions configure patient billing in a test environment.
type DunningOptions struct {
	DayLength time.Duration
	SMTPAddr  string
	// AfterSend runs between a message leaving and the outbox recording it.
	AfterSend func(dunning.OutMessage)
}

// New starts everything and stops it when t ends.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	if o.MissingChargesAfter == 0 {
		o.MissingChargesAfter = 24 * time.Hour
	}
	// The application (worker and API) acts as the app role, as `rcm` does;
	// the test keeps the owner's handle (Env.DB) for setup and checks.
	g, app := pgtest.NewPair(t)
	dc, err := codec.DataConverter(testkey.Key)
	if err != nil {
		t.Fatal(err)
	}
	interceptors, err := tracing.TemporalInterceptors()
	if err != nil {
		t.Fatal(err)
	}
	ts := temporaltest.NewServer(temporaltest.WithT(t.(*testing.T)),
		temporaltest.WithBaseClientOptions(client.Options{DataConverter: dc, FailureConverter: codec.FailureConverter(dc),
			Interceptors: interceptors, MetricsHandler: metrics.Temporal(metrics.Registry)}))
	c := ts.GetDefaultClient()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tclient.EnsureSearchAttributes(ctx, c, ts.GetDefaultNamespace()); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	if o.DurableClearinghouse {
		o.Simulator.DB = app
	}
	sim := clearinghouse.NewSimulator(o.Simulator)
	newActivities := func(sim *clearinghouse.Simulator) *activities.Activities {
		acts := activities.New(app, sim, claims.Submitter{Name: "TEST PRACTICE", ID: "TESTSUB", SenderID: "TESTSUB",
			ReceiverID: "CFSIM", ReceiverName: "SIMULATOR", ContactName: "BILLING OFFICE", Phone: "5555550100"})
		acts.LegalDayLength = o.LegalDayLength
		return acts
	}
	acts := newActivities(sim)
	// As in rcm worker and rcm dev, activities hold a Temporal client: the
	// clearinghouse poll tells claim and case workflows what each file said.
	acts.Temporal = c
	var billingSvc *dunning.Service
	secret := []byte("test-webhook-secret")
	if o.Dunning != nil {
		cfg := dunning.DefaultConfig()
		if o.Dunning.DayLength > 0 {
			cfg.DayLength = o.Dunning.DayLength
		}
		st := &statements.Service{DB: app}
		billingSvc = &dunning.Service{DB: app, Config: cfg, Statements: st, SMS: &dunning.DevSMS{},
			Email: dunning.SMTP{Addr: o.Dunning.SMTPAddr, From: "billing@test.local"}, BaseURL: "http://rcm.test",
			Secret: secret, AfterSend: o.Dunning.AfterSend}
		acts.Dunning = billingSvc
	}
	var running sdkworker.Worker
	startWorker := func() {
		running = ts.NewWorker(contract.TaskQueue, func(r sdkworker.Registry) { worker.Register(r, acts) })
	}
	var e *Env
	restartWorker := func() {
		if running != nil {
			running.Stop()
		}
		// A new process: a new simulator (over the same database when durable)
		// and new activities around it; patient billing is stateless and kept.
		sim := clearinghouse.NewSimulator(o.Simulator)
		next := newActivities(sim)
		next.Dunning, next.Temporal = acts.Dunning, acts.Temporal
		acts = next
		e.Clearinghouse = sim
		startWorker()
	}
	if !o.NoWorker {
		startWorker()
	}
	if o.PollInterval > 0 {
		if err := worker.EnsurePoller(ctx, c, o.PollInterval); err != nil {
			t.Fatalf("testenv: %v", err)
		}
	}

	var logOut io.Writer = io.Discard
	if os.Getenv("RCM_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	logger := slog.New(slog.NewTextHandler(logOut, nil))
	srv := api.New(app, c, logger, o.MissingChargesAfter)
	srv.ClaimDayLength = o.ClaimDayLength
	hs := httptest.NewServer(srv.Router())
	t.Cleanup(hs.Close)
	if billingSvc != nil {
		srv.Dunning, srv.Statements, srv.WebhookSecret = billingSvc, billingSvc.Statements, secret
		srv.Processor = &payments.DevProcessor{WebhookURL: hs.URL + "/webhooks/payments", Secret: secret}
	}

	e = &Env{T: t, DB: g, Temporal: c, Namespace: ts.GetDefaultNamespace(), DataConverter: dc, HTTP: hs, Clearinghouse: sim,
		startWorker: startWorker, restartWorker: restartWorker, Dunning: billingSvc, WebhookSecret: secret}
	e.AdminToken = e.NewUserToken("admin@test.local", auth.RoleAdmin)
	return e
}

// StartWorker starts the worker of an environment made with NoWorker.
func (e *Env) StartWorker() { e.startWorker() }

// RestartWorker stops the worker and starts another in its place with a new
// clearinghouse simulator and new activities, as a worker process started
// after a crash would be: whatever the old simulator held in memory is gone,
// what it kept in the database (Options.DurableClearinghouse) is not.
func (e *Env) RestartWorker() { e.restartWorker() }

// Remote is an Env for a system started elsewhere (another process) at baseURL;
// only its HTTP helpers are usable.
func Remote(t testing.TB, baseURL, adminToken string) *Env {
	return &Env{T: t, HTTP: &httptest.Server{URL: baseURL}, AdminToken: adminToken}
}

// NewUserToken creates a user with role and returns an API token for it.
func (e *Env) NewUserToken(email, role string) string {
	e.T.Helper()
	svc := &auth.Service{DB: e.DB}
	u, err := svc.CreateUser(context.Background(), auth.NewUser{Email: email, Name: role + " user", Role: role}, audit.System)
	if err != nil {
		e.T.Fatalf("create user: %v", err)
	}
	tok, err := svc.IssueToken(context.Background(), u.ID, "test", audit.System)
	if err != nil {
		e.T.Fatalf("issue token: %v", err)
	}
	return tok
}

// Response is an HTTP answer with its decoded JSON body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r Response) Map(t testing.TB) map[string]any {
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Do sends a request with token (none when empty); body is marshalled to JSON
// unless it is a string or []byte, which are sent as they are.
func (e *Env) Do(method, path, token string, body any, headers ...string) Response {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.HTTP.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// MustDo is Do that fails the test unless the status is want.
func (e *Env) MustDo(want int, method, path, token string, body any, headers ...string) Response {
	e.T.Helper()
	r := e.Do(method, path, token, body, headers...)
	if r.Status != want {
		e.T.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}
