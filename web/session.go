package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/auth"
)

// Cookies of the application. Both are HttpOnly and SameSite=Lax, and Secure
// when the request came over TLS (directly or per X-Forwarded-Proto).
const (
	// sessionCookie carries the session token (auth.StartSession).
	sessionCookie = "rcm_session"
	// preCSRFCookie protects the sign-in form, before there is a session: the
	// form sends back the cookie's value (double submit).
	preCSRFCookie = "rcm_signin_csrf"
	// flashCookie carries a one-line confirmation to the page after a redirect
	// (never patient details).
	flashCookie = "rcm_flash"
	// csrfField is the hidden form field holding the CSRF token.
	csrfField  = "csrf"
	ctxSession = "web_session"
)

// secure says whether cookies must be Secure: the request reached us over TLS,
// or a proxy in front says it did.
func secure(c *gin.Context) bool {
	return c.Request.TLS != nil || strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https")
}

func setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure(c), SameSite: http.SameSiteLaxMode})
}

// session loads the signed-in session, if the cookie names a live one.
func (a *App) session(c *gin.Context) {
	tok, err := c.Cookie(sessionCookie)
	if err == nil && tok != "" {
		s, err := a.auth.Session(c.Request.Context(), tok)
		switch {
		case err == nil:
			c.Set(ctxSession, &s)
			// The domain functions the pages call keep to the user's
			// locations, as they do for the API (internal/access).
			c.Request = c.Request.WithContext(access.With(c.Request.Context(), s.User.Scope()))
		case errors.Is(err, auth.ErrNoSession):
			setCookie(c, sessionCookie, "", -1)
		default:
			a.req(c).Fail(err)
			c.Abort()
			return
		}
	}
	c.Next()
}

// checkCSRF refuses a form post whose CSRF token does not match the session's
// (or, for the sign-in form, the pre-session cookie's).
func (a *App) checkCSRF(c *gin.Context) {
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		c.Next()
		return
	}
	want := ""
	if s, ok := c.Get(ctxSession); ok {
		want = s.(*auth.WebSession).CSRF
	} else if v, err := c.Cookie(preCSRFCookie); err == nil {
		want = v
	}
	got := c.PostForm(csrfField)
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		q := a.req(c)
		q.errorPage(http.StatusForbidden, "Form expired",
			"This form could not be accepted: it was not sent from a page of this application, or your session ended meanwhile. Go back, reload the page and try again.")
		c.Abort()
		return
	}
	c.Next()
}

// signedIn sends a visitor without a session to the sign-in page (and a user
// who must choose a password to that page first).
func (a *App) signedIn(c *gin.Context) {
	s, ok := c.Get(ctxSession)
	if !ok {
		if c.Request.Method == http.MethodGet {
			c.Redirect(http.StatusSeeOther, Prefix+"/signin?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		} else {
			a.req(c).errorPage(http.StatusUnauthorized, "Signed out", "Your session has ended. Sign in again, then repeat what you were doing.")
		}
		c.Abort()
		return
	}
	if p := c.FullPath(); s.(*auth.WebSession).MustChangePassword && p != Prefix+"/account/password" && p != Prefix+"/signout" {
		c.Redirect(http.StatusSeeOther, Prefix+"/account/password")
		c.Abort()
		return
	}
	c.Next()
}

// newPreCSRF sets a fresh pre-session CSRF cookie and returns its value.
func newPreCSRF(c *gin.Context) string {
	if v, err := c.Cookie(preCSRFCookie); err == nil && len(v) >= 32 {
		return v
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	v := base64.RawURLEncoding.EncodeToString(b[:])
	setCookie(c, preCSRFCookie, v, 3600)
	return v
}

// safeNext is a local page to go to after signing in, or the home page.
func safeNext(next string) string {
	if strings.HasPrefix(next, Prefix+"/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return Prefix + "/"
}
