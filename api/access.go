package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/clinicflow/rcm/internal/access"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/records"
)

// practiceWide are the routes over records that belong to no one location:
// the books (every /accounting route), the audit log, the KPIs and the
// dashboard (computed from the whole ledger), collection agency files, inbound
// EDI files (one 835 pays claims of every location) and the package expiry
// sweep. Only users who work at every location may use them; a user limited
// to some locations gets 403 whatever their role.
var practiceWide = []string{
	"GET /api/v1/audit", "GET /api/v1/audit/verify",
	"GET /api/v1/reports/kpis", "GET /api/v1/dashboard",
	"GET /api/v1/collections/exports", "GET /api/v1/collections/exports/:id",
	"POST /api/v1/edi/files", "POST /api/v1/packages/expire",
}

// PracticeWide reports whether a route (method and gin route template, such
// as "GET /api/v1/audit") is only for users who work at every location.
func PracticeWide(method, route string) bool {
	return strings.HasPrefix(route, "/api/v1/accounting/") || slices.Contains(practiceWide, method+" "+route)
}

// enterScope puts the user's location scope in the request's context, where
// the domain packages' list and detail functions read it (package access), and
// refuses a practice-wide route to a user limited to some locations.
func (s *Server) enterScope(c *gin.Context, u auth.User) bool {
	sc := u.Scope()
	if sc.Limited() && PracticeWide(c.Request.Method, c.FullPath()) {
		problem(c, http.StatusForbidden, ProblemForbidden, "Forbidden",
			"this covers every location; you are limited to some locations (ask an admin)")
		return false
	}
	c.Request = c.Request.WithContext(access.With(c.Request.Context(), sc))
	return true
}

type userLocationsRequest struct {
	// LocationIDs are the locations the user is limited to; empty or absent:
	// every location.
	LocationIDs []string `json:"location_ids"`
}

// setUserLocations replaces the locations a user is limited to.
func (s *Server) setUserLocations(c *gin.Context) {
	var in userLocationsRequest
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusOK)(shown(showUser)(s.auth.SetLocations(c.Request.Context(), c.Param("id"), in.LocationIDs, actor(c))))
}

// readPatients records that the user read these patients' records through
// the current route. A read that cannot be recorded is not answered: the
// request fails instead.
func (s *Server) readPatients(c *gin.Context, patientIDs ...string) bool {
	err := audit.RecordAccess(c.Request.Context(), s.DB, actor(c), c.Request.Method+" "+c.FullPath(), patientIDs...)
	if err != nil {
		s.fail(c, err)
		return false
	}
	return true
}

// patientAccessLog lists who read a patient's record, newest first.
func (s *Server) patientAccessLog(c *gin.Context) {
	if !onlyQuery(c, "limit") {
		return
	}
	var p records.Patient
	if err := s.records.Get(c.Request.Context(), &p, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	limit, ok := limitParam(c)
	if !ok {
		return
	}
	list, err := audit.Accesses(c.Request.Context(), s.DB, p.ID, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	if list == nil {
		list = []audit.Access{}
	}
	c.JSON(http.StatusOK, gin.H{"patient_id": p.ID, "items": list})
}

// updatePatient changes a patient's registration; the audit row carries the
// fields before and after, PHI masked.
func (s *Server) updatePatient(c *gin.Context) {
	var in records.PatientChange
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusOK)(shown(showPatient)(s.records.UpdatePatient(c.Request.Context(), c.Param("id"), in, actor(c))))
}
