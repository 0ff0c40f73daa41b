package metrics

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// Temporal returns a metrics handler for the Temporal SDK (client and worker)
// that records into reg: counters as <name>_total, gauges as <name>, timers as
// histograms <name>_seconds. A metric's label names are fixed by its first use;
// later uses fill missing labels with "" and drop labels it does not have, so a
// tag set that varies never fails a registration.
func Temporal(reg prometheus.Registerer) client.MetricsHandler {
	return &sdkHandler{vecs: &sdkVecs{reg: reg, byName: map[string]*sdkVec{}}}
}

type sdkHandler struct {
	vecs *sdkVecs
	tags map[string]string
}

type sdkVecs struct {
	reg    prometheus.Registerer
	mu     sync.Mutex
	byName map[string]*sdkVec
}

type sdkVec struct {
	labels    []string
	counter   *prometheus.CounterVec
	gauge     *prometheus.GaugeVec
	histogram *prometheus.HistogramVec
}

// sdkBuckets span a poll that returns at once to a long poll or a slow activity.
var sdkBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}

func (h *sdkHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := maps.Clone(h.tags)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, tags)
	return &sdkHandler{vecs: h.vecs, tags: merged}
}

func (h *sdkHandler) Counter(name string) client.MetricsCounter {
	v := h.vecs.get(promName(name)+"_total", "counter", h.tags)
	if v == nil || v.counter == nil {
		return nopMetric{}
	}
	c := v.counter.WithLabelValues(v.values(h.tags)...)
	return counterFunc(func(d int64) { c.Add(float64(d)) })
}

func (h *sdkHandler) Gauge(name string) client.MetricsGauge {
	v := h.vecs.get(promName(name), "gauge", h.tags)
	if v == nil || v.gauge == nil {
		return nopMetric{}
	}
	g := v.gauge.WithLabelValues(v.values(h.tags)...)
	return gaugeFunc(g.Set)
}

func (h *sdkHandler) Timer(name string) client.MetricsTimer {
	v := h.vecs.get(promName(name)+"_seconds", "histogram", h.tags)
	if v == nil || v.histogram == nil {
		return nopMetric{}
	}
	o := v.histogram.WithLabelValues(v.values(h.tags)...)
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

// get returns the vector for name, registering it on first use with the label
// names of tags. It returns nil when the name cannot be registered (taken by a
// metric of another kind).
func (s *sdkVecs) get(name, kind string, tags map[string]string) *sdkVec {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.byName[name]; ok {
		return v
	}
	labels := make([]string, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		labels = append(labels, promName(k))
	}
	labels = slices.Compact(labels)
	v := &sdkVec{labels: labels}
	help := "Temporal SDK metric " + name + "."
	var c prometheus.Collector
	switch kind {
	case "counter":
		v.counter = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		c = v.counter
	case "gauge":
		v.gauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
		c = v.gauge
	default:
		v.histogram = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: sdkBuckets}, labels)
		c = v.histogram
	}
	if err := s.reg.Register(c); err != nil {
		s.byName[name] = nil
		return nil
	}
	s.byName[name] = v
	return v
}

// values orders tags by the vector's label names.
func (v *sdkVec) values(tags map[string]string) []string {
	byLabel := make(map[string]string, len(tags))
	for k, val := range tags {
		byLabel[promName(k)] = val
	}
	out := make([]string, len(v.labels))
	for i, l := range v.labels {
		out[i] = byLabel[l]
	}
	return out
}

// promName makes a Temporal metric or tag name a valid Prometheus name.
func promName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(d float64) { f(d) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

type nopMetric struct{}

func (nopMetric) Inc(int64)            {}
func (nopMetric) Update(float64)       {}
func (nopMetric) Record(time.Duration) {}
