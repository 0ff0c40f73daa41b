package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/workflows/contract"
)

// fail maps any error to its problem response by its code (apperr): a domain
// package's error, or a workflow's answer carrying one. Temporal being out of
// reach is unavailable; a value PostgreSQL refused (db.Coded) is invalid or a
// conflict, not an internal error. Nothing here names a domain package.
func (s *Server) fail(c *gin.Context, err error) {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	if errors.As(err, &unavailable) || errors.As(err, &deadline) {
		err = apperr.Errorf(apperr.Unavailable, "%w", err)
	}
	err = db.Coded(contract.FromApplicationError(err))
	switch apperr.CodeOf(err) {
	case apperr.Invalid:
		invalid(c, apperr.Fields(err))
	case apperr.NotFound:
		problem(c, http.StatusNotFound, ProblemNotFound, "Not found", err.Error())
	case apperr.Conflict:
		problem(c, http.StatusConflict, ProblemConflict, "Conflict", err.Error(), apperr.Fields(err)...)
	case apperr.Unauthorized:
		problem(c, http.StatusUnauthorized, ProblemUnauthorized, "Unauthorized", err.Error())
	case apperr.Forbidden:
		problem(c, http.StatusForbidden, ProblemForbidden, "Forbidden", err.Error())
	case apperr.Unavailable:
		s.Logger.Warn("dependency unavailable", "request_id", c.GetString(ctxRequestID), "error", err)
		problem(c, http.StatusServiceUnavailable, ProblemUnavailable, "Service unavailable",
			"the workflow service is not reachable; retry shortly (with the same Idempotency-Key for payments)")
	default:
		s.internalError(c, err)
	}
}
