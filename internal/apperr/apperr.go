// Package apperr is the product's one error vocabulary: a small set of codes that
// say what kind of failure an error is, whatever package raised it. Domain
// packages return (or wrap) errors carrying a code; the edges map codes once: the
// activities to Temporal application error types (workflows/contract), the HTTP
// API to problem+json (api/errors.go). A new domain package needs no entry in
// either mapping.
package apperr

import (
	"errors"
	"fmt"

	"github.com/clinicflow/rcm/internal/validate"
)

// Code says what kind of failure an error is.
type Code string

// Error codes.
const (
	// Invalid: the input is wrong; the error names the fields at fault.
	Invalid Code = "invalid"
	// NotFound: what the request names does not exist.
	NotFound Code = "not_found"
	// Conflict: the request contradicts the current state (a reused idempotency
	// key, a step the entity's stage does not allow).
	Conflict Code = "conflict"
	// Unauthorized: the caller is not authenticated.
	Unauthorized Code = "unauthorized"
	// Forbidden: the caller may not do this.
	Forbidden Code = "forbidden"
	// Unavailable: a dependency is down; retrying later can succeed.
	Unavailable Code = "unavailable"
	// Internal: anything else, a bug or an unexpected failure.
	Internal Code = "internal"
)

// Error is an error with a code, a message fit for the caller and, for Invalid,
// the fields at fault. It may wrap a cause.
type Error struct {
	Code    Code
	Message string
	Fields  []validate.FieldError
	Err     error
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code, for a package's sentinel errors:
//
//	var ErrNotFound = apperr.New(apperr.NotFound, "not found")
func New(code Code, message string, fields ...validate.FieldError) *Error {
	return &Error{Code: code, Message: message, Fields: fields}
}

// Errorf returns an error with a code and a formatted message; a %w verb wraps a
// cause as fmt.Errorf does.
func Errorf(code Code, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// CodeOf is the code of err: the first coded error in its chain, Invalid for
// validate.Errors, "" for nil and Internal for anything else.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	var fe validate.Errors
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.As(err, &fe):
		return Invalid
	}
	return Internal
}

// Fields are the field errors err carries, if any.
func Fields(err error) []validate.FieldError {
	var e *Error
	var fe validate.Errors
	switch {
	case errors.As(err, &e) && len(e.Fields) > 0:
		return e.Fields
	case errors.As(err, &fe):
		return fe
	}
	return nil
}
