package web

import (
	"net/http"

	"github.com/clinicflow/rcm/internal/billing"
)

// homePages: the start page after signing in (the landing page "/" is
// registered by Mount).
func (a *App) homePages(r *Routes) {
	r.GET("/", r.Roles().Any, a.startPage)
	r.Nav("Start", "/", r.Roles().Any)
}

// landing is "/": a newcomer is led to sign in (a signed-in user goes to
// their start page), and a developer finds the API, health checks and the
// Temporal UI as the former home page showed them.
func (a *App) landing(q *Req) {
	if q.Session != nil {
		q.Context.Redirect(http.StatusSeeOther, Prefix+"/")
		return
	}
	q.Render(http.StatusOK, "landing.html", "Welcome", a.Landing)
}

type startData struct {
	Links []navItem
	// Visits wait for charge capture (shown to those who capture charges and
	// to the front desk, who check patients in).
	Visits     []billing.OpenVisit
	ShowVisits bool
}

func (a *App) startPage(q *Req) {
	var d startData
	for _, n := range a.nav {
		if n.Href != Prefix+"/" && q.Can(n.roles) {
			d.Links = append(d.Links, n)
		}
	}
	if d.ShowVisits = q.Can(a.Roles.Clinical) || q.Can(a.Roles.FrontDesk); d.ShowVisits {
		visits, err := (&billing.Service{DB: a.DB}).OpenVisits(q.Ctx(), "", 50)
		if err != nil {
			q.Fail(err)
			return
		}
		ids := make([]string, len(visits))
		for i, v := range visits {
			ids[i] = v.PatientID
		}
		if !q.readPatients(ids...) {
			return
		}
		d.Visits = visits
	}
	q.Render(http.StatusOK, "home.html", "Start", d)
}
