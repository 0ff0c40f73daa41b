package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetricsCountRequestsByRouteTemplate(t *testing.T) {
	r := testRouter()
	// A request for a case by id is counted under its route template: the id
	// never becomes a label.
	req := httptest.NewRequest(http.MethodGet, "/api/v1/cases/5b1f6c1e-0000-4000-8000-000000000001", nil)
	r.ServeHTTP(httptest.NewRecorder(), req)
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/healthz", nil))

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, w.Code)
	body, _ := io.ReadAll(w.Body)
	text := string(body)
	assert.Contains(t, text, `rcm_http_requests_total{method="GET",route="/api/v1/cases/:id",status="401"}`)
	assert.Contains(t, text, `rcm_http_requests_total{method="GET",route="/healthz",status="200"}`)
	assert.Contains(t, text, `rcm_http_request_duration_seconds_bucket{method="GET",route="/healthz"`)
	assert.NotContains(t, text, "5b1f6c1e")
	assert.Contains(t, text, "go_goroutines")
}
