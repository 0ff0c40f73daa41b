package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/billing"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// fail maps a domain or workflow error to its problem response.
func (s *Server) fail(c *gin.Context, err error) {
	var fe validate.Errors
	var appErr *temporal.ApplicationError
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	switch {
	case errors.As(err, &fe):
		invalid(c, fe)
	case errors.Is(err, records.ErrNotFound), errors.Is(err, billing.ErrNotFound), errors.Is(err, tasks.ErrNotFound):
		notFound(c, "the resource")
	case errors.Is(err, billing.ErrIdempotencyConflict):
		problem(c, http.StatusConflict, ProblemConflict, "Idempotency key reused",
			"this Idempotency-Key was already used for a request with different content")
	case errors.Is(err, auth.ErrEmailTaken):
		problem(c, http.StatusConflict, ProblemConflict, "Conflict", err.Error(),
			validate.FieldError{Field: "email", Message: "is already used by another user"})
	case errors.Is(err, tasks.ErrNotClaimable):
		conflictProblem(c, err.Error())
	case errors.As(err, &appErr):
		switch appErr.Type() {
		case contract.ErrTypeInvalid:
			var details []validate.FieldError
			_ = appErr.Details(&details)
			invalid(c, details)
		case contract.ErrTypeNotFound:
			problem(c, http.StatusNotFound, ProblemNotFound, "Not found", appErr.Message())
		case contract.ErrTypeConflict:
			conflictProblem(c, appErr.Message())
		default:
			s.internalError(c, err)
		}
	case errors.As(err, &unavailable), errors.As(err, &deadline):
		s.Logger.Warn("temporal unavailable", "request_id", c.GetString(ctxRequestID), "error", err)
		problem(c, http.StatusServiceUnavailable, ProblemUnavailable, "Service unavailable",
			"the workflow service is not reachable; retry shortly (with the same Idempotency-Key for payments)")
	default:
		s.internalError(c, err)
	}
}
