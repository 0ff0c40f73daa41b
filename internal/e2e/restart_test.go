package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/workflows/contract"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
)

// rcmBinary builds the rcm command once per test run.
func rcmBinary(t *testing.T) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rcm-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "rcm")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/clinicflow/rcm")
		// The toolchain this test was built with (go.mod needs it; an older go
		// command on PATH fetches it once).
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+runtime.Version())
		buildOut, buildErr = cmd.CombinedOutput()
	})
	require.NoError(t, buildErr, "build rcm: %s", buildOut)
	return binPath
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestDevRestartKeepsWorkflows builds the rcm binary and runs `rcm dev` (what
// `make run` runs) on a fresh data folder and database, checks a patient in, finds
// the case workflow in the Temporal Web UI it serves, stops it with SIGINT, starts
// it again on the same folder, and finds the case workflow still there, answering
// and accepting new events.
func TestDevRestartKeepsWorkflows(t *testing.T) {
	bin := rcmBinary(t)

	dataDir := t.TempDir()
	httpPort, uiPort := freePort(t), freePort(t)
	dsn := pgtest.NewDSN(t)
	env := append(os.Environ(),
		"DATA_DIR="+dataDir,
		"DATABASE_URL="+dsn,
		fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", httpPort),
		fmt.Sprintf("TEMPORAL_PORT=%d", freePort(t)),
		fmt.Sprintf("TEMPORAL_UI_PORT=%d", uiPort), "TEMPORAL_UI_URL=",
		// Its own development mail port: another rcm dev on the machine (make
		// run, make demo) holds the default 2525.
		fmt.Sprintf("DEV_SMTP_ADDR=127.0.0.1:%d", freePort(t)),
		"ENCRYPTION_KEY=", "TEMPORAL_ADDRESS=", "LOG_LEVEL=warn",
	)
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)

	start := func() (stop func()) {
		var logs bytes.Buffer
		cmd := exec.Command(bin, "dev")
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = &logs, &logs
		require.NoError(t, cmd.Start())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		ready := false
		deadline := time.Now().Add(2 * time.Minute)
		for !ready && time.Now().Before(deadline) {
			select {
			case err := <-done:
				t.Fatalf("rcm dev exited early: %v\n%s", err, logs.String())
			case <-time.After(250 * time.Millisecond):
			}
			if r, err := http.Get(base + "/readyz"); err == nil {
				ready = r.StatusCode == 200
				r.Body.Close()
			}
		}
		require.True(t, ready, "rcm dev did not become ready:\n%s", logs.String())
		return func() {
			require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
			select {
			case err := <-done:
				require.NoError(t, err, "rcm dev did not stop cleanly:\n%s", logs.String())
			case <-time.After(time.Minute):
				_ = cmd.Process.Kill()
				t.Fatalf("rcm dev did not stop within a minute:\n%s", logs.String())
			}
		}
	}

	require.NoError(t, os.Chmod(dataDir, 0o755)) // as a loose umask would leave it
	stop := start()
	assertOwnerOnly(t, dataDir)
	tokBytes, err := os.ReadFile(filepath.Join(dataDir, "admin-token"))
	require.NoError(t, err, "make run bootstraps an admin token")
	tok := strings.TrimSpace(string(tokBytes))
	e := testenv.Remote(t, base, tok)
	p := setupPractice(t, e)
	_, caseID := newPatientCase(t, e, tok, "private")
	encID := checkIn(t, e, tok, p, caseID)
	checkTemporalUI(t, fmt.Sprintf("http://127.0.0.1:%d", uiPort), contract.CaseWorkflowID(caseID),
		getCase(t, e, tok, caseID).WorkflowURL)
	stop()

	// A coverage written in plain text, as before PHI was sealed at rest: the
	// next start seals it (and gives it its lookup hash), and it reads as before.
	owner, err := db.Open(context.Background(), dsn)
	require.NoError(t, err)
	defer func() { _ = db.SQL(owner).Close() }()
	require.NoError(t, owner.Exec(`INSERT INTO payers (id, name, payer_id, type) VALUES (gen_random_uuid(), 'Legacy', 'LEGACY1', 'commercial')`).Error)
	require.NoError(t, owner.Exec(`INSERT INTO coverages (id, case_id, payer_id, priority, member_id, group_number, effective_from)
		SELECT gen_random_uuid(), ?, id, 'primary', 'LEGACY123', 'G-9', '2026-01-01' FROM payers WHERE payer_id = 'LEGACY1'`, caseID).Error)

	stop = start()
	defer stop()
	var sealed struct{ MemberID, GroupNumber, MemberIDHash string }
	require.NoError(t, owner.Raw(`SELECT member_id, group_number, coalesce(member_id_hash, '') AS member_id_hash
		FROM coverages WHERE case_id = ?`, caseID).Scan(&sealed).Error)
	assert.Regexp(t, `^phi1:k1:`, sealed.MemberID, "rcm dev seals plain rows at start")
	assert.Regexp(t, `^phi1:k1:`, sealed.GroupNumber)
	assert.Regexp(t, `^[0-9a-f]{64}$`, sealed.MemberIDHash)
	var covs struct {
		Items []map[string]any `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/cases/"+caseID+"/coverages", tok, nil).JSON(t, &covs)
	require.Len(t, covs.Items, 1)
	assert.Equal(t, "LEGACY123", covs.Items[0]["member_id"])
	var d caseDetail
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		r := e.Do("GET", "/api/v1/cases/"+caseID, tok, nil)
		if r.Status == 200 {
			r.JSON(t, &d)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	require.Len(t, d.Encounters, 1, "the case workflow survived the restart")
	require.Equal(t, encID, d.Encounters[0].ID)
	require.Equal(t, cases.StageChargeCapture, d.Stage)
	e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/encounters/"+encID+"/charges", tok,
		map[string]any{"procedure_code": "99213", "diagnoses": []string{"E11.9"}})
	d = getCase(t, e, tok, caseID)
	require.Len(t, d.Encounters[0].Charges, 1)
	require.True(t, d.InAgreement)
}

// checkTemporalUI checks that the Temporal Web UI `rcm dev` serves answers with
// its page, that its API (what the page reads) lists the workflow, and that the
// case's workflow_url opens that workflow there.
func checkTemporalUI(t *testing.T, ui, workflowID, workflowURL string) {
	t.Helper()
	get := func(u string) (int, string) {
		r, err := http.Get(u)
		require.NoError(t, err, "GET %s", u)
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		return r.StatusCode, string(b)
	}
	status, page := get(ui + "/")
	require.Equal(t, http.StatusOK, status)
	// The UI is a single-page app: its page loads its entry script, which the
	// server must serve too.
	entry := regexp.MustCompile(`/_app/immutable/entry/start\.[^"]+\.js`).FindString(page)
	require.NotEmpty(t, entry, "the UI's own page, not ours:\n%s", page)
	status, script := get(ui + entry)
	require.Equal(t, http.StatusOK, status)
	require.NotEmpty(t, script)

	list := ui + "/api/v1/namespaces/default/workflows?query=" + url.QueryEscape(fmt.Sprintf("WorkflowId = %q", workflowID))
	var found struct {
		Executions []struct {
			Execution struct {
				WorkflowID string `json:"workflowId"`
			} `json:"execution"`
			Type struct {
				Name string `json:"name"`
			} `json:"type"`
		} `json:"executions"`
	}
	deadline := time.Now().Add(settle) // visibility is eventually consistent
	for {
		status, body := get(list)
		require.Equal(t, http.StatusOK, status, "%s", body)
		require.NoError(t, json.Unmarshal([]byte(body), &found), body)
		if len(found.Executions) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	require.Len(t, found.Executions, 1, "the UI lists the case workflow")
	require.Equal(t, workflowID, found.Executions[0].Execution.WorkflowID)
	require.Equal(t, "CaseWorkflow", found.Executions[0].Type.Name)

	require.Equal(t, ui+"/namespaces/default/workflows/"+url.PathEscape(workflowID), workflowURL,
		"the case answer links to its workflow in the UI")
	status, page = get(workflowURL)
	require.Equal(t, http.StatusOK, status, "the UI serves the workflow's page")
	require.Contains(t, page, entry)
}

// assertOwnerOnly checks DATA_DIR as `rcm dev` leaves it: the folder 0700; its
// keys, admin token and temporal.db (with -wal and -shm) 0600.
func assertOwnerOnly(t *testing.T, dataDir string) {
	t.Helper()
	st, err := os.Stat(dataDir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm(), "DATA_DIR")
	for _, name := range []string{"encryption.key", "phi.key", "phi-lookup.key", "admin-token",
		"temporal/temporal.db", "temporal/temporal.db-wal", "temporal/temporal.db-shm"} {
		st, err := os.Stat(filepath.Join(dataDir, name))
		if name != "temporal/temporal.db" && strings.HasPrefix(name, "temporal/") && os.IsNotExist(err) {
			continue // SQLite had no reason to make it
		}
		require.NoError(t, err, name)
		assert.Zero(t, st.Mode().Perm()&0o077, "%s is %v: readable by others than its owner", name, st.Mode().Perm())
	}
}
