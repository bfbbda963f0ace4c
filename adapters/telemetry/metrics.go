package telemetry

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/workspaceops/workspaceops/platform/observe"
)

const namespace = "workspaceops"

// Metrics are the service's metrics, registered on their own registry (Registry), with Go's
// runtime and the process's collectors. Label values are bounded: route templates, methods,
// status codes, operation names, transports, close codes, result kinds.
type Metrics struct {
	Registry *prometheus.Registry

	httpRequests *prometheus.CounterVec   // route, method, code
	httpDuration *prometheus.HistogramVec // route, method
	storeOps     *prometheus.HistogramVec // store, op

	// Realtime, pre-resolved where the hub counts per delivery.
	Deliveries  *prometheus.CounterVec // transport
	DeliveryLag prometheus.Histogram
	Closes      *prometheus.CounterVec // code
	QueueFull   prometheus.Counter
	Resumes     *prometheus.CounterVec // result
	BusCatchUps prometheus.Counter
	rateLimited *prometheus.CounterVec // scope

	webhookAttempts *prometheus.CounterVec // status
	webhookDuration prometheus.Histogram
}

// New returns the metrics on a new registry.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by route template (unmatched: no route), method and status code."}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template and method (the WebSocket and SSE streams are left out: they last as long as the connection).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route", "method"}),
		storeOps: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "store", Name: "operation_duration_seconds",
			Help:    "Time of one repository call, by store (sqlite, mongodb) and operation (port.method).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5}}, []string{"store", "op"}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: "realtime", Name: "deliveries_total",
			Help: "Event frames written to clients, by transport (websocket, sse)."}, []string{"transport"}),
		DeliveryLag: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "realtime", Name: "delivery_lag_seconds",
			Help:    "Time from an audit entry's append to its frame being written to a client's socket (live deliveries).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}),
		Closes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: "realtime", Name: "closes_total",
			Help: "Connections the server closed, by close code (4008: slow consumer, 4001: unauthorized, 1001: going away, ...)."}, []string{"code"}),
		QueueFull: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Subsystem: "realtime", Name: "queue_full_total",
			Help: "Connections closed because their outgoing queue was full (the client did not keep up)."}),
		Resumes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: "realtime", Name: "resumes_total",
			Help: "Joins with since, by how they caught up: memory (the room's recent frames), log (read from the audit log), resync (too far behind)."}, []string{"result"}),
		BusCatchUps: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Subsystem: "bus", Name: "catchups_total",
			Help: "Times the rooms re-read the audit log because the bus may have lost entries (NATS reconnects, polls while it is down)."}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "rate_limited_total",
			Help: "Requests refused by a throttle or rate limit, by scope."}, []string{"scope"}),
		webhookAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: "webhook", Name: "attempts_total",
			Help: "Webhook delivery attempts by outcome: succeeded, pending (failed, will be retried), failed (failed for good)."}, []string{"status"}),
		webhookDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "webhook", Name: "attempt_duration_seconds",
			Help:    "Time of one webhook delivery attempt, from dialling the receiver to its answer (timeouts included).",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}),
	}
	reg.MustRegister(m.httpRequests, m.httpDuration, m.storeOps, m.Deliveries, m.DeliveryLag, m.Closes, m.QueueFull, m.Resumes, m.BusCatchUps, m.rateLimited,
		m.webhookAttempts, m.webhookDuration)
	for _, r := range []string{"memory", "log", "resync"} {
		m.Resumes.WithLabelValues(r) // present at 0 from the start, so rate() sees the first one
	}
	for _, s := range []string{"succeeded", "pending", "failed"} {
		m.webhookAttempts.WithLabelValues(s)
	}
	return m
}

// ObserveRequest records one answered HTTP request (httpapi.RequestObserver).
func (m *Metrics) ObserveRequest(route, method string, code int, d time.Duration, timed bool) {
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	if timed {
		m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
	}
}

// StoreOps records the repository calls of store ("sqlite", "mongodb").
func (m *Metrics) StoreOps(store string) observe.Ops {
	return storeOps{m.storeOps.MustCurryWith(prometheus.Labels{"store": store})}
}

type storeOps struct{ h prometheus.ObserverVec }

func (s storeOps) Observe(op string, d time.Duration, _ error) {
	s.h.WithLabelValues(op).Observe(d.Seconds())
}

// RateLimited counts the requests a limiter of scope refused ("login_email", "login_address", "rest").
func (m *Metrics) RateLimited(scope string) observe.Counter {
	return m.rateLimited.WithLabelValues(scope)
}

// WebhookAttempt records one webhook delivery attempt (webhook.AttemptObserver).
func (m *Metrics) WebhookAttempt(status string, d time.Duration) {
	m.webhookAttempts.WithLabelValues(status).Inc()
	m.webhookDuration.Observe(d.Seconds())
}

// Closed counts a connection the server closed with code.
func (m *Metrics) Closed(code int) {
	m.Closes.WithLabelValues(strconv.Itoa(code)).Inc()
}

// GaugeFunc registers a gauge read at each scrape; name is without the namespace.
func (m *Metrics) GaugeFunc(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, f))
}

// GaugeFuncVec registers one gauge per value of label, each read at each scrape.
func (m *Metrics) GaugeFuncVec(name, help, label string, fs map[string]func() float64) {
	for v, f := range fs {
		m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help,
			ConstLabels: prometheus.Labels{label: v}}, f))
	}
}

// CounterFunc registers a counter kept elsewhere (an atomic count a module exposes), read at
// each scrape; name is without the namespace.
func (m *Metrics) CounterFunc(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, f))
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
