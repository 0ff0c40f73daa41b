package contract

import (
	"errors"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/validate"
)

// Error type names of the non-retryable application errors that activities return
// and updates answer with, for workflows and callers to switch on. They are
// recorded in histories: keep the values.
const (
	// ErrTypeInvalid carries []validate.FieldError details naming the fields.
	ErrTypeInvalid      = "InvalidInput"
	ErrTypeNotFound     = "NotFound"
	ErrTypeConflict     = "Conflict"
	ErrTypeUnauthorized = "Unauthorized"
	ErrTypeForbidden    = "Forbidden"
	// ErrTypeIntegrity marked a write the database refused for its constraints
	// in older histories; such writes now fail as ErrTypeConflict (or
	// ErrTypeInvalid for data errors), and callers read this type as a conflict.
	ErrTypeIntegrity = "DataIntegrity"
	// ErrTypeUnreadable marks an inbound file that does not parse; its message
	// names the segment and position at fault.
	ErrTypeUnreadable = "UnreadableFile"
	// ErrTypeUnavailable marks a retryable failure of a dependency (the
	// database unreachable or restarting): retried like any other, and an
	// update that gives up on it answers its caller "unavailable" (a 503 to
	// retry), not an internal error.
	ErrTypeUnavailable = "Unavailable"
)

// errTypes names the application error type of each error code a retry cannot
// mend. Unavailable and Internal are absent: those errors stay retryable.
var errTypes = map[apperr.Code]string{
	apperr.Invalid:      ErrTypeInvalid,
	apperr.NotFound:     ErrTypeNotFound,
	apperr.Conflict:     ErrTypeConflict,
	apperr.Unauthorized: ErrTypeUnauthorized,
	apperr.Forbidden:    ErrTypeForbidden,
}

// errCodes is errTypes reversed, with the older type names it still reads.
var errCodes = map[string]apperr.Code{
	ErrTypeInvalid:      apperr.Invalid,
	ErrTypeNotFound:     apperr.NotFound,
	ErrTypeConflict:     apperr.Conflict,
	ErrTypeUnauthorized: apperr.Unauthorized,
	ErrTypeForbidden:    apperr.Forbidden,
	ErrTypeIntegrity:    apperr.Conflict,
	ErrTypeUnavailable:  apperr.Unavailable,
}

// ApplicationError is how an activity or an update handler fails with err: a
// coded error a retry cannot mend becomes a non-retryable application error
// whose type is its code's name (Invalid carries its field errors as details);
// an unavailable dependency is a retryable application error of type
// ErrTypeUnavailable; anything else (internal, nil) is returned as it is and
// retried.
func ApplicationError(err error) error {
	code := apperr.CodeOf(err)
	if code == apperr.Unavailable {
		return temporal.NewApplicationErrorWithCause(err.Error(), ErrTypeUnavailable, err)
	}
	typ, ok := errTypes[code]
	if !ok {
		return err
	}
	if code != apperr.Invalid {
		return temporal.NewNonRetryableApplicationError(err.Error(), typ, nil)
	}
	msg := err.Error()
	var fe validate.Errors
	if errors.As(err, &fe) {
		msg = fe.Error()
	}
	return temporal.NewNonRetryableApplicationError(msg, typ, nil, apperr.Fields(err))
}

// FromApplicationError is ApplicationError reversed, for callers of workflows: an
// application error of a coded type becomes an *apperr.Error with its message
// and field errors; any other error is returned as it is.
func FromApplicationError(err error) error {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return err
	}
	code, ok := errCodes[appErr.Type()]
	if !ok {
		return err
	}
	var fields []validate.FieldError
	if code == apperr.Invalid {
		_ = appErr.Details(&fields)
	}
	return &apperr.Error{Code: code, Message: appErr.Message(), Fields: fields, Err: err}
}

// Coded is the coded form (apperr) of an error a caller of workflows got: the
// Temporal service out of reach, or a call to it out of time, is Unavailable;
// an application error of a coded type is that code (FromApplicationError);
// anything else is returned as it is. The API and the web pages answer by it
// (with db.Coded for the database's errors).
func Coded(err error) error {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	if errors.As(err, &unavailable) || errors.As(err, &deadline) {
		return apperr.Errorf(apperr.Unavailable, "%w", err)
	}
	return FromApplicationError(err)
}
