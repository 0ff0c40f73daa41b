package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/pgtest"
)

// TestTokenUncheckableIsA503: while PostgreSQL restarts, a request whose token
// cannot be looked up is a 503 to retry, not a 401 telling a client with a good
// token to give up (the chaos run saw clients stop on 401s).
func TestTokenUncheckableIsA503(t *testing.T) {
	ctx := context.Background()
	g := pgtest.New(t)
	s := New(g, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), 0)
	r := s.Router()
	u, err := s.auth.CreateUser(ctx, auth.NewUser{Email: "admin@example.test", Name: "admin", Role: auth.RoleAdmin}, audit.System)
	require.NoError(t, err)
	tok, err := s.auth.IssueToken(ctx, u.ID, "test", audit.System)
	require.NoError(t, err)
	get := func(tok string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	require.Equal(t, http.StatusOK, get(tok).Code)
	require.Equal(t, http.StatusUnauthorized, get(auth.TokenPrefix+"not-a-token").Code)

	require.NoError(t, db.SQL(g).Close()) // the database is gone
	w := get(tok)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "%s", w.Body)
	assert.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
}
