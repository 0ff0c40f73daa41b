package activities

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/validate"
	"github.com/clinicflow/rcm/workflows/contract"
)

// TestClassifyFailsDataErrorsAtOnce checks issue 8's "one charge request locks a
// case for good": a write PostgreSQL refuses for its data (numeric overflow, bad
// text, a string too long) used to stay retryable and held the case workflow; it
// must be a non-retryable invalid-input error naming the column, and an
// integrity violation a non-retryable conflict. A lost connection stays
// retryable.
func TestClassifyFailsDataErrorsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		pg    *pgconn.PgError
		typ   string
		code  apperr.Code
		field string
	}{
		{&pgconn.PgError{Code: "22003", Message: "numeric field overflow"}, contract.ErrTypeInvalid, apperr.Invalid, "body"},
		{&pgconn.PgError{Code: "22001", Message: "value too long", ColumnName: "reference"}, contract.ErrTypeInvalid, apperr.Invalid, "reference"},
		{&pgconn.PgError{Code: "22021", Message: "invalid byte sequence"}, contract.ErrTypeInvalid, apperr.Invalid, "body"},
		{&pgconn.PgError{Code: "22P02", Message: "invalid input syntax"}, contract.ErrTypeInvalid, apperr.Invalid, "body"},
		{&pgconn.PgError{Code: "23505", Message: "duplicate key", ConstraintName: "payments_pkey"}, contract.ErrTypeConflict, apperr.Conflict, ""},
		{&pgconn.PgError{Code: "23514", Message: "check violation", ConstraintName: "charges_units_check"}, contract.ErrTypeConflict, apperr.Conflict, ""},
	} {
		err := classify(fmt.Errorf("insert charge 1: %w", tc.pg))
		var appErr *temporal.ApplicationError
		require.True(t, errors.As(err, &appErr), tc.pg.Code)
		assert.True(t, appErr.NonRetryable(), tc.pg.Code)
		assert.Equal(t, tc.typ, appErr.Type(), tc.pg.Code)

		// The caller reads it back as its code, with the field at fault.
		back := contract.FromApplicationError(err)
		assert.Equal(t, tc.code, apperr.CodeOf(back), tc.pg.Code)
		if tc.field != "" {
			assert.Equal(t, []validate.FieldError{{Field: tc.field, Message: apperr.Fields(back)[0].Message}},
				apperr.Fields(back), tc.pg.Code)
		}
	}

	// A lost connection is retried, as an Unavailable error its caller (an
	// update that gave up) answers with a 503.
	lost := fmt.Errorf("insert charge 1: %w", &pgconn.PgError{Code: "08006", Message: "connection failure"})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(classify(lost), &appErr))
	assert.False(t, appErr.NonRetryable(), "a lost connection is retried")
	assert.Equal(t, contract.ErrTypeUnavailable, appErr.Type())
	assert.Equal(t, apperr.Unavailable, apperr.CodeOf(contract.FromApplicationError(classify(lost))))

	// A coded domain error keeps its own code.
	assert.Equal(t, apperr.NotFound, apperr.CodeOf(contract.FromApplicationError(
		classify(apperr.Errorf(apperr.NotFound, "encounter %s: %w", "e", &pgconn.PgError{Code: "22003"})))))
}

// TestOlderIntegrityErrorsReadAsConflicts checks that histories recorded before
// data errors were coded, whose activities failed as DataIntegrity, answer the
// caller with a conflict rather than an internal error.
func TestOlderIntegrityErrorsReadAsConflicts(t *testing.T) {
	old := temporal.NewNonRetryableApplicationError("duplicate key", contract.ErrTypeIntegrity, nil)
	assert.Equal(t, apperr.Conflict, apperr.CodeOf(contract.FromApplicationError(old)))
}
