package web

import (
	"errors"
	"net/http"

	"github.com/clinicflow/rcm/internal/auth"
)

// accountPages: signing in and out, and choosing one's own password.
func (a *App) accountPages(r *Routes) {
	r.Public(http.MethodGet, "/signin", a.signInPage)
	r.Public(http.MethodPost, "/signin", a.signIn)
	r.POST("/signout", r.Roles().Any, a.signOut)
	r.GET("/account/password", r.Roles().Any, a.passwordPage)
	r.POST("/account/password", r.Roles().Any, a.changePassword)
}

type signInData struct {
	Next string
}

func (a *App) signInPage(q *Req) {
	if q.Session != nil {
		q.Context.Redirect(http.StatusSeeOther, safeNext(q.Query("next")))
		return
	}
	f := NewForm("signin")
	f.csrf = newPreCSRF(q.Context)
	q.RenderForm(http.StatusOK, "signin.html", "Sign in", f, signInData{Next: safeNext(q.Query("next"))})
}

// signIn checks the email and password (auth.CheckPassword counts failures and
// locks the user out after auth.MaxFailedSignIns), then starts a session with a
// new token, so a session id planted before sign-in is worthless.
func (a *App) signIn(q *Req) {
	f := q.PostedForm("signin")
	f.csrf = newPreCSRF(q.Context)
	password := f.Values.Get("password")
	f.Values.Del("password") // never echoed back into the page
	data := signInData{Next: safeNext(f.Get("next"))}
	if !f.Valid() {
		q.RenderForm(http.StatusBadRequest, "signin.html", "Sign in", f, data)
		return
	}
	if f.Get("email") == "" {
		f.Add("email", "is required")
	}
	if password == "" {
		f.Add("password", "is required")
	}
	if !f.Valid() {
		q.RenderForm(http.StatusBadRequest, "signin.html", "Sign in", f, data)
		return
	}
	u, err := a.auth.CheckPassword(q.Ctx(), f.Get("email"), password)
	if errors.Is(err, auth.ErrBadCredentials) || errors.Is(err, auth.ErrLockedOut) {
		f.Problem = &Problem{Status: http.StatusUnauthorized, Title: "Sign-in refused", Detail: err.Error()}
		q.RenderForm(http.StatusUnauthorized, "signin.html", "Sign in", f, data)
		return
	}
	if err != nil {
		q.Fail(err)
		return
	}
	tok, err := a.auth.StartSession(q.Ctx(), u, q.Actor())
	if err != nil {
		q.Fail(err)
		return
	}
	// Sweep sessions nobody can use any more; a failure only leaves them longer.
	if err := a.auth.PruneSessions(q.Ctx()); err != nil {
		a.Logger.Warn("prune sessions", "request_id", q.GetString("request_id"), "error", err)
	}
	setCookie(q.Context, sessionCookie, tok, int(auth.SessionMaxAge.Seconds()))
	setCookie(q.Context, preCSRFCookie, "", -1)
	q.Redirect(data.Next, "")
}

func (a *App) signOut(q *Req) {
	if tok, err := q.Cookie(sessionCookie); err == nil {
		if err := a.auth.EndSession(q.Ctx(), tok, q.Actor()); err != nil {
			q.Fail(err)
			return
		}
	}
	setCookie(q.Context, sessionCookie, "", -1)
	q.Session = nil
	q.Redirect(Prefix+"/signin", "You are signed out.")
}

func (a *App) passwordPage(q *Req) {
	q.RenderForm(http.StatusOK, "account_password.html", "Choose your password", NewForm("pw"), nil)
}

// changePassword sets the user's own password: the current one is asked for
// again, so a session left open is not enough to take the account over.
func (a *App) changePassword(q *Req) {
	f := q.PostedForm("pw")
	title := "Choose your password"
	cur, next, again := f.Values.Get("current_password"), f.Values.Get("new_password"), f.Values.Get("confirm_password")
	f.Values = nil // never echo passwords
	if !f.Valid() {
		q.RenderForm(http.StatusBadRequest, "account_password.html", title, f, nil)
		return
	}
	if _, err := a.auth.CheckPassword(q.Ctx(), q.User().Email, cur); err != nil {
		if errors.Is(err, auth.ErrBadCredentials) || errors.Is(err, auth.ErrLockedOut) {
			f.Add("current_password", "is not right")
			q.RenderForm(http.StatusBadRequest, "account_password.html", title, f, nil)
			return
		}
		q.Fail(err)
		return
	}
	for _, e := range auth.CheckPasswordRules("new_password", next) {
		f.Add(e.Field, "%s", e.Message)
	}
	if next != again {
		f.Add("confirm_password", "does not match the new password")
	}
	if next == cur && next != "" {
		f.Add("new_password", "must differ from the current password")
	}
	if !f.Valid() {
		q.RenderForm(http.StatusBadRequest, "account_password.html", title, f, nil)
		return
	}
	// SetPassword ends every session of the user, this one too: sign in again.
	if err := a.auth.SetPassword(q.Ctx(), q.User().ID, next, false, q.Actor()); err != nil {
		q.Fail(err)
		return
	}
	setCookie(q.Context, sessionCookie, "", -1)
	q.Redirect(Prefix+"/signin", "Your password is set. Sign in with it.")
}
