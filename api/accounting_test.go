package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/pgtest"
)

// moneyAPI is a router over a fresh database and a manager's token.
type moneyAPI struct {
	t     *testing.T
	s     *Server
	h     http.Handler
	token string
}

func newMoneyAPI(t *testing.T, role string) moneyAPI {
	g := pgtest.New(t)
	s := New(g, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), 0)
	u, err := s.auth.CreateUser(context.Background(), auth.NewUser{Email: role + "@example.test", Name: role, Role: role}, audit.System)
	require.NoError(t, err)
	tok, err := s.auth.IssueToken(context.Background(), u.ID, "test", audit.System)
	require.NoError(t, err)
	return moneyAPI{t: t, s: s, h: s.Router(), token: tok}
}

func (m moneyAPI) do(method, path string, body any, out any) *httptest.ResponseRecorder {
	m.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(m.t, err)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+m.token)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	m.h.ServeHTTP(w, req)
	if out != nil && w.Code < 300 {
		require.NoError(m.t, json.Unmarshal(w.Body.Bytes(), out), w.Body.String())
	}
	return w
}

func problemFields(t *testing.T, w *httptest.ResponseRecorder) []string {
	t.Helper()
	assert.Contains(t, w.Header().Get("Content-Type"), "application/problem+json")
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

func TestAccountingRoutesCloseExportAndDownload(t *testing.T) {
	m := newMoneyAPI(t, auth.RoleManager)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	lastMonth := today.AddDate(0, 0, -40)

	w := m.do("POST", "/api/v1/accounting/journals", map[string]any{"date": lastMonth.Format(time.DateOnly), "memo": "opening balance",
		"lines": []map[string]any{{"account": "1000", "debit": "500.00"}, {"account": "4000", "credit": 500}}}, nil)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())

	w = m.do("POST", "/api/v1/accounting/journals", map[string]any{"memo": "x", "lines": []map[string]any{{"account": "1000", "debit": "abc"}}}, nil)
	require.Equal(t, http.StatusBadRequest, w.Code)
	assert.Equal(t, []string{"lines[0].debit"}, problemFields(t, w))

	var p periodJSON
	w = m.do("POST", "/api/v1/accounting/periods", map[string]any{"name": "old", "start_date": lastMonth.AddDate(0, 0, -5).Format(time.DateOnly),
		"end_date": lastMonth.AddDate(0, 0, 5).Format(time.DateOnly)}, &p)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	w = m.do("POST", "/api/v1/accounting/periods/"+p.ID+"/close", nil, &p)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "closed", p.Status)

	w = m.do("POST", "/api/v1/accounting/journals", map[string]any{"date": lastMonth.Format(time.DateOnly), "memo": "late",
		"lines": []map[string]any{{"account": "1000", "debit": "1.00"}, {"account": "4000", "credit": "1.00"}}}, nil)
	require.Equal(t, http.StatusConflict, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), "is closed: post an adjusting journal dated in an open period")

	var tb struct {
		Debits     string `json:"debits"`
		Difference string `json:"difference"`
	}
	w = m.do("GET", "/api/v1/accounting/trial-balance", nil, &tb)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "500", tb.Debits)
	assert.Equal(t, "0", tb.Difference)

	to := today.AddDate(0, 0, -1).Format(time.DateOnly)
	w = m.do("POST", "/api/v1/accounting/exports", map[string]any{"to": to}, nil)
	require.Equal(t, http.StatusConflict, w.Code, "unmapped accounts")
	assert.Contains(t, w.Body.String(), "1000, 4000")
	for _, code := range []string{"1000", "4000"} {
		w = m.do("PUT", "/api/v1/accounting/accounts/"+code, map[string]any{"external_code": "QB" + code, "external_name": "Account " + code}, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	}
	w = m.do("PUT", "/api/v1/accounting/accounts/1000", map[string]any{"external_code": "", "external_name": "a\tb"}, nil)
	require.Equal(t, http.StatusBadRequest, w.Code)
	assert.ElementsMatch(t, []string{"external_code", "external_name"}, problemFields(t, w))

	var e exportJSON
	w = m.do("POST", "/api/v1/accounting/exports", map[string]any{"to": to}, &e)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, lastMonth.Format(time.DateOnly), e.From, "the first export starts at the first journal")
	assert.Equal(t, 1, e.Journals)
	w = m.do("POST", "/api/v1/accounting/exports", map[string]any{"from": e.From, "to": to}, nil)
	require.Equal(t, http.StatusOK, w.Code, "the same range again is the same export")
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))

	w = m.do("POST", "/api/v1/accounting/exports", map[string]any{"to": today.Format(time.DateOnly)}, nil)
	require.Equal(t, http.StatusBadRequest, w.Code, "today is not over")
	assert.Equal(t, []string{"to"}, problemFields(t, w))

	csv1 := m.do("GET", "/api/v1/accounting/exports/"+e.ID+"/download", nil, nil)
	csv2 := m.do("GET", "/api/v1/accounting/exports/"+e.ID+"/download?format=csv", nil, nil)
	require.Equal(t, http.StatusOK, csv1.Code)
	assert.Equal(t, csv1.Body.String(), csv2.Body.String())
	assert.Equal(t, e.SHA256, csv1.Header().Get("X-Export-SHA256"))
	assert.Contains(t, csv1.Body.String(), "QB1000,Account 1000,1000,500.00,")
	iif := m.do("GET", "/api/v1/accounting/exports/"+e.ID+"/download?format=iif", nil, nil)
	require.Equal(t, http.StatusOK, iif.Code)
	assert.True(t, strings.HasPrefix(iif.Body.String(), "!TRNS\t"))
	assert.Contains(t, iif.Body.String(), "TRNS\t\tGENERAL JOURNAL\t"+lastMonth.Format("01/02/2006")+"\tAccount 1000\t\t500.00\t")
	w = m.do("GET", "/api/v1/accounting/exports/"+e.ID+"/download?format=xls", nil, nil)
	assert.Equal(t, http.StatusBadRequest, w.Code)

	var got exportJSON
	w = m.do("GET", "/api/v1/accounting/exports/"+e.ID, nil, &got)
	require.Equal(t, http.StatusOK, w.Code)
	require.NotNil(t, got.Verified)
	assert.True(t, *got.Verified)

	var rev struct {
		Rows []any `json:"rows"`
	}
	w = m.do("GET", "/api/v1/accounting/revenue?group_by=location", nil, &rev)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = m.do("GET", "/api/v1/accounting/revenue?group_by=planet", nil, nil)
	assert.Equal(t, http.StatusBadRequest, w.Code)

	biller := newMoneyAPI(t, auth.RoleBiller)
	w = biller.do("POST", "/api/v1/accounting/exports", map[string]any{"to": to}, nil)
	assert.Equal(t, http.StatusForbidden, w.Code)
}
