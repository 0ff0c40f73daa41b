// Package metrics is what the product tells Prometheus: HTTP requests by route
// and status, the Temporal SDK's own metrics (workflow and activity latency,
// failures, task-queue polls) and business counters (claim stage transitions,
// remittances posted, tasks opened and closed, messages sent). Labels are
// route templates, stages, queues and kinds: never a name, an id or a path.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every metric of the process.
var Registry = prometheus.NewRegistry()

func init() {
	Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	Registry.MustRegister(httpRequests, httpDuration, claimTransitions, remittancesPosted,
		tasksOpened, tasksClosed, messagesSent, ediFiles)
}

// Handler serves the registry in Prometheus' text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}

var (
	httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rcm_http_requests_total",
		Help: "HTTP requests answered, by method, route template and status code.",
	}, []string{"method", "route", "status"})
	httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "rcm_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by method and route template.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"method", "route"})
	claimTransitions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rcm_claim_transitions_total",
		Help: "Claim stage transitions recorded, by the stage entered.",
	}, []string{"stage"})
	remittancesPosted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rcm_remittances_posted_total",
		Help: "Claim payments from 835 remittances posted to the ledger, by outcome (paid, denied, unmatched, ...).",
	}, []string{"outcome"})
	tasksOpened = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rcm_tasks_opened_total",
		Help: "Tasks raised for people, by queue and kind.",
	}, []string{"queue", "kind"})
	tasksClosed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rcm_tasks_closed_total",
		Help: "Tasks closed, by queue and final status (done, cancelled).",
	}, []string{"queue", "status"})
	messagesSent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rcm_messages_sent_total",
		Help: "Messages sent to payers and patients, by channel (edi, email, sms, ...) and kind.",
	}, []string{"channel", "kind"})
	ediFiles = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rcm_edi_files_total",
		Help: "X12 files handled, by direction (inbound, outbound), transaction set (835, 837P, ...) and result (accepted, rejected).",
	}, []string{"direction", "set", "result"})
)

// HTTPRequest records one answered request.
func HTTPRequest(method, route string, status int, took time.Duration) {
	httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	httpDuration.WithLabelValues(method, route).Observe(took.Seconds())
}

// ClaimTransition counts a claim entering stage.
func ClaimTransition(stage string) { claimTransitions.WithLabelValues(stage).Inc() }

// RemittancePosted counts one 835 claim payment posted, by outcome.
func RemittancePosted(outcome string) { remittancesPosted.WithLabelValues(outcome).Inc() }

// TaskOpened counts a task raised (not one found already open by its key).
func TaskOpened(queue, kind string) { tasksOpened.WithLabelValues(queue, kind).Inc() }

// TaskClosed counts a task reaching a final status.
func TaskClosed(queue, status string) { tasksClosed.WithLabelValues(queue, status).Inc() }

// MessageSent counts one message sent on a channel.
func MessageSent(channel, kind string) { messagesSent.WithLabelValues(channel, kind).Inc() }

// EDIFile counts one X12 file handled.
func EDIFile(direction, set, result string) { ediFiles.WithLabelValues(direction, set, result).Inc() }
