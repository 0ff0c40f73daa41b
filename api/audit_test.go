package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/pgtest"
)

func TestAuditVerifyIsForAdminsAndNamesTheBrokenRow(t *testing.T) {
	ctx := context.Background()
	g := pgtest.New(t)
	s := New(g, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), 0)
	r := s.Router()
	token := func(email, role string) string {
		u, err := s.auth.CreateUser(ctx, auth.NewUser{Email: email, Name: role, Role: role}, audit.System)
		require.NoError(t, err)
		tok, err := s.auth.IssueToken(ctx, u.ID, "test", audit.System)
		require.NoError(t, err)
		return tok
	}
	admin, manager := token("admin@example.test", auth.RoleAdmin), token("manager@example.test", auth.RoleManager)
	get := func(tok string) (int, auditVerificationJSON) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/audit/verify", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		var out auditVerificationJSON
		if w.Code == http.StatusOK {
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out))
		}
		return w.Code, out
	}

	code, _ := get(manager)
	assert.Equal(t, http.StatusForbidden, code)

	code, res := get(admin)
	require.Equal(t, http.StatusOK, code)
	assert.True(t, res.OK, "%+v", res)
	assert.Positive(t, res.Checked, "creating the users wrote audit rows")

	var first int64
	require.NoError(t, g.Raw(`SELECT id FROM audit_log ORDER BY seq LIMIT 1`).Scan(&first).Error)
	require.NoError(t, g.Exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`).Error)
	require.NoError(t, g.Exec(`UPDATE audit_log SET entity_id = 'someone-else' WHERE id = ?`, first).Error)
	require.NoError(t, g.Exec(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`).Error)

	code, res = get(admin)
	require.Equal(t, http.StatusOK, code, "a broken chain is a finding, not a failed request")
	assert.False(t, res.OK)
	assert.Equal(t, first, res.BrokenID)
	assert.Equal(t, audit.BrokenContent, res.Reason)
}
