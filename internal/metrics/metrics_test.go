package metrics

import (
	"testing"
	"time"

	"github.com/tssim/tssim/internal/delivery"
)

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{0: "none", 99: "none", 100: "1xx", 200: "2xx", 204: "2xx", 302: "3xx", 404: "4xx", 599: "5xx", 600: "none"} {
		if got := StatusClass(status); got != want {
			t.Errorf("StatusClass(%d) = %s, want %s", status, got, want)
		}
	}
}

// BenchmarkRequest is what the edge adds to every request: a count and a
// latency.
func BenchmarkRequest(b *testing.B) {
	m := New(Gauges{})
	b.ReportAllocs()
	for range b.N {
		m.Request("delete", 200, time.Millisecond)
	}
}

// BenchmarkCallback is what delivery adds to every attempt.
func BenchmarkCallback(b *testing.B) {
	o := New(Gauges{}).Callbacks()
	a := delivery.Attempt{URL: "http://127.0.0.1/cb", StatusCode: 200, LatencyMS: 1.5}
	b.ReportAllocs()
	for range b.N {
		o.Concluded("DeviceProfileService", delivery.StateDelivered, a)
	}
}
