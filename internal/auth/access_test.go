package auth_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/pgtest"
)

type fixture struct {
	db    *gorm.DB
	svc   *auth.Service
	admin audit.Actor
}

func newFixture(t *testing.T) fixture {
	g := pgtest.New(t)
	svc := &auth.Service{DB: g}
	a, err := svc.CreateUser(context.Background(), auth.NewUser{Email: "admin@test.local", Name: "Admin", Role: auth.RoleAdmin}, audit.System)
	require.NoError(t, err)
	return fixture{db: g, svc: svc, admin: audit.Actor{UserID: a.ID, RequestID: "req-1"}}
}

func (f fixture) user(t *testing.T, email string) auth.User {
	u, err := f.svc.CreateUser(context.Background(), auth.NewUser{Email: email, Name: "U", Role: auth.RoleBiller}, audit.System)
	require.NoError(t, err)
	return u
}

// auditActions are the actions of the audit rows about a user, oldest first.
func (f fixture) auditActions(t *testing.T, userID string) []string {
	rows, err := audit.List(f.db, audit.Filter{EntityType: "user", EntityID: userID})
	require.NoError(t, err)
	var out []string
	for i := len(rows) - 1; i >= 0; i-- {
		out = append(out, rows[i].Action)
	}
	return out
}

func TestIssuedTokenExpiresAfterDefaultOrRequestedDays(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, "b@test.local")

	def, err := f.svc.Issue(ctx, u.ID, auth.NewToken{Name: "laptop"}, f.admin)
	require.NoError(t, err)
	require.NotNil(t, def.ExpiresAt)
	assert.WithinDuration(t, time.Now().AddDate(0, 0, auth.DefaultTokenDays), *def.ExpiresAt, time.Minute)
	assert.Equal(t, auth.TokenActive, def.Status)

	week, err := f.svc.Issue(ctx, u.ID, auth.NewToken{ExpiresInDays: 7}, f.admin)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().AddDate(0, 0, 7), *week.ExpiresAt, time.Minute)

	for _, days := range []int{-1, auth.MaxTokenDays + 1} {
		_, err := f.svc.Issue(ctx, u.ID, auth.NewToken{ExpiresInDays: days}, f.admin)
		assert.Equal(t, apperr.Invalid, apperr.CodeOf(err), "expires_in_days %d", days)
	}

	// Operators' tokens (rcm user token, the bootstrap admin) never expire.
	forever, err := f.svc.IssueToken(ctx, u.ID, "cli", audit.System)
	require.NoError(t, err)
	_, err = f.svc.Authenticate(ctx, forever)
	require.NoError(t, err)
	toks, err := f.svc.ListTokens(ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, toks, 3)
	assert.Nil(t, toks[0].ExpiresAt, "the CLI token is the newest and has no expiry")
}

func TestExpiredTokenIsRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, "b@test.local")
	tok, err := f.svc.Issue(ctx, u.ID, auth.NewToken{}, f.admin)
	require.NoError(t, err)
	_, err = f.svc.Authenticate(ctx, tok.Token)
	require.NoError(t, err)

	require.NoError(t, f.db.Exec("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = ?", tok.ID).Error)
	_, err = f.svc.Authenticate(ctx, tok.Token)
	assert.ErrorIs(t, err, auth.ErrUnauthenticated)
	toks, err := f.svc.ListTokens(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, auth.TokenExpired, toks[0].Status)
}

func TestRevokedTokenIsRefusedAtOnceAndOthersKeepWorking(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, "b@test.local")
	a, err := f.svc.Issue(ctx, u.ID, auth.NewToken{Name: "a"}, f.admin)
	require.NoError(t, err)
	b, err := f.svc.Issue(ctx, u.ID, auth.NewToken{Name: "b"}, f.admin)
	require.NoError(t, err)

	info, err := f.svc.RevokeToken(ctx, u.ID, a.ID, f.admin)
	require.NoError(t, err)
	assert.Equal(t, auth.TokenRevoked, info.Status)
	_, err = f.svc.Authenticate(ctx, a.Token)
	assert.ErrorIs(t, err, auth.ErrUnauthenticated)
	_, err = f.svc.Authenticate(ctx, b.Token)
	assert.NoError(t, err)

	// Revoking again keeps the first time and writes no second audit row.
	again, err := f.svc.RevokeToken(ctx, u.ID, a.ID, f.admin)
	require.NoError(t, err)
	assert.Equal(t, info.RevokedAt.UTC().Truncate(time.Millisecond), again.RevokedAt.UTC().Truncate(time.Millisecond))
	assert.Equal(t, []string{"user.create", "token.issue", "token.issue", "token.revoke"}, f.auditActions(t, u.ID))

	rows, err := audit.List(f.db, audit.Filter{EntityType: "user", EntityID: u.ID, Limit: 1})
	require.NoError(t, err)
	require.NotNil(t, rows[0].ActorID)
	assert.Equal(t, f.admin.UserID, *rows[0].ActorID)
	var changes map[string]any
	require.NoError(t, json.Unmarshal(rows[0].Changes, &changes))
	assert.Equal(t, a.ID, changes["token_id"])

	// A token is revoked only through its own user.
	other := f.user(t, "c@test.local")
	_, err = f.svc.RevokeToken(ctx, other.ID, b.ID, f.admin)
	assert.Equal(t, apperr.NotFound, apperr.CodeOf(err))
	_, err = f.svc.RevokeToken(ctx, u.ID, uuid.NewString(), f.admin)
	assert.Equal(t, apperr.NotFound, apperr.CodeOf(err))
	_, err = f.svc.Authenticate(ctx, b.Token)
	assert.NoError(t, err)
}

func TestDisabledUserIsRefusedUntilEnabled(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, "b@test.local")
	tok, err := f.svc.Issue(ctx, u.ID, auth.NewToken{}, f.admin)
	require.NoError(t, err)

	d, err := f.svc.SetDisabled(ctx, u.ID, true, f.admin)
	require.NoError(t, err)
	assert.True(t, d.Disabled)
	_, err = f.svc.Authenticate(ctx, tok.Token)
	assert.ErrorIs(t, err, auth.ErrUnauthenticated)

	_, err = f.svc.SetDisabled(ctx, u.ID, true, f.admin) // no change, no audit row
	require.NoError(t, err)
	e, err := f.svc.SetDisabled(ctx, u.ID, false, f.admin)
	require.NoError(t, err)
	assert.False(t, e.Disabled)
	got, err := f.svc.Authenticate(ctx, tok.Token)
	require.NoError(t, err)
	assert.Equal(t, u.ID, got.ID)
	assert.Equal(t, []string{"user.create", "token.issue", "user.disable", "user.enable"}, f.auditActions(t, u.ID))

	for _, id := range []string{uuid.NewString(), "not-a-uuid"} {
		_, err = f.svc.SetDisabled(ctx, id, true, f.admin)
		assert.Equal(t, apperr.NotFound, apperr.CodeOf(err), id)
		_, err = f.svc.ListTokens(ctx, id)
		assert.Equal(t, apperr.NotFound, apperr.CodeOf(err), id)
		_, err = f.svc.RevokeToken(ctx, u.ID, id, f.admin)
		assert.Equal(t, apperr.NotFound, apperr.CodeOf(err), id)
	}
}

func TestAdminCannotDisableThemselves(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.SetDisabled(context.Background(), f.admin.UserID, true, f.admin)
	assert.ErrorIs(t, err, auth.ErrDisableSelf)
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(err))
	var disabled bool
	require.NoError(t, f.db.Raw("SELECT disabled FROM users WHERE id = ?", f.admin.UserID).Scan(&disabled).Error)
	assert.False(t, disabled)
}

func TestListTokensNeverShowsSecrets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, "b@test.local")
	tok, err := f.svc.Issue(ctx, u.ID, auth.NewToken{Name: "laptop"}, f.admin)
	require.NoError(t, err)
	toks, err := f.svc.ListTokens(ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, toks, 1)
	assert.Equal(t, tok.ID, toks[0].ID)
	assert.Equal(t, "laptop", toks[0].Name)
	b, err := json.Marshal(toks)
	require.NoError(t, err)
	assert.NotContains(t, string(b), tok.Token)
	assert.NotContains(t, string(b), auth.Hash(tok.Token))

	_, err = f.svc.ListTokens(ctx, uuid.NewString())
	assert.Equal(t, apperr.NotFound, apperr.CodeOf(err))
}

func TestAuthenticationRecordsWhenATokenWasLastUsed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, "lastused@test.local")
	tok, err := f.svc.Issue(ctx, u.ID, auth.NewToken{}, f.admin)
	require.NoError(t, err)
	toks, err := f.svc.ListTokens(ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, toks, 1)
	assert.Nil(t, toks[0].LastUsedAt, "a token never used has no last use")

	_, err = f.svc.Authenticate(ctx, tok.Token)
	require.NoError(t, err)
	toks, err = f.svc.ListTokens(ctx, u.ID)
	require.NoError(t, err)
	require.NotNil(t, toks[0].LastUsedAt)
	first := *toks[0].LastUsedAt

	// Within the minute, authentication does not write again.
	_, err = f.svc.Authenticate(ctx, tok.Token)
	require.NoError(t, err)
	toks, err = f.svc.ListTokens(ctx, u.ID)
	require.NoError(t, err)
	assert.True(t, toks[0].LastUsedAt.Equal(first))

	// An hour later, it does.
	require.NoError(t, f.db.Exec("UPDATE api_tokens SET last_used_at = now() - interval '1 hour' WHERE id = ?", tok.ID).Error)
	_, err = f.svc.Authenticate(ctx, tok.Token)
	require.NoError(t, err)
	toks, err = f.svc.ListTokens(ctx, u.ID)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), *toks[0].LastUsedAt, time.Minute)
}

func TestRoleChangeHoldsFromTheNextRequestAndIsAudited(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, "role@test.local")
	tok, err := f.svc.IssueToken(ctx, u.ID, "t", f.admin)
	require.NoError(t, err)

	got, err := f.svc.SetRole(ctx, u.ID, auth.RoleManager, f.admin)
	require.NoError(t, err)
	assert.Equal(t, auth.RoleManager, got.Role)
	seen, err := f.svc.Authenticate(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, auth.RoleManager, seen.Role, "the same token acts with the new role")
	var detail string
	require.NoError(t, f.db.Raw(`SELECT changes::text FROM audit_log WHERE action = 'user.role' AND entity_id = ?`, u.ID).Scan(&detail).Error)
	assert.JSONEq(t, `{"before": {"role": "biller"}, "after": {"role": "manager"}}`, detail)

	// The same role again writes nothing; an unknown role and one's own role are refused.
	_, err = f.svc.SetRole(ctx, u.ID, auth.RoleManager, f.admin)
	require.NoError(t, err)
	var rows int64
	require.NoError(t, f.db.Raw(`SELECT count(*) FROM audit_log WHERE action = 'user.role'`).Scan(&rows).Error)
	assert.EqualValues(t, 1, rows)
	_, err = f.svc.SetRole(ctx, u.ID, "owner", f.admin)
	assert.Equal(t, apperr.Invalid, apperr.CodeOf(err))
	_, err = f.svc.SetRole(ctx, f.admin.UserID, auth.RoleBiller, f.admin)
	assert.ErrorIs(t, err, auth.ErrChangeOwnRole)
	_, err = f.svc.SetRole(ctx, uuid.NewString(), auth.RoleBiller, f.admin)
	assert.Equal(t, apperr.NotFound, apperr.CodeOf(err))
}
