package record_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tssim/tssim/internal/record"
	"github.com/tssim/tssim/simulator"
)

// BenchmarkRecordProxy measures what recording adds to a call: each
// iteration makes the same call (a page of the device list, a few
// kilobytes) once straight to a tssim and once through the recorder in
// front of it, writing to a file. It reports the median of each and their
// difference, added-p50-ms, which issue 22 holds under 2 ms.
func BenchmarkRecordProxy(b *testing.B) {
	srv, err := simulator.New(simulator.Options{Clock: "manual", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	upstream := httptest.NewServer(srv.Handler())
	defer func() {
		upstream.Close()
		_ = srv.Close(context.Background())
	}()
	f, err := os.Create(filepath.Join(b.TempDir(), "bench.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	p, err := record.New(record.Options{Upstream: upstream.URL, PublicURL: "http://" + ln.Addr().String()}, f)
	if err != nil {
		b.Fatal(err)
	}
	proxy := &http.Server{Handler: p.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = proxy.Serve(ln) }()
	defer func() {
		_ = proxy.Shutdown(context.Background())
		_ = p.Close()
	}()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	call := func(base, path string, header map[string]string, body string) map[string]any {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d %s", path, resp.StatusCode, raw)
		}
		var out map[string]any
		_ = json.Unmarshal(raw, &out)
		return out
	}
	tok := call(upstream.URL, "/api/ts/v1/oauth2/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded",
		"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("demo-key:demo-secret"))}, "grant_type=client_credentials")["access_token"].(string)
	h := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + tok}
	h["VZ-M2M-Token"] = call(upstream.URL, "/api/m2m/v1/session/login", h, `{"username":"demo","password":"demo"}`)["sessionToken"].(string)
	const path, body = "/api/m2m/v1/devices/actions/list", `{"accountName":"1223334444-00001"}`
	proxied := "http://" + ln.Addr().String()
	// Both connections open before the clock starts.
	call(upstream.URL, path, h, body)
	call(proxied, path, h, body)
	direct := make([]time.Duration, 0, b.N)
	recorded := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		call(upstream.URL, path, h, body)
		t1 := time.Now()
		call(proxied, path, h, body)
		direct, recorded = append(direct, t1.Sub(t0)), append(recorded, time.Since(t1))
	}
	b.StopTimer()
	d, r := median(direct), median(recorded)
	b.ReportMetric(ms(d), "direct-p50-ms")
	b.ReportMetric(ms(r), "recorded-p50-ms")
	b.ReportMetric(ms(r-d), "added-p50-ms")
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
