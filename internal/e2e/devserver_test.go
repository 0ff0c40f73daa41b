package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/clinicflow/rcm/internal/devserver"
)

func devEcho(_ workflow.Context, s string) (string, error) { return s, nil }

// TestTaskQueuesAreSavedWithinSeconds: rcm dev's embedded server (internal/
// devserver; it lives here because only this package links a Temporal server
// besides the binary): the history shard saves how far its task
// queues got, and deletes the tasks done, within a couple of seconds, so a
// process killed every few seconds (make chaos) does not read and check every
// task since the first again at each start. With the server's default (every
// 30 seconds) the tasks of finished workflows were still there, and a long
// chaos run starved: child workflows initiated before a kill never started.
func TestTaskQueuesAreSavedWithinSeconds(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	srv, err := devserver.Start(devserver.Options{DataDir: dir, Namespace: "default", FrontendPort: port})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })

	c, err := client.Dial(client.Options{HostPort: srv.HostPort(), Namespace: "default"})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	w := worker.New(c, "devserver-test", worker.Options{})
	w.RegisterWorkflow(devEcho)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 5 {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("echo-%d", i), TaskQueue: "devserver-test"}, devEcho, "hi")
		require.NoError(t, err)
		var out string
		require.NoError(t, run.Get(ctx, &out))
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "temporal.db")+"?mode=ro")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	_, err = db.Exec(`PRAGMA busy_timeout = 10000`)
	require.NoError(t, err)
	// Every transfer and visibility task written so far belongs to finished
	// work: once the queues are saved, none is left.
	var lastTransfer, lastVisibility int64
	require.NoError(t, db.QueryRow(`SELECT coalesce(max(task_id), 0) FROM transfer_tasks`).Scan(&lastTransfer))
	require.NoError(t, db.QueryRow(`SELECT coalesce(max(task_id), 0) FROM visibility_tasks`).Scan(&lastVisibility))
	require.Positive(t, lastTransfer)
	left := func() int64 {
		var a, b int64
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM transfer_tasks WHERE task_id <= ?`, lastTransfer).Scan(&a))
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM visibility_tasks WHERE task_id <= ?`, lastVisibility).Scan(&b))
		return a + b
	}
	require.Eventually(t, func() bool { return left() == 0 }, 8*time.Second, 200*time.Millisecond,
		"the tasks of finished workflows are still queued: the queues were not saved")
}
