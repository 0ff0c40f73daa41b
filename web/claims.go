package web

import "net/http"

// claimPages: the claim page (timeline, what it waits for, lines, payments,
// the 837P and 835, tasks, the workflow link).
func (a *App) claimPages(r *Routes) {
	rs := r.Roles()
	r.GET("/claims/:id", rs.Billers, a.claimPage)
}

func (a *App) claimPage(q *Req) {
	cl, _, err := a.claims.Get(q.Ctx(), q.Param("id"))
	if err != nil {
		q.Fail(err)
		return
	}
	q.Render(http.StatusOK, "claim.html", "Claim", cl)
}
