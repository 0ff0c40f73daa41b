// Package validate collects field-level validation errors so a request is checked
// whole and reported at once, by field name.
package validate

import (
	"fmt"
	"strings"
)

// FieldError names one invalid field and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Errors is a set of field errors; it is an error when non-empty.
type Errors []FieldError

// Error lists every field error.
func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a field error.
func (e *Errors) Add(field, format string, args ...any) {
	*e = append(*e, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Check records a field error when ok is false.
func (e *Errors) Check(ok bool, field, format string, args ...any) {
	if !ok {
		e.Add(field, format, args...)
	}
}

// Required records an error when s is blank.
func (e *Errors) Required(field, s string) bool {
	if strings.TrimSpace(s) == "" {
		e.Add(field, "is required")
		return false
	}
	return true
}

// Err returns e as an error, or nil when there are no field errors.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}
