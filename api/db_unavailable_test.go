package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/migrations"
	"github.com/clinicflow/rcm/workflows/contract"
)

// pgProxy forwards TCP connections to a PostgreSQL server until it is cut:
// then it refuses new connections and drops those open, as a server going
// down does to its clients.
type pgProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	cut    bool
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &pgProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(p.stop)
	return p
}

func (p *pgProxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			in.Close()
			out.Close()
			return
		}
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(out, in); out.Close() }()
		go func() { _, _ = io.Copy(in, out); in.Close() }()
	}
}

// stop cuts the database off: new connections are refused, open ones dropped.
func (p *pgProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	_ = p.ln.Close()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// dsnThrough is dsn with its host and port replaced by the proxy's.
func (p *pgProxy) dsnThrough(t *testing.T, dsn string) string {
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Host = p.ln.Addr().String()
	return u.String()
}

// TestDatabaseAwayIsA503: while PostgreSQL is down or restarting, every route
// answers 503 problem+json with Retry-After, which a client retries, never a
// 500 (a bug to report) or a 4xx (a request to give up): reads, lists and
// writes, domain calls and lookups alike. The API's database sits behind a
// proxy that the test cuts, as a restart does (connections dropped, new ones
// refused); tokens are checked on a database that stays up, so each request
// reaches its handler.
func TestDatabaseAwayIsA503(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDSN(t)
	up, err := db.Open(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.SQL(up).Close() })
	require.NoError(t, migrations.Up(ctx, db.SQL(up)))
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	proxy := newPGProxy(t, u.Host)
	api, err := db.Open(ctx, proxy.dsnThrough(t, dsn))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.SQL(api).Close() })

	s := New(api, nil, slog.New(slog.DiscardHandler), 0)
	s.auth = &auth.Service{DB: up}
	r := s.Router()
	admin, err := s.auth.CreateUser(ctx, auth.NewUser{Email: "admin@example.test", Name: "admin", Role: auth.RoleAdmin}, audit.System)
	require.NoError(t, err)
	tok, err := s.auth.IssueToken(ctx, admin.ID, "test", audit.System)
	require.NoError(t, err)
	do := func(method, path, body string) *httptest.ResponseRecorder {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req := httptest.NewRequest(method, path, rd)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "k-1")
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}

	w := do(http.MethodPost, "/api/v1/payers", `{"name":"Acme Health","payer_id":"ACME1","type":"commercial"}`)
	require.Equal(t, http.StatusCreated, w.Code, "%s", w.Body)
	var payer struct{ ID string }
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &payer))
	w = do(http.MethodPost, "/api/v1/patients", `{"first_name":"Ada","last_name":"Byron","date_of_birth":"1980-02-03"}`)
	require.Equal(t, http.StatusCreated, w.Code, "%s", w.Body)
	var patient struct{ ID string }
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &patient))
	require.Equal(t, http.StatusOK, do(http.MethodGet, "/api/v1/patients/"+patient.ID, "").Code)

	proxy.stop() // PostgreSQL goes away under the running API

	for _, rt := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/patients/" + patient.ID, ""},
		{http.MethodGet, "/api/v1/patients", ""},
		{http.MethodPost, "/api/v1/patients", `{"first_name":"Ada","last_name":"Byron","date_of_birth":"1980-02-03"}`},
		{http.MethodPatch, "/api/v1/patients/" + patient.ID, `{"city":"Springfield"}`},
		{http.MethodGet, "/api/v1/payers/" + payer.ID, ""},
		{http.MethodGet, "/api/v1/payers", ""},
		{http.MethodPost, "/api/v1/payers", `{"name":"Other Health","payer_id":"OTH1","type":"commercial"}`},
		{http.MethodGet, "/api/v1/cases", ""},
		{http.MethodPost, "/api/v1/cases", `{"patient_id":"` + patient.ID + `","kind":"insurance","title":"visit"}`},
		{http.MethodGet, "/api/v1/claims", ""},
		{http.MethodGet, "/api/v1/tasks", ""},
		{http.MethodPost, "/api/v1/collections/recoveries", `{"patient_id":"` + patient.ID + `","amount":"10.00"}`},
	} {
		w := do(rt.method, rt.path, rt.body)
		name := rt.method + " " + rt.path
		assert.Equal(t, http.StatusServiceUnavailable, w.Code, "%s: %s", name, w.Body)
		assert.Equal(t, ProblemContentType, w.Header().Get("Content-Type"), name)
		assert.Equal(t, retryAfter, w.Header().Get("Retry-After"), name)
		var p Problem
		if assert.NoError(t, json.Unmarshal(w.Body.Bytes(), &p), name) {
			assert.Equal(t, ProblemUnavailable, p.Type, name)
		}
	}
}

// TestFailAnswersAnUnreachableDatabaseAs503 checks the mapping itself: every
// way PostgreSQL being away reaches a handler (its own query, an activity
// that gave up through a workflow update) is a 503 with Retry-After.
func TestFailAnswersAnUnreachableDatabaseAs503(t *testing.T) {
	s := &Server{Logger: slog.New(slog.DiscardHandler)}
	shutdown := &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	for name, err := range map[string]error{
		"server shutting down":          fmt.Errorf("list patients: %w", shutdown),
		"server starting up":            &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"},
		"connection refused":            &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")},
		"connection lost mid-statement": fmt.Errorf("read: %w", io.ErrUnexpectedEOF),
		"an update that gave up":        contract.ApplicationError(db.Coded(fmt.Errorf("record payment: %w", shutdown))),
	} {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
		s.fail(c, err)
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "%s: %s", name, rec.Body)
		assert.Equal(t, ProblemContentType, rec.Header().Get("Content-Type"), name)
		assert.Equal(t, retryAfter, rec.Header().Get("Retry-After"), name)
	}
	// Not the database's fault: still a 500.
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	s.fail(c, errors.New("a bug"))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
}
