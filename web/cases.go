package web

import "net/http"

// casePages: the case page (timeline, visits and charges, money, hold) and
// its forms: check in, add a coverage, capture charges, complete them.
func (a *App) casePages(r *Routes) {
	rs := r.Roles()
	r.GET("/cases/:id", rs.Any, a.casePage)
}

type caseData struct {
	CaseDetail
}

func (a *App) casePage(q *Req) {
	d, err := a.Ops.CaseDetail(q.Ctx(), q.Param("id"))
	if err != nil {
		q.Fail(err)
		return
	}
	if !q.readPatients(d.Case.PatientID) {
		return
	}
	q.Render(http.StatusOK, "case.html", "Case", caseData{CaseDetail: d})
}
