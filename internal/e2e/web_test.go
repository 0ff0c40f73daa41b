package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/testenv"
)

// TestWebApp drives the staff web application in a real headless Chromium
// against the real system: one server and one browser for every subtest.
func TestWebApp(t *testing.T) {
	w := startWeb(t, testenv.Options{})
	desk := w.webUser(t, "desk@clinic.test", "Dana Desk", auth.RoleFrontDesk)

	t.Run("landing leads to sign-in", func(t *testing.T) {
		b := w.newTab(t)
		require.Equal(t, http.StatusOK, b.open("/"))
		assert.Equal(t, "Sign in", b.text(`a.button.primary`))
		b.checkAccessibility("landing")
		b.screenshot("landing")
		require.Equal(t, http.StatusOK, b.click(`a.button.primary`))
		assert.Equal(t, "/app/signin", b.location())
		b.checkAccessibility("sign-in")
		b.screenshot("signin")
	})

	t.Run("sign in, a wrong password refused, lockout after repeated failures", func(t *testing.T) {
		b := w.newTab(t)
		// A page needs a session: the visitor is sent to sign in, and back after.
		b.open("/app/patients")
		require.Equal(t, "/app/signin?next=%2Fapp%2Fpatients", b.location())

		locked := w.webUser(t, "locked@clinic.test", "Lee Locked", auth.RoleFrontDesk)
		for i := 1; i <= auth.MaxFailedSignIns; i++ {
			b.open("/app/signin")
			b.fill(map[string]string{"#signin-email": locked, "#signin-password": "not the password"})
			assert.Equal(t, http.StatusUnauthorized, b.submit(`form[action="/app/signin"]`))
			msg := b.text(`.problem`)
			if i < auth.MaxFailedSignIns {
				assert.Contains(t, msg, "email or password is not right", "attempt %d", i)
			} else {
				assert.Contains(t, msg, "locked", "attempt %d locks the user out", i)
			}
		}
		b.screenshot("signin-refused")
		// Locked: even the right password is refused now.
		b.fill(map[string]string{"#signin-email": locked, "#signin-password": webPassword})
		assert.Equal(t, http.StatusUnauthorized, b.submit(`form[action="/app/signin"]`))
		assert.Contains(t, b.text(`.problem`), "locked")

		// The front desk signs in with the right password and lands where they were going.
		b.open("/app/signin?next=%2Fapp%2Fpatients")
		b.fill(map[string]string{"#signin-email": desk, "#signin-password": webPassword})
		require.Equal(t, http.StatusOK, b.submit(`form[action="/app/signin"]`))
		assert.Equal(t, "/app/patients", b.location())
		assert.Equal(t, "Dana Desk", b.text(`.who .name`))
		b.checkAccessibility("patients")

		// Signing out ends the session: the old cookie no longer opens a page.
		old := b.cookies()
		require.Equal(t, http.StatusOK, b.click(`.who button`))
		assert.Contains(t, b.text(`.flash`), "signed out")
		resp := w.get(t, "/app/patients", old)
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "a signed-out session is refused")
	})

	t.Run("a form post without the CSRF token is refused", func(t *testing.T) {
		b := w.newTab(t)
		b.signIn(desk)
		jar := b.cookies()
		form := url.Values{"first_name": {"Eve"}, "last_name": {"Forger"}, "date_of_birth": {"1990-01-01"}}
		resp := w.post(t, "/app/patients", jar, form)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		form.Set("csrf", "forged")
		resp = w.post(t, "/app/patients", jar, form)
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.Contains(t, string(body), "Form expired")
		var n int64
		require.NoError(t, w.DB.Table("patients").Where("last_name = ?", "Forger").Count(&n).Error)
		assert.Zero(t, n, "nothing was saved")
	})

	t.Run("a front-desk user cannot open pages of other roles", func(t *testing.T) {
		b := w.newTab(t)
		b.signIn(desk)
		// Claims are the billers' (as GET /api/v1/claims/{id}).
		assert.Equal(t, http.StatusForbidden, b.open("/app/claims/00000000-0000-0000-0000-000000000000"))
		assert.Equal(t, "Not allowed", b.text(`h1`))
		assert.Contains(t, b.text(`main`), "front desk")
		b.checkAccessibility("403")
		b.screenshot("forbidden")
	})
}

// get sends a GET with cookies, without following redirects.
func (w *webEnv) get(t *testing.T, path string, cookies []*http.Cookie) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.HTTP.URL+path, nil)
	require.NoError(t, err)
	return w.send(t, req, cookies)
}

// post sends a form post with cookies, without following redirects.
func (w *webEnv) post(t *testing.T, path string, cookies []*http.Cookie, form url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.HTTP.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return w.send(t, req, cookies)
}

func (w *webEnv) send(t *testing.T, req *http.Request, cookies []*http.Cookie) *http.Response {
	t.Helper()
	for _, c := range cookies {
		req.AddCookie(c)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
