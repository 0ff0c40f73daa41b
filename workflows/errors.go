package workflows

import (
	"fmt"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// invalid rejects an update with the fields at fault.
func invalid(errs validate.Errors) error {
	return contract.ApplicationError(errs)
}

// notFound rejects an update naming what does not exist.
func notFound(format string, args ...any) error {
	return contract.ApplicationError(apperr.Errorf(apperr.NotFound, format, args...))
}

// conflict rejects an update the workflow's state does not allow.
func conflict(format string, args ...any) error {
	return contract.ApplicationError(apperr.Errorf(apperr.Conflict, format, args...))
}

// activityFailure passes an activity's coded application error through to the
// update's caller, with its field details, and wraps anything else.
func activityFailure(what string, err error) error {
	if coded := contract.FromApplicationError(err); apperr.CodeOf(coded) != apperr.Internal {
		return contract.ApplicationError(coded)
	}
	return fmt.Errorf("%s: %w", what, err)
}
