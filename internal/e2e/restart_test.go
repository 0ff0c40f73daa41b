package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/pgtest"
	"github.com/clinicflow/rcm/internal/testenv"
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
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
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
// `make run` runs) on a fresh data folder and database, checks a patient in, stops
// it with SIGINT, starts it again on the same folder, and finds the case workflow
// still there, answering and accepting new events.
func TestDevRestartKeepsWorkflows(t *testing.T) {
	bin := rcmBinary(t)

	dataDir := t.TempDir()
	httpPort := freePort(t)
	env := append(os.Environ(),
		"DATA_DIR="+dataDir,
		"DATABASE_URL="+pgtest.NewDSN(t),
		fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", httpPort),
		fmt.Sprintf("TEMPORAL_PORT=%d", freePort(t)),
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

	stop := start()
	tokBytes, err := os.ReadFile(filepath.Join(dataDir, "admin-token"))
	require.NoError(t, err, "make run bootstraps an admin token")
	tok := strings.TrimSpace(string(tokBytes))
	e := testenv.Remote(t, base, tok)
	p := setupPractice(t, e)
	_, caseID := newPatientCase(t, e, tok, "private")
	encID := e.MustDo(201, "POST", "/api/v1/cases/"+caseID+"/check-ins", tok, map[string]any{
		"provider_id": p.provider, "location_id": p.location}).Map(t)["id"].(string)
	stop()

	stop = start()
	defer stop()
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
