package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/testenv"
)

// TestRevokedTokensDisabledUsersAndExpiredTokensAreRefusedAtOnce is issue 8's
// "tokens can be revoked and users disabled, effective at once; a token has an
// expiry", through the HTTP API.
func TestRevokedTokensDisabledUsersAndExpiredTokensAreRefusedAtOnce(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	admin := e.AdminToken
	me := e.MustDo(200, "GET", "/api/v1/me", admin, nil).Map(t)
	adminID := me["id"].(string)

	biller := e.MustDo(201, "POST", "/api/v1/users", admin, map[string]any{
		"email": "biller@test.local", "name": "Biller", "role": "biller"}).Map(t)["id"].(string)
	issue := func(body any) map[string]any {
		return e.MustDo(201, "POST", "/api/v1/users/"+biller+"/tokens", admin, body).Map(t)
	}

	// Issue and use; revoke; the very next request is refused.
	first := issue(map[string]any{"name": "laptop"})
	assert.NotEmpty(t, first["expires_at"], "tokens issued through the API expire")
	tok := first["token"].(string)
	e.MustDo(200, "GET", "/api/v1/tasks", tok, nil)
	second := issue(map[string]any{"name": "phone", "expires_in_days": 7})["token"].(string)

	var list struct {
		Items []map[string]any `json:"items"`
	}
	r := e.MustDo(200, "GET", "/api/v1/users/"+biller+"/tokens", admin, nil)
	assert.NotContains(t, string(r.Body), tok, "the list never shows a token")
	assert.NotContains(t, string(r.Body), auth.Hash(tok), "nor its hash")
	r.JSON(t, &list)
	require.Len(t, list.Items, 2)

	e.MustDo(204, "DELETE", "/api/v1/users/"+biller+"/tokens/"+first["token_id"].(string), admin, nil)
	r = e.MustDo(401, "GET", "/api/v1/tasks", tok, nil)
	assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	e.MustDo(200, "GET", "/api/v1/tasks", second, nil)
	e.MustDo(204, "DELETE", "/api/v1/users/"+biller+"/tokens/"+first["token_id"].(string), admin, nil) // again: no-op
	e.MustDo(404, "DELETE", "/api/v1/users/"+adminID+"/tokens/"+first["token_id"].(string), admin, nil)
	e.MustDo(200, "GET", "/api/v1/users/"+biller+"/tokens", admin, nil).JSON(t, &list)
	status := map[string]string{}
	for _, it := range list.Items {
		status[it["name"].(string)] = it["status"].(string)
	}
	assert.Equal(t, map[string]string{"laptop": "revoked", "phone": "active"}, status)

	// Disable: refused at once; enable: accepted again.
	u := e.MustDo(200, "POST", "/api/v1/users/"+biller+"/disable", admin, nil).Map(t)
	assert.Equal(t, true, u["disabled"])
	e.MustDo(401, "GET", "/api/v1/tasks", second, nil)
	e.MustDo(200, "POST", "/api/v1/users/"+biller+"/enable", admin, nil)
	e.MustDo(200, "GET", "/api/v1/tasks", second, nil)

	// An expired token is refused.
	third := issue(nil)
	e.MustDo(200, "GET", "/api/v1/tasks", third["token"].(string), nil)
	require.NoError(t, e.DB.Exec("UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = ?", third["token_id"]).Error)
	e.MustDo(401, "GET", "/api/v1/tasks", third["token"].(string), nil)

	// Bad lifetimes are 400s.
	e.MustDo(400, "POST", "/api/v1/users/"+biller+"/tokens", admin, map[string]any{"expires_in_days": 366})
	e.MustDo(400, "POST", "/api/v1/users/"+biller+"/tokens", admin, map[string]any{"expires_in_days": -1})

	// Only admins may do any of this.
	manager := e.NewUserToken("manager@test.local", auth.RoleManager)
	for _, rt := range []struct{ method, path string }{
		{"POST", "/api/v1/users/" + biller + "/disable"},
		{"POST", "/api/v1/users/" + biller + "/enable"},
		{"GET", "/api/v1/users/" + biller + "/tokens"},
		{"DELETE", "/api/v1/users/" + biller + "/tokens/" + third["token_id"].(string)},
	} {
		for _, who := range []string{second, manager} {
			r := e.MustDo(403, rt.method, rt.path, who, nil)
			assert.Equal(t, "/problems/forbidden", r.Map(t)["type"], rt.path)
		}
	}
	e.MustDo(200, "GET", "/api/v1/tasks", second, nil) // nothing above disabled the biller

	// An admin cannot disable themselves.
	r = e.MustDo(409, "POST", "/api/v1/users/"+adminID+"/disable", admin, nil)
	assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	e.MustDo(200, "GET", "/api/v1/me", admin, nil)

	// Every change is in the audit log.
	var entries struct {
		Items []struct {
			Action   string `json:"action"`
			EntityID string `json:"entity_id"`
		} `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/audit?entity_type=user&entity_id="+biller, admin, nil).JSON(t, &entries)
	var actions []string
	for _, en := range entries.Items {
		actions = append(actions, en.Action)
	}
	assert.Equal(t, []string{"token.issue", "user.enable", "user.disable", "token.revoke", "token.issue", "token.issue", "user.create"}, actions)
}
