package auth_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/pgtest"
)

// appFixture runs the service as the application role, as `rcm` does.
func appFixture(t *testing.T) (*auth.Service, *auth.Service) {
	owner, app := pgtest.NewPair(t)
	return &auth.Service{DB: owner}, &auth.Service{DB: app}
}

func TestPasswordIsStoredHashedAndChecked(t *testing.T) {
	owner, svc := appFixture(t)
	ctx := context.Background()
	u, err := svc.CreateUser(ctx, auth.NewUser{Email: "Pat@Clinic.test", Name: "Pat", Role: auth.RoleBiller}, audit.System)
	require.NoError(t, err)

	_, err = svc.CheckPassword(ctx, "pat@clinic.test", "anything at all")
	assert.ErrorIs(t, err, auth.ErrBadCredentials, "no password yet: no sign-in")

	err = svc.SetPassword(ctx, u.ID, "short", false, audit.System)
	assert.Equal(t, apperr.Invalid, apperr.CodeOf(err))
	assert.Equal(t, "password", apperr.Fields(err)[0].Field)
	require.NoError(t, svc.SetPassword(ctx, u.ID, "correct horse battery", false, audit.System))

	var hash string
	require.NoError(t, owner.DB.Raw(`SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash).Error)
	assert.NotContains(t, hash, "horse")

	got, err := svc.CheckPassword(ctx, " PAT@clinic.test ", "correct horse battery")
	require.NoError(t, err, "emails match whatever their case")
	assert.Equal(t, u.ID, got.ID)
	_, err = svc.CheckPassword(ctx, "pat@clinic.test", "Correct horse battery")
	assert.ErrorIs(t, err, auth.ErrBadCredentials)
	_, err = svc.CheckPassword(ctx, "nobody@clinic.test", "correct horse battery")
	assert.ErrorIs(t, err, auth.ErrBadCredentials, "an unknown email reads the same")

	_, err = svc.SetDisabled(ctx, u.ID, true, audit.System)
	require.NoError(t, err)
	_, err = svc.CheckPassword(ctx, "pat@clinic.test", "correct horse battery")
	assert.ErrorIs(t, err, auth.ErrBadCredentials, "a disabled user cannot sign in")
}

func TestRepeatedFailuresLockTheUserOut(t *testing.T) {
	owner, svc := appFixture(t)
	ctx := context.Background()
	u, err := svc.CreateUser(ctx, auth.NewUser{Email: "lee@clinic.test", Name: "Lee", Role: auth.RoleFrontDesk}, audit.System)
	require.NoError(t, err)
	require.NoError(t, svc.SetPassword(ctx, u.ID, "correct horse battery", false, audit.System))

	// A success resets the count: four failures, a success, four more do not lock.
	for range auth.MaxFailedSignIns - 1 {
		_, err := svc.CheckPassword(ctx, "lee@clinic.test", "wrong password")
		require.ErrorIs(t, err, auth.ErrBadCredentials)
	}
	_, err = svc.CheckPassword(ctx, "lee@clinic.test", "correct horse battery")
	require.NoError(t, err)
	for i := 1; i <= auth.MaxFailedSignIns; i++ {
		_, err := svc.CheckPassword(ctx, "lee@clinic.test", "wrong password")
		if i < auth.MaxFailedSignIns {
			require.ErrorIs(t, err, auth.ErrBadCredentials, "failure %d", i)
		} else {
			require.ErrorIs(t, err, auth.ErrLockedOut, "failure %d locks", i)
		}
	}
	_, err = svc.CheckPassword(ctx, "lee@clinic.test", "correct horse battery")
	assert.ErrorIs(t, err, auth.ErrLockedOut, "locked even with the right password")
	var n int64
	require.NoError(t, owner.DB.Table("audit_log").Where("action = ? AND entity_id = ?", "user.locked_out", u.ID).Count(&n).Error)
	assert.EqualValues(t, 1, n)

	// The lockout ends by itself...
	require.NoError(t, owner.DB.Exec(`UPDATE users SET locked_until = now() - interval '1 second' WHERE id = ?`, u.ID).Error)
	_, err = svc.CheckPassword(ctx, "lee@clinic.test", "correct horse battery")
	require.NoError(t, err)
	// ...or when an admin resets the password.
	for range auth.MaxFailedSignIns {
		_, _ = svc.CheckPassword(ctx, "lee@clinic.test", "wrong password")
	}
	otp, err := svc.ResetPassword(ctx, u.ID, audit.System)
	require.NoError(t, err)
	_, err = svc.CheckPassword(ctx, "lee@clinic.test", otp)
	assert.NoError(t, err)
}

func TestSessionsEndOnSignOutIdleNewPasswordAndDisable(t *testing.T) {
	owner, svc := appFixture(t)
	ctx := context.Background()
	u, err := svc.CreateUser(ctx, auth.NewUser{Email: "sam@clinic.test", Name: "Sam", Role: auth.RoleBiller}, audit.System)
	require.NoError(t, err)
	require.NoError(t, svc.SetPassword(ctx, u.ID, "correct horse battery", true, audit.System))

	start := func() string {
		tok, err := svc.StartSession(ctx, u, audit.Actor{})
		require.NoError(t, err)
		return tok
	}
	tok := start()
	s, err := svc.Session(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, u.ID, s.User.ID)
	assert.True(t, s.MustChangePassword)
	assert.Equal(t, auth.CSRFToken(tok), s.CSRF)
	assert.NotEqual(t, tok, s.CSRF)
	var stored int64
	require.NoError(t, owner.DB.Table("web_sessions").Where("token_hash = ?", tok).Count(&stored).Error)
	assert.Zero(t, stored, "the token itself is not stored")
	_, err = svc.Session(ctx, tok+"x")
	assert.ErrorIs(t, err, auth.ErrNoSession)

	require.NoError(t, svc.EndSession(ctx, tok, audit.Actor{UserID: u.ID}))
	_, err = svc.Session(ctx, tok)
	assert.ErrorIs(t, err, auth.ErrNoSession, "signed out")

	tok = start()
	require.NoError(t, owner.DB.Exec(`UPDATE web_sessions SET last_seen_at = now() - interval '31 minutes'`).Error)
	_, err = svc.Session(ctx, tok)
	assert.ErrorIs(t, err, auth.ErrNoSession, "idle too long")

	tok = start()
	require.NoError(t, owner.DB.Exec(`UPDATE web_sessions SET expires_at = now() - interval '1 second'`).Error)
	_, err = svc.Session(ctx, tok)
	assert.ErrorIs(t, err, auth.ErrNoSession, "past its maximum age")

	tok = start()
	require.NoError(t, svc.SetPassword(ctx, u.ID, "another good secret", false, audit.System))
	_, err = svc.Session(ctx, tok)
	assert.ErrorIs(t, err, auth.ErrNoSession, "a new password ends every session")

	tok = start()
	_, err = svc.SetDisabled(ctx, u.ID, true, audit.System)
	require.NoError(t, err)
	_, err = svc.Session(ctx, tok)
	assert.ErrorIs(t, err, auth.ErrNoSession, "a disabled user's session stops at once")

	require.NoError(t, svc.PruneSessions(ctx))
}

func TestFirstSignInUntilTheUserChoosesAPassword(t *testing.T) {
	_, svc := appFixture(t)
	ctx := context.Background()
	u, err := svc.CreateUser(ctx, auth.NewUser{Email: "admin@localhost", Name: "Administrator", Role: auth.RoleAdmin}, audit.System)
	require.NoError(t, err)
	first, err := svc.FirstSignIn(ctx, "admin@localhost", audit.System)
	require.NoError(t, err)
	require.NotEmpty(t, first)
	again, err := svc.FirstSignIn(ctx, "admin@localhost", audit.System)
	require.NoError(t, err)
	assert.NotEqual(t, first, again, "a fresh one each start while unchosen")
	_, err = svc.CheckPassword(ctx, "admin@localhost", first)
	assert.ErrorIs(t, err, auth.ErrBadCredentials, "the previous one no longer works")
	require.NoError(t, svc.SetPassword(ctx, u.ID, "my own passphrase", false, audit.Actor{UserID: u.ID}))
	none, err := svc.FirstSignIn(ctx, "admin@localhost", audit.System)
	require.NoError(t, err)
	assert.Empty(t, none, "nothing once the admin chose a password")
}
