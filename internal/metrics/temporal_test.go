package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTemporalHandlerRecordsCountersGaugesAndTimers(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := Temporal(reg).WithTags(map[string]string{"namespace": "default", "task_queue": "rcm"})

	h.Counter("temporal_workflow_completed").Inc(2)
	h.WithTags(map[string]string{"workflow_type": "CaseWorkflow"}).Counter("temporal_workflow_completed").Inc(1)
	h.Gauge("temporal_worker_task_slots_available").Update(7)
	h.Timer("temporal_activity_execution_latency").Record(250 * time.Millisecond)

	// The label set is fixed by the first use (namespace, task_queue); the
	// later use with an extra tag lands in the same series.
	assert.InDelta(t, 3, testutil.ToFloat64(mustCollector(t, reg, "temporal_workflow_completed_total")), 0)
	assert.InDelta(t, 7, testutil.ToFloat64(mustCollector(t, reg, "temporal_worker_task_slots_available")), 0)

	n, err := testutil.GatherAndCount(reg, "temporal_activity_execution_latency_seconds")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	err = testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP temporal_worker_task_slots_available Temporal SDK metric temporal_worker_task_slots_available.
# TYPE temporal_worker_task_slots_available gauge
temporal_worker_task_slots_available{namespace="default",task_queue="rcm"} 7
`), "temporal_worker_task_slots_available")
	assert.NoError(t, err)
}

func TestTemporalHandlerSurvivesAKindClash(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := Temporal(reg)
	h.Gauge("x_total").Update(1)
	// A counter "x" would be registered as x_total, already a gauge: it is
	// dropped, not a panic in the worker.
	assert.NotPanics(t, func() { h.Counter("x").Inc(1) })
}

func TestPromName(t *testing.T) {
	assert.Equal(t, "temporal_request_failure", promName("temporal_request_failure"))
	assert.Equal(t, "a_b_c", promName("a.b-c"))
}

// mustCollector finds the one metric family name in reg as a collector for
// testutil.ToFloat64.
func mustCollector(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			var sum float64
			for _, m := range mf.GetMetric() {
				switch {
				case m.GetCounter() != nil:
					sum += m.GetCounter().GetValue()
				case m.GetGauge() != nil:
					sum += m.GetGauge().GetValue()
				}
			}
			g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "sum"})
			g.Set(sum)
			return g
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}
