package simulator

import (
	"net/http"
	"os"
	"time"

	"github.com/tssim/tssim/internal/fault"
	"github.com/tssim/tssim/internal/metrics"
)

// Prometheus metrics (internal/metrics): GET /metrics at the root, guarded
// by the admin token like the control API, and MetricsHandler for a
// listener of their own (tssim --metrics-addr). The edge counts every
// request in serve (observe), delivery every callback through its
// Observer, the keeper every commit.

// Operation labels of the requests that no route's name tells.
const (
	// opUnmatched is a request no route matches (a path, or a method on
	// it): its path or method would make labels without bound.
	opUnmatched = "unmatched"
	// opWorld is a request to /w/NAME/ refused before any route: a bad
	// name, or a world that may not be made.
	opWorld = "world"
)

// newMetrics makes the metrics of h, with the gauges read at each scrape.
func (h *Server) newMetrics() *metrics.Metrics {
	g := metrics.Gauges{
		Worlds: func() int {
			h.mu.RLock()
			defer h.mu.RUnlock()
			return len(h.worlds) + 1
		},
		Devices: func() int {
			n := 0
			for _, w := range h.allWorlds() {
				n += w.sim.DeviceCount()
			}
			return n
		},
		PendingCallbacks: h.pool.Pending,
	}
	if path := h.opts.StateFile; path != "" {
		g.StateFileBytes = func() int64 {
			fi, err := os.Stat(path)
			if err != nil {
				return 0
			}
			return fi.Size()
		}
	}
	return metrics.New(g)
}

// allWorlds returns the default world and the others.
func (h *Server) allWorlds() []*world {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*world, 0, len(h.worlds)+1)
	out = append(out, h.root)
	for _, w := range h.worlds {
		out = append(out, w)
	}
	return out
}

// MetricsHandler serves the metrics without asking for the admin token,
// for a listener of their own.
func (h *Server) MetricsHandler() http.Handler { return h.metrics.Handler() }

// serveMetrics answers GET /metrics.
func (h *Server) serveMetrics(_ *world, c *call) (any, error) {
	sw := &statusWriter{ResponseWriter: c.w, status: http.StatusOK}
	h.metrics.Handler().ServeHTTP(sw, c.R)
	c.rec.Status = sw.status
	c.handled = true
	return nil, nil
}

// statusWriter notes the status a handler answers with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// observe counts a request once answered: by its operation, or its
// route's name, and its status; and the fault carried out on it, if any.
func (h *Server) observe(c *call, start time.Time) {
	name := c.route.name
	if c.op != nil {
		name = c.op.Name
	}
	h.metrics.Request(name, c.rec.Status, time.Since(start))
	if c.fault != (fault.Fault{}) && c.op != nil {
		source := "header"
		if c.faultByRule {
			source = "rule"
		}
		h.metrics.Fault(c.op.Name, source, c.fault.Effect())
	}
}
