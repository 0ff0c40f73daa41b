package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// invalid rejects an update with the fields at fault.
func invalid(errs validate.Errors) error {
	return temporal.NewNonRetryableApplicationError(errs.Error(), contract.ErrTypeInvalid, nil, []validate.FieldError(errs))
}

// notFound rejects an update naming what does not exist.
func notFound(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), contract.ErrTypeNotFound, nil)
}

// conflict rejects an update the workflow's state does not allow.
func conflict(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), contract.ErrTypeConflict, nil)
}

// activityFailure passes an activity's typed application error through to the
// update's caller, with its field details, and wraps anything else.
func activityFailure(what string, err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case contract.ErrTypeInvalid:
			var fe []validate.FieldError
			_ = appErr.Details(&fe)
			return invalid(fe)
		case contract.ErrTypeNotFound, contract.ErrTypeConflict:
			return temporal.NewNonRetryableApplicationError(appErr.Message(), appErr.Type(), nil)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}
