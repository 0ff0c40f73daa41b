package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"go.temporal.io/sdk/temporal"

	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/workflows/contract"
)

// TestFailAnswersDatabaseDataErrorsAs4xx checks that a value PostgreSQL refused
// reaches the caller as a 400 or 409 problem, whether an activity classified it
// (and the case workflow's update passed it on) or a handler's own domain call
// returned it, never as a 500.
func TestFailAnswersDatabaseDataErrorsAs4xx(t *testing.T) {
	s := &Server{Logger: slog.New(slog.DiscardHandler)}
	overflow := &pgconn.PgError{Code: "22003", Message: "numeric field overflow"}
	for name, tc := range map[string]struct {
		err    error
		status int
	}{
		"from an activity":             {contract.ApplicationError(db.Coded(fmt.Errorf("insert charge: %w", overflow))), http.StatusBadRequest},
		"from a domain call":           {fmt.Errorf("insert patient: %w", &pgconn.PgError{Code: "22021"}), http.StatusBadRequest},
		"integrity from a domain call": {fmt.Errorf("insert: %w", &pgconn.PgError{Code: "23505"}), http.StatusConflict},
		"integrity in an old history":  {temporal.NewNonRetryableApplicationError("dup", contract.ErrTypeIntegrity, nil), http.StatusConflict},
	} {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodPost, "/", nil)
		s.fail(c, tc.err)
		assert.Equal(t, tc.status, rec.Code, "%s: %s", name, rec.Body)
		assert.Equal(t, ProblemContentType, rec.Header().Get("Content-Type"), name)
		if tc.status == http.StatusBadRequest {
			assert.Equal(t, []string{"body"}, problemFieldsOf(t, rec), name)
		}
	}
}
