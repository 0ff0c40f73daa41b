package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/testenv"
	"github.com/clinicflow/rcm/internal/tracing"
)

// TestRequestTracedIntoWorkflowAndActivities follows one check-in from its
// HTTP span into the case workflow and its activities: one trace.
func TestRequestTracedIntoWorkflowAndActivitiesAndMeasured(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	tracing.Install(tp)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	e := testenv.New(t, testenv.Options{})
	p := setupPractice(t, e)
	desk := e.NewUserToken("desk@test.local", auth.RoleFrontDesk)
	_, caseID := newPatientCase(t, e, desk, "private")
	checkIn(t, e, desk, p, caseID)

	var httpSpan sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == "POST /api/v1/cases/:id/check-ins" {
			httpSpan = s
		}
	}
	require.NotNil(t, httpSpan, "no span for the check-in request; spans: %v", spanNames(rec.Ended()))
	traceID := httpSpan.SpanContext().TraceID()

	// The update runs in the case workflow on the worker, and starts
	// activities there: their spans join the request's trace. (The workflow's
	// own RunWorkflow span ends only when the case closes.)
	inTrace := func() []string {
		var names []string
		for _, s := range rec.Ended() {
			if s.SpanContext().TraceID() == traceID {
				names = append(names, s.Name())
			}
		}
		return names
	}
	want := []string{"UpdateWithStartWorkflow:check-in", "HandleUpdate:check-in",
		"StartActivity:RecordEncounter", "RunActivity:RecordEncounter"}
	ok := assert.Eventually(t, func() bool {
		names := inTrace()
		for _, w := range want {
			if !slices.Contains(names, w) {
				return false
			}
		}
		return true
	}, settle, 100*time.Millisecond)
	if !ok {
		t.Fatalf("spans in the check-in's trace: %v, want at least %v", inTrace(), want)
	}

	// The same request shows in the metrics, beside the Temporal SDK's own.
	r := e.Do("GET", "/metrics", "", nil)
	require.Equal(t, 200, r.Status)
	for _, want := range []string{
		`rcm_http_requests_total{method="POST",route="/api/v1/cases/:id/check-ins",status="201"}`,
		"temporal_request_total", "temporal_workflow_task_execution_latency_seconds_bucket",
		"temporal_activity_execution_latency_seconds_bucket",
	} {
		assert.Contains(t, string(r.Body), want)
	}

	// Spans carry route templates, type names and opaque ids, never the
	// patient's name or date of birth.
	for _, s := range rec.Ended() {
		assert.NotContains(t, s.Name(), caseID, "a span name holds an id")
		for _, a := range s.Attributes() {
			for _, phi := range []string{"Roe", "1980-02-03", "jane@example.com"} {
				assert.NotContains(t, a.Value.String(), phi, "span %s attribute %s", s.Name(), a.Key)
			}
		}
	}
}

func spanNames(spans []sdktrace.ReadOnlySpan) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name()
	}
	return out
}
