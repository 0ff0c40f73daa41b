package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/workflows/contract"
)

// fail maps any error to its problem response by its code (apperr): a domain
// package's error, or a workflow's answer carrying one. Temporal or PostgreSQL
// being out of reach (down, restarting, a connection lost) is unavailable, a
// 503 with Retry-After that a client retries; a value PostgreSQL refused
// (db.Coded) is invalid or a conflict, not an internal error. Nothing here
// names a domain package.
func (s *Server) fail(c *gin.Context, err error) {
	err = db.Coded(contract.Coded(err))
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
		s.Logger.Warn("dependency unavailable", "request_id", c.GetString(ctxRequestID), "route", c.FullPath(), "error", err)
		unavailable(c, "a service the request needs (the database or the workflow service) is not reachable just now; "+
			"retry shortly (with the same Idempotency-Key for writes that take one)")
	default:
		s.internalError(c, err)
	}
}
