package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/testenv"
)

// TestReadyMeansAWorkerCanServe: a frontend that answers health checks is not
// ready while no worker polls the task queue (after a restart, writes failed for
// tens of seconds while /readyz said 200). /readyz is 503 naming the workers until
// one polls, then 200, and a write that needs the worker succeeds at once.
func TestReadyMeansAWorkerCanServe(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	var checks map[string]string
	e.MustDo(503, "GET", "/readyz", "", nil).JSON(t, &checks)
	assert.Equal(t, "ok", checks["database"])
	assert.Equal(t, "ok", checks["temporal"])
	assert.Contains(t, checks["workers"], "no worker polls task queue")

	e.StartWorker()
	require.Eventually(t, func() bool { return e.Do("GET", "/readyz", "", nil).Status == 200 },
		settle, 100*time.Millisecond, "ready once the worker polls")
	e.MustDo(200, "GET", "/readyz", "", nil).JSON(t, &checks)
	assert.Equal(t, "ok", checks["workers"])

	p := setupPractice(t, e)
	_, caseID := newPatientCase(t, e, e.AdminToken, "private")
	checkIn(t, e, e.AdminToken, p, caseID) // an update the case workflow answers
}
