package web

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/validate"
)

// testApp mounts the application without a database: only what needs no
// session can be exercised.
func testApp() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	Mount(r, Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Roles: RoleSets{Any: auth.Roles, FrontDesk: []string{auth.RoleFrontDesk}, Billers: []string{auth.RoleBiller},
			Clinical: []string{auth.RoleProvider}, Managers: []string{auth.RoleManager}, Admin: []string{auth.RoleAdmin}},
		Landing: Landing{TokenHint: "export RCM_TOKEN=$(cat /srv/admin-token)"}})
	return r
}

func serve(r http.Handler, method, target string, body url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(body.Encode())
	}
	req := httptest.NewRequest(method, target, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

func TestEveryTemplateParsesAndRendersTheLayout(t *testing.T) {
	pages := parsePages()
	for _, name := range []string{"signin.html", "landing.html", "home.html", "error.html", "patients.html",
		"patient.html", "patient_new.html", "case.html", "claim.html", "account_password.html"} {
		require.Contains(t, pages, name)
		require.NotNil(t, pages[name].Lookup("content"), name)
		require.NotNil(t, pages[name].Lookup("layout"), name)
	}
}

func TestLandingLeadsToSignInAndKeepsTheDeveloperInformation(t *testing.T) {
	rec := serve(testApp(), http.MethodGet, "/", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	assert.Contains(t, body, `href="/app/signin"`)
	assert.Contains(t, body, "/srv/admin-token")
	assert.Contains(t, body, `<main id="main"`)
	assert.Contains(t, rec.Header().Get("Content-Security-Policy"), "script-src 'none'")
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
}

func TestPagesNeedASession(t *testing.T) {
	r := testApp()
	rec := serve(r, http.MethodGet, "/app/patients?q=roe", nil)
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Equal(t, "/app/signin?next=%2Fapp%2Fpatients%3Fq%3Droe", rec.Header().Get("Location"))
	// A post without a session fails its CSRF check before anything else.
	rec = serve(r, http.MethodPost, "/app/patients", url.Values{"first_name": {"X"}})
	assert.Equal(t, http.StatusForbidden, rec.Code)
}

func TestSignInFormNeedsItsCSRFCookie(t *testing.T) {
	r := testApp()
	page := serve(r, http.MethodGet, "/app/signin", nil)
	require.Equal(t, http.StatusOK, page.Code)
	var pre *http.Cookie
	for _, c := range page.Result().Cookies() {
		if c.Name == preCSRFCookie {
			pre = c
		}
	}
	require.NotNil(t, pre)
	assert.True(t, pre.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, pre.SameSite)
	assert.Contains(t, page.Body.String(), `value="`+pre.Value+`"`, "the form carries the token")

	forged := serve(r, http.MethodPost, "/app/signin", url.Values{"csrf": {"guess"}, "email": {"a@b.c"}, "password": {"x"}}, pre)
	assert.Equal(t, http.StatusForbidden, forged.Code)
	// With the right token the form is checked (here: a blank password, before any database).
	blank := serve(r, http.MethodPost, "/app/signin", url.Values{"csrf": {pre.Value}, "email": {"a@b.c"}}, pre)
	assert.Equal(t, http.StatusBadRequest, blank.Code)
	assert.Contains(t, blank.Body.String(), `id="signin-password-err"`)
	assert.Contains(t, blank.Body.String(), `aria-invalid="true"`)
}

func TestCookiesAreSecureBehindTLS(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/app/signin", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	rec := httptest.NewRecorder()
	testApp().ServeHTTP(rec, req)
	require.NotEmpty(t, rec.Result().Cookies())
	for _, c := range rec.Result().Cookies() {
		assert.True(t, c.Secure, c.Name)
	}
}

func TestSafeNextStaysInTheApplication(t *testing.T) {
	assert.Equal(t, "/app/cases/1", safeNext("/app/cases/1"))
	for _, bad := range []string{"", "https://evil.example/app/", "//evil.example", "/app\\..\\x", "/api/v1/me"} {
		assert.Equal(t, "/app/", safeNext(bad), bad)
	}
}

func TestProblemOfMapsErrorsAsTheAPIDoes(t *testing.T) {
	p := ProblemOf(validate.Errors{{Field: "date_of_birth", Message: "must not be in the future"}})
	require.NotNil(t, p)
	assert.Equal(t, http.StatusBadRequest, p.Status)
	assert.Equal(t, "date_of_birth", p.Errors[0].Field)
	assert.Equal(t, http.StatusConflict, ProblemOf(apperr.New(apperr.Conflict, "the case is closed")).Status)
	assert.Equal(t, http.StatusNotFound, ProblemOf(apperr.New(apperr.NotFound, "case x not found")).Status)
	assert.Equal(t, http.StatusForbidden, ProblemOf(apperr.New(apperr.Forbidden, "no")).Status)
	assert.Nil(t, ProblemOf(errors.New("boom")), "anything else is an internal error, logged")
}

func TestFormChecksTextAsTheAPIDoes(t *testing.T) {
	f := &Form{Values: url.Values{}}
	f.Errors.Text("note", strings.Repeat("x", textMaxLen+1), textMaxLen)
	f.Errors.Text("name", "a\x00b", textMaxLen)
	assert.Len(t, f.Errors, 2)
	f = NewForm("charge")
	f.Values["diagnoses"] = []string{"E11.9, I10", " "}
	assert.Equal(t, []string{"E11.9", "I10"}, f.List("diagnoses"))
	f.Add("diagnoses[1]", "is not an ICD-10-CM code")
	assert.Equal(t, "diagnoses[1] is not an ICD-10-CM code", f.Err("diagnoses"), "a part's error shows on its field")
	assert.Equal(t, "charge-diagnoses", f.ElementID("diagnoses"))
}

func TestMoneyFormatsDollarsAndCents(t *testing.T) {
	assert.Equal(t, "$1,234,567.50", money(decimal.RequireFromString("1234567.5")))
	assert.Equal(t, "$0.00", money(decimal.Zero))
	assert.Equal(t, "−$15.60", money(decimal.RequireFromString("-15.6")))
	assert.Equal(t, "$125.00", money("125"))
}

func TestAPathNoPageHasIsThe404PageNotJSON(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	notFound := Mount(r, Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Roles: RoleSets{Any: auth.Roles}})
	r.NoRoute(notFound)
	rec := serve(r, http.MethodGet, "/app/no-such-page", nil)
	require.Equal(t, http.StatusNotFound, rec.Code)
	assert.Contains(t, rec.Header().Get("Content-Type"), "text/html")
	assert.Contains(t, rec.Body.String(), "/app/no-such-page was not found")
	assert.Contains(t, rec.Body.String(), `<main id="main"`, "in the application's layout")
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.True(t, IsPage("/app/x") && IsPage("/app") && !IsPage("/api/v1/x") && !IsPage("/application"))
}
