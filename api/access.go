package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/records"
)

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
