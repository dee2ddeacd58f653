package simulator_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/thingspace"
	"github.com/tssim/tssim/simulator"
)

const metricsToken = "metrics-admin-token"

// scrape is one read of /metrics, parsed.
type scrape map[string]*dto.MetricFamily

// scrapeRaw reads /metrics at base with the admin token.
func scrapeRaw(t *testing.T, base string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %s %v", resp.StatusCode, body, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("GET /metrics: Content-Type %q, want the text exposition format", ct)
	}
	return body
}

func (e *env) scrape() scrape {
	e.t.Helper()
	return parseScrape(e.t, scrapeRaw(e.t, e.url))
}

func parseScrape(t *testing.T, body []byte) scrape {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parsing the scrape: %v\n%s", err, body)
	}
	return fams
}

// get sums the series of a metric whose labels include want ("k=v"
// pairs; moved and eventually key them "name|k=v|k=v"): a counter's or gauge's value, a histogram's count.
func (s scrape) get(name string, want ...string) float64 {
	f := s[name]
	if f == nil {
		return 0
	}
	sum := 0.0
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		if !slices.ContainsFunc(want, func(kv string) bool { k, v, _ := strings.Cut(kv, "="); return labels[k] != v }) {
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Histogram != nil:
				sum += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return sum
}

// moved checks how much each metric moved from before to after.
func moved(t *testing.T, before, after scrape, want map[string]float64) {
	t.Helper()
	for _, m := range notMoved(before, after, want) {
		t.Error(m)
	}
}

// notMoved says which metrics did not move from before to after by what
// want says.
func notMoved(before, after scrape, want map[string]float64) []string {
	var out []string
	for _, key := range slices.Sorted(maps.Keys(want)) {
		f := strings.Split(key, "|")
		if got := after.get(f[0], f[1:]...) - before.get(f[0], f[1:]...); got != want[key] {
			out = append(out, fmt.Sprintf("%s moved by %g, want %g", key, got, want[key]))
		}
	}
	return out
}

func metricsEnv(t *testing.T) *env {
	return newEnv(t, func(o *simulator.Options) {
		o.AdminToken = metricsToken
		o.StateFile = filepath.Join(t.TempDir(), "state.db")
	})
}

// /metrics is the control API's: it needs the admin token, and is served
// at the root only.
func TestMetricsNeedTheAdminToken(t *testing.T) {
	e := metricsEnv(t)
	// The handler of a listener of its own asks for no token.
	req, _ := http.NewRequest("GET", "/metrics", nil)
	rec := &recorder{header: http.Header{}}
	e.srv.MetricsHandler().ServeHTTP(rec, req)
	if rec.status != 200 || !strings.Contains(rec.body.String(), "\ntssim_worlds 1\n") {
		t.Errorf("MetricsHandler: %d %.300s", rec.status, rec.body.String())
	}
	for _, tt := range []struct {
		path, token string
		status      int
	}{
		{"/metrics", "", 401},
		{"/metrics", "wrong", 401},
		{"/metrics", metricsToken, 200},
		{"/w/some-world/metrics", metricsToken, 404},
	} {
		req, _ := http.NewRequest("GET", e.url+tt.path, nil)
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s with token %q: %d, want %d", tt.path, tt.token, resp.StatusCode, tt.status)
		}
	}
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int)   { r.status = s }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return r.body.Write(b)
}

// The metrics move as requests, callbacks, commits and faults happen.
func TestMetricsMove(t *testing.T) {
	e := metricsEnv(t)
	start := e.scrape()
	if got := start.get("tssim_worlds"); got != 1 {
		t.Errorf("tssim_worlds %g, want 1", got)
	}
	devices, err := e.admin.Devices(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := start.get("tssim_devices"); got != float64(len(devices)) {
		t.Errorf("tssim_devices %g, want the %d of the fixtures", got, len(devices))
	}

	e.register(account)
	e.failing(1, http.StatusInternalServerError)
	before := e.scrape()
	id := e.delete(seedEID, seedICCID)
	e.callbacks(id, 1, 1)
	failed := e.scrape()
	moved(t, before, failed, map[string]float64{
		"tssim_http_requests_total|operation=delete|status=2xx":                1,
		"tssim_http_request_duration_seconds|operation=delete":                 1,
		"tssim_callbacks_total|service=DeviceProfileService|outcome=retried":   1,
		"tssim_callbacks_total|service=DeviceProfileService|outcome=delivered": 0,
		"tssim_callback_attempt_duration_seconds|service=DeviceProfileService": 1,
		"tssim_callbacks_pending": 1,
	})
	if failed.get("tssim_state_records_written_total", "kind=devices") <= before.get("tssim_state_records_written_total", "kind=devices") {
		t.Error("a delete changed a device, and no device record was written to the state file")
	}
	if failed.get("tssim_state_commits_total", "result=ok") <= before.get("tssim_state_commits_total", "result=ok") ||
		failed.get("tssim_state_commit_duration_seconds") <= before.get("tssim_state_commit_duration_seconds") {
		t.Error("no commit counted for the delete")
	}
	if failed.get("tssim_state_file_bytes") <= 0 {
		t.Error("tssim_state_file_bytes is not the state file's size")
	}

	e.advance(5 * time.Minute)
	e.callbacks(id, 1, 2)
	delivered := e.scrape()
	moved(t, failed, delivered, map[string]float64{
		"tssim_callbacks_total|service=DeviceProfileService|outcome=delivered": 1,
		"tssim_callbacks_total|service=DeviceProfileService|outcome=retried":   0,
		"tssim_callbacks_pending": -1,
		// the read of the callbacks, and the scrape before (counted once
		// its answer is whole)
		"tssim_http_requests_total|operation=GET /_sim/callbacks|status=2xx":      1,
		"tssim_http_requests_total|operation=POST /_sim/clock/advance|status=2xx": 1,
		"tssim_http_requests_total|operation=GET /metrics|status=2xx":             1,
	})

	// Faults, by the header and by a rule; a request no route matches; a
	// world that may not be made (the admin token makes worlds).
	if resp, _, err := e.deleteRaw(map[string]string{"X-Tssim-Fault": "status=429"}); err != nil || resp.StatusCode != 429 {
		t.Fatalf("fault status=429: %v %v", resp, err)
	}
	if _, err := e.admin.AddFault(e.ctx, client.SimFaultRule{Route: "delete", Status: 503, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if resp, _, err := e.deleteRaw(nil); err != nil || resp.StatusCode != 503 {
		t.Fatalf("fault rule status=503: %v %v", resp, err)
	}
	for _, path := range []string{"/nowhere", "/w/not-made/_sim/health"} {
		resp, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	faults := e.scrape()
	moved(t, delivered, faults, map[string]float64{
		"tssim_http_requests_total|operation=delete|status=4xx":                1,
		"tssim_http_requests_total|operation=delete|status=5xx":                1,
		"tssim_faults_total|operation=delete|source=header|effect=status":      1,
		"tssim_faults_total|operation=delete|source=rule|effect=status":        1,
		"tssim_http_requests_total|operation=unmatched|status=4xx":             1,
		"tssim_http_requests_total|operation=world|status=4xx":                 1,
		"tssim_http_requests_total|operation=POST /_sim/faults|status=2xx":     1,
		"tssim_http_requests_total|operation=delete|status=2xx":                0,
		"tssim_callbacks_total|service=DeviceProfileService|outcome=delivered": 0,
	})

	// A fault that hangs up writes no answer: its status class is none,
	// counted once the connection is dropped, after the client saw it.
	if _, _, err := e.deleteRaw(map[string]string{"X-Tssim-Fault": "drop"}); err == nil {
		t.Fatal("fault drop: the request was answered")
	}
	e.eventually(faults, map[string]float64{
		"tssim_http_requests_total|operation=delete|status=none":        1,
		"tssim_faults_total|operation=delete|source=header|effect=drop": 1,
	})

	// A world made counts, and its devices with it.
	req, _ := http.NewRequest("PUT", e.url+"/_sim/worlds/team-a", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT /_sim/worlds/team-a: %v %v", resp, err)
	}
	_ = resp.Body.Close()
	worlds := e.scrape()
	moved(t, faults, worlds, map[string]float64{
		"tssim_worlds":  1,
		"tssim_devices": float64(len(devices)),
		"tssim_state_records_written_total|kind=worlds": 1,
	})
}

// eventually scrapes until each metric moved from before as want says, or
// fails the test after 10 seconds: for what is counted after the client
// sees its end.
func (e *env) eventually(before scrape, want map[string]float64) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		wrong := notMoved(before, e.scrape(), want)
		if len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Error(strings.Join(wrong, "\n"))
			return
		}
	}
}

// traffic makes two worlds of names of their own and acts in them: devices
// named by their EIDs, listeners failing, faults, paths that match no
// route with identifiers in them, a method nobody defined. It returns the
// names and identifiers no label may take.
func traffic(t *testing.T, e *env) []string {
	t.Helper()
	secret := []string{account, seedEID, seedICCID, e.listenerURL}
	for _, name := range []string{"zebra-world-7", "qa-team-b"} {
		req, _ := http.NewRequest("PUT", e.url+"/_sim/worlds/"+name, strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+metricsToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("PUT /_sim/worlds/%s: %v %v", name, resp, err)
		}
		_ = resp.Body.Close()
		w := sideOf(t, e.url+"/w/"+name)
		if err := w.api.RegisterCallback(e.ctx, account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: e.listenerURL}); err != nil {
			t.Fatal(err)
		}
		id, err := w.api.DeleteProfile(e.ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.api.RequestStatus(e.ctx, account, id); err != nil {
			t.Fatal(err)
		}
		secret = append(secret, name, id)
	}
	e.register(account)
	e.failing(1, http.StatusBadGateway)
	id := e.delete(seedEID, seedICCID)
	e.callbacks(id, 1, 1)
	secret = append(secret, id)
	if _, _, err := e.deleteRaw(map[string]string{"X-Tssim-Fault": "status=500"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/m2m/v1/devices/" + seedEID, "/_sim/devices/" + seedEID, "/w/" + seedEID + "/_sim/health", "/w/bad%20" + seedICCID + "/x"} {
		resp, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	method := "BREW" + seedEID[:6]
	req, _ := http.NewRequest(method, e.url+"/_sim/health", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		_ = resp.Body.Close()
	}
	return append(secret, method)
}

// No label takes a world's name, an EID, an ICCID, a requestId, an
// account, a URL or a method nobody defined: every tssim_ label is one of
// a set the code bounds.
func TestMetricsLabelsAreBounded(t *testing.T) {
	e := metricsEnv(t)
	secret := traffic(t, e)
	s := parseScrape(t, scrapeRaw(t, e.url))

	ops := map[string]bool{"unmatched": true, "world": true}
	services := map[string]bool{}
	for _, op := range thingspace.All() {
		ops[op.Name] = true
		if op.Service() != "" {
			services[op.Service()] = true
		}
	}
	route := regexp.MustCompile(`^(GET|PUT|POST|DELETE) /(metrics|_sim(/([a-z.-]+|\{[a-z]+\}))+)$`)
	allowed := map[string]func(string) bool{
		"operation": func(v string) bool { return ops[v] || route.MatchString(v) },
		"status":    oneOf("none", "1xx", "2xx", "3xx", "4xx", "5xx"),
		"service":   func(v string) bool { return services[v] },
		"outcome":   oneOf("delivered", "retried", "failed", "given_up"),
		"kind":      oneOf("devices", "accounts", "users", "tokens", "sessions", "listeners", "actions", "requests", "deliveries", "worlds"),
		"result":    oneOf("ok", "error"),
		"source":    oneOf("header", "rule"),
		"effect":    oneOf("status", "drop", "garbage", "latency"),
	}
	values := map[string]map[string]bool{}
	for name, f := range s {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				for _, x := range secret {
					if strings.Contains(l.GetValue(), x) {
						t.Errorf("%s{%s=%q}: the label holds %q", name, l.GetName(), l.GetValue(), x)
					}
				}
				if !strings.HasPrefix(name, "tssim_") {
					continue
				}
				ok := allowed[l.GetName()]
				if ok == nil || !ok(l.GetValue()) {
					t.Errorf("%s{%s=%q}: not a label value of a bounded set", name, l.GetName(), l.GetValue())
				}
				if values[l.GetName()] == nil {
					values[l.GetName()] = map[string]bool{}
				}
				values[l.GetName()][l.GetValue()] = true
			}
		}
	}
	// The traffic reached every label the test bounds.
	for name := range allowed {
		if len(values[name]) == 0 {
			t.Errorf("no series has the label %s: the traffic did not reach it", name)
		}
	}
	if !values["operation"]["GET /_sim/devices/{eid}"] || !values["operation"]["unmatched"] || !values["operation"]["world"] {
		t.Errorf("operations %v: want the route's pattern, unmatched and world", slices.Sorted(maps.Keys(values["operation"])))
	}
}

func oneOf(vs ...string) func(string) bool {
	return func(v string) bool { return slices.Contains(vs, v) }
}

// promtool (Debian's prometheus package) finds nothing to say of a scrape
// after traffic of every kind. CI installs it, and the test fails there
// rather than skip.
func TestMetricsPassPromtool(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no promtool on PATH: .ci/run installs Debian's prometheus")
		}
		t.Skip("no promtool on PATH: install it (apt-get install prometheus) to check a scrape with promtool check metrics")
	}
	e := metricsEnv(t)
	traffic(t, e)
	raw := scrapeRaw(t, e.url)
	cmd := exec.CommandContext(context.Background(), bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader(raw)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	if n := len(parseScrape(t, raw)); n < 20 {
		t.Errorf("the scrape has %d metric families:\n%s", n, raw)
	}
}
