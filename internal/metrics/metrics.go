// Package metrics is tssim's Prometheus metrics, served at /metrics in the
// text exposition format: the requests of the HTTP edge, the callbacks of
// delivery, the commits of the state file, the fault rules that fired and
// the gauges read at each scrape (worlds, devices, pending callbacks, the
// state file's size). It is the only package that knows Prometheus: the
// simulator calls it, delivery and the state keeper report through hooks
// of their own (delivery.Observer, state.Keeper.Observe).
//
// Every label takes its values from a set bounded by the code: an
// operation of the catalogue or a route's pattern, a status class, a
// callback service, a delivery state, a kind of state record, a fault's
// source and effect. No label takes a world's name, an EID, a requestId or
// an account: per-world figures stay in /_sim/worlds.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/state"
)

// Gauges are read at each scrape; a nil one is not exported.
type Gauges struct {
	// Worlds is how many worlds there are, the default one included.
	Worlds func() int
	// Devices is how many devices all the worlds hold together.
	Devices func() int
	// PendingCallbacks is how many callbacks wait for delivery.
	PendingCallbacks func() int
	// StateFileBytes is the size of --state-file on disk.
	StateFileBytes func() int64
}

// Metrics holds tssim's collectors in a registry of its own (not the
// process-wide default one), so that several simulators in one process
// each count their own.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	requestSeconds  *prometheus.HistogramVec
	callbacks       *prometheus.CounterVec
	callbackSeconds *prometheus.HistogramVec
	commits         *prometheus.CounterVec
	commitSeconds   prometheus.Histogram
	records         *prometheus.CounterVec
	faults          *prometheus.CounterVec

	// edge and attempts are the children of the request and the callback
	// metrics, looked up on the hot paths without hashing label values.
	edge     cache[edgeKey, pair]
	attempts cache[attemptKey, pair]
}

// cache holds the children of metric vectors by key, made on first use;
// the keys are bounded as the labels are.
type cache[K comparable, V any] struct {
	m    sync.Map
	make func(K) V
}

func (c *cache[K, V]) get(k K) V {
	if v, ok := c.m.Load(k); ok {
		return v.(V)
	}
	v, _ := c.m.LoadOrStore(k, c.make(k))
	return v.(V)
}

// pair is a counter and the histogram observed with it.
type pair struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// Status classes: the label a request's status is counted under.
var classes = [...]string{"none", "1xx", "2xx", "3xx", "4xx", "5xx"}

// StatusClass is the label of an HTTP status: "2xx"…, or "none" when no
// answer was written (a fault hung up, or the client left first).
func StatusClass(status int) string { return classes[classIndex(status)] }

func classIndex(status int) int {
	if status < 100 || status > 599 {
		return 0
	}
	return status / 100
}

type edgeKey struct {
	operation string
	class     int
}

type attemptKey struct{ service, state string }

// New returns the metrics of one simulator, with the Go runtime's and the
// process's, and gauges g.
func New(g Gauges) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tssim_http_requests_total",
			Help: "Requests answered, by operation (the catalogue's name; METHOD /path for the control API; unmatched for no route) and status class (none: no answer was written).",
		}, []string{"operation", "status"}),
		requestSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tssim_http_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by operation; a fault's latency included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"operation"}),
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tssim_callbacks_total",
			Help: "What became of callbacks, by service and outcome: delivered; retried (an attempt failed, another follows); failed (the last attempt, maxCallbackThreshold, failed); given_up (dropped undelivered by --max-pending).",
		}, []string{"service", "outcome"}),
		callbackSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tssim_callback_attempt_duration_seconds",
			Help:    "Time a listener took to answer a callback attempt (up to --callback-timeout), by service.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"service"}),
		commits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tssim_state_commits_total",
			Help: "Commits to --state-file, by result (ok, error: the changes are kept and written by a later commit).",
		}, []string{"result"}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tssim_state_commit_duration_seconds",
			Help:    "Time a commit to --state-file took, fsync included; concurrent requests share one commit.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tssim_state_records_written_total",
			Help: "Records written to --state-file (or removed from it), by kind: devices counts the devices changed, deliveries the changes of pending callbacks, worlds the worlds made and removed.",
		}, []string{"kind"}),
		faults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tssim_faults_total",
			Help: "Faults carried out on ThingSpace's paths, by operation, source (header: X-Tssim-Fault; rule: /_sim/faults) and effect (status, drop, garbage, latency: served late).",
		}, []string{"operation", "source", "effect"}),
	}
	m.edge.make = func(k edgeKey) pair {
		return pair{m.requests.WithLabelValues(k.operation, classes[k.class]), m.requestSeconds.WithLabelValues(k.operation)}
	}
	m.attempts.make = func(k attemptKey) pair {
		return pair{m.callbacks.WithLabelValues(k.service, outcomes[k.state]), m.callbackSeconds.WithLabelValues(k.service)}
	}
	m.reg.MustRegister(m.requests, m.requestSeconds, m.callbacks, m.callbackSeconds, m.commits, m.commitSeconds, m.records, m.faults,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gauge := func(name, help string, f func() float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	if g.Worlds != nil {
		gauge("tssim_worlds", "Worlds served, the default one included.", func() float64 { return float64(g.Worlds()) })
	}
	if g.Devices != nil {
		gauge("tssim_devices", "Devices in all the worlds together.", func() float64 { return float64(g.Devices()) })
	}
	if g.PendingCallbacks != nil {
		gauge("tssim_callbacks_pending", "Callbacks waiting for delivery (queued, under way or waiting for a retry), in all the worlds together; --max-pending bounds them.",
			func() float64 { return float64(g.PendingCallbacks()) })
	}
	if g.StateFileBytes != nil {
		gauge("tssim_state_file_bytes", "Size of --state-file on disk.", func() float64 { return float64(g.StateFileBytes()) })
	}
	return m
}

// Handler serves the metrics in the text exposition format (or
// OpenMetrics, when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Request counts a request of operation answered with status (0: none)
// after took.
func (m *Metrics) Request(operation string, status int, took time.Duration) {
	s := m.edge.get(edgeKey{operation, classIndex(status)})
	s.count.Inc()
	s.duration.Observe(took.Seconds())
}

// Fault counts a fault carried out on a request of operation.
func (m *Metrics) Fault(operation, source, effect string) {
	m.faults.WithLabelValues(operation, source, effect).Inc()
}

// Callbacks is delivery's Observer of m.
func (m *Metrics) Callbacks() delivery.Observer { return callbackObserver{m} }

type callbackObserver struct{ m *Metrics }

// outcomes are the labels of delivery's states.
var outcomes = map[string]string{
	delivery.StateDelivered: "delivered", delivery.StatePending: "retried",
	delivery.StateFailed: "failed", delivery.StateGivenUp: "given_up",
}

func (o callbackObserver) Concluded(service, st string, a delivery.Attempt) {
	s := o.m.attempts.get(attemptKey{service, st})
	s.count.Inc()
	if a.URL != "" { // a request went out to the listener
		s.duration.Observe(a.LatencyMS / 1000)
	}
}

// Commit is the state keeper's observer of m.
func (m *Metrics) Commit(c state.Commit) {
	m.commitSeconds.Observe(c.Took.Seconds())
	if c.Err != nil {
		m.commits.WithLabelValues("error").Inc()
		return
	}
	m.commits.WithLabelValues("ok").Inc()
	for kind, n := range c.Records {
		m.records.WithLabelValues(kind).Add(float64(n))
	}
}
