package simulator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/simulator"
)

// fuzzRoutes are the endpoints that take a JSON body, with a valid one each.
var fuzzRoutes = []struct{ method, path, body string }{
	{"POST", "/api/m2m/v1/devices/profile/actions/delete", `{"devices":[{"deviceIds":[{"kind":"eid","id":"666456789123456789123456784008"},{"kind":"iccid","id":"89148000000840784259"}]}],"accountName":"1223334444-00001","smsrOid":"1.3.6.1.4.1.31746.1.500.200.101.5"}`},
	{"POST", "/api/m2m/v1/session/login", `{"username":"demo","password":"demo"}`},
	{"POST", "/api/m2m/v1/callbacks/1223334444-00001", `{"name":"DeviceProfileService","url":"http://127.0.0.1:9/cb"}`},
	{"PUT", "/_sim/devices/666456789123456789123456784008", `{"eid":"666456789123456789123456784008","account":"1223334444-00001","state":"Active","profiles":[{"iccid":"11245055053268336886","type":"bootstrap","status":"enabled"}]}`},
	{"PUT", "/_sim/devices/666456789123456789123456784008/scenario", `{"scenario":"failure"}`},
	{"POST", "/_sim/clock/advance", `{"by":"1m"}`},
	{"POST", "/_sim/faults", `{"route":"delete","fault":{"status":503,"retryAfter":"30s"},"times":1}`},
	{"PUT", "/_sim/worlds/fuzz", `{"clock":"real","timeScale":0.01}`},
	{"POST", "/api/ts/v1/oauth2/token", `grant_type=client_credentials`},
}

// FuzzRequestBody sends any body to every endpoint that reads one, the
// control API's clock, faults and worlds included: the simulator must
// answer with a ThingSpace envelope and never a 5xx (nor end: see
// TestTheClockStopsAtItsHorizon for what a clock far enough once did).
func FuzzRequestBody(f *testing.F) {
	for i, r := range fuzzRoutes {
		f.Add(uint8(i), []byte(r.body))
		f.Add(uint8(i), []byte(r.body[:len(r.body)/2]))
	}
	f.Add(uint8(0), []byte(`{"devices":[{"deviceIds":[{"kind":"eid","id":"\u0000"}]}],"accountName":"\ud800","smsrOid":1e400}`))
	srv, err := simulator.New(simulator.Options{Clock: "manual", Sender: nopSender{}})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	auth := loginHeaders(f, h)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest(r.method, r.path, strings.NewReader(string(body)))
		for k, v := range auth {
			req.Header[k] = v
		}
		if strings.Contains(r.path, "oauth2") {
			req.SetBasicAuth("demo-key", "demo-secret")
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", r.method, r.path, body, w.Code, w.Body)
		}
		if w.Code != 200 && !strings.Contains(w.Body.String(), `"error`) && !strings.Contains(w.Body.String(), `"fault"`) {
			t.Fatalf("%s %s %q: %d without an error envelope: %s", r.method, r.path, body, w.Code, w.Body)
		}
	})
}

type nopSender struct{}

func (nopSender) Send(context.Context, delivery.Target, []byte) (int, error) { return 200, nil }

// loginHeaders returns the headers of a logged-in demo user.
func loginHeaders(tb testing.TB, h http.Handler) http.Header {
	tb.Helper()
	req := httptest.NewRequest("POST", "/api/ts/v1/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth("demo-key", "demo-secret")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	tok := between(w.Body.String(), `"access_token":"`, `"`)
	req = httptest.NewRequest("POST", "/api/m2m/v1/session/login", strings.NewReader(`{"username":"demo","password":"demo"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	sess := between(w.Body.String(), `"sessionToken":"`, `"`)
	if tok == "" || sess == "" {
		tb.Fatalf("login: %s", w.Body)
	}
	return http.Header{"Authorization": {"Bearer " + tok}, "Vz-M2m-Token": {sess}, "Content-Type": {"application/json"}}
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}
