package api

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHomePageShowsTheConfiguredPlaces(t *testing.T) {
	s := &Server{
		Logger:        slog.New(slog.DiscardHandler),
		WorkflowLinks: WorkflowLinks{UIURL: "http://127.0.0.1:18233", Namespace: "clinic"},
		Dev:           DevInfo{TokenHint: "export RCM_TOKEN=$(cat /srv/rcm/admin-token)", TemporalAddress: "127.0.0.1:17233"},
	}
	rec := httptest.NewRecorder()
	s.Router().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	assert.Contains(t, body, "/srv/rcm/admin-token", "the token file under DATA_DIR, not .data")
	assert.Contains(t, body, "127.0.0.1:17233", "the frontend on TEMPORAL_PORT, not 7233")
	assert.Contains(t, body, `href="http://127.0.0.1:18233/namespaces/clinic/workflows"`)
	assert.NotContains(t, body, ".data/admin-token")
	assert.NotContains(t, body, ":7233")
}

func TestHomePageWithoutUIOrDevServer(t *testing.T) {
	rec := httptest.NewRecorder()
	(&Server{Logger: slog.New(slog.DiscardHandler)}).Router().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.NotContains(t, rec.Body.String(), "Temporal Web UI", "no UI link when no UI is known")
	assert.NotContains(t, rec.Body.String(), "admin-token")
}

func TestWorkflowLinkEscapesTheID(t *testing.T) {
	l := WorkflowLinks{UIURL: "http://127.0.0.1:8233/", Namespace: "default"}
	assert.Equal(t, "http://127.0.0.1:8233/namespaces/default/workflows/case%2F0b7c", l.URL("case/0b7c"))
	assert.Empty(t, WorkflowLinks{}.URL("case/0b7c"), "no UI, no link")
}
