package simulator_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/client"
)

// deleteRaw sends one delete of the seed profile with extra headers and
// returns the answer, or the error of a connection that gave none.
func (e *env) deleteRaw(header map[string]string) (*http.Response, []byte, error) {
	e.t.Helper()
	tok, err := e.api.Token(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	sess := e.api.SessionToken()
	if sess == "" {
		if sess, err = e.api.Login(e.ctx); err != nil {
			e.t.Fatal(err)
		}
	}
	body := fmt.Sprintf(`{"devices":[{"deviceIds":[{"kind":"eid","id":%q},{"kind":"iccid","id":%q}]}],"accountName":%q,"smsrOid":%q}`, seedEID, seedICCID, account, smsrOID)
	req, _ := http.NewRequest("POST", e.url+"/api/m2m/v1/devices/profile/actions/delete", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("VZ-M2M-Token", sess)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b, nil
}

// lastRequest is the journal's last request to ThingSpace's paths.
func (e *env) lastRequest() client.SimRequest {
	e.t.Helper()
	rs, err := e.admin.Requests(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := len(rs) - 1; i >= 0; i-- {
		if !strings.HasPrefix(rs[i].Path, "/_sim/") {
			return rs[i]
		}
	}
	e.t.Fatalf("no API request in the journal: %+v", rs)
	return client.SimRequest{}
}

// A fault asked for in the header stands in for the answer, in the body
// ThingSpace's gateway sends with that status; the request is not served,
// and the journal says which fault it got.
func TestFaultHeaderStatus(t *testing.T) {
	for _, tt := range []struct {
		header, retryAfter, body string
		status                   int
	}{
		{"status=429,retry-after=30s", "30", `{"fault":{"code":"900800","description":"You have exceeded your quota: retry after the time Retry-After gives","message":"Message Throttled Out"}}`, 429},
		{"status=503", "", `{"fault":{"code":"101503","description":"Error connecting to the back end","message":"Runtime Error"}}`, 503},
		{"status=500", "", `{"errorCode":"UnifiedWebService.REQUEST_FAILED.UnexpectedError","errorMessage":"tssim fault: status 500, asked for by the header"}`, 500},
	} {
		t.Run(tt.header, func(t *testing.T) {
			e := newEnv(t)
			resp, body, err := e.deleteRaw(map[string]string{"X-Tssim-Fault": tt.header})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || resp.Header.Get("Retry-After") != tt.retryAfter || strings.TrimSpace(string(body)) != tt.body {
				t.Errorf("answer %d, Retry-After %q, %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
			if d := e.device(seedEID); d.Pending != nil || d.Enabled() != seedICCID {
				t.Errorf("a faulted request was served: %+v", d)
			}
			if r := e.lastRequest(); r.Fault != tt.header+" (header)" || r.Status != tt.status {
				t.Errorf("journal: %+v", r)
			}
		})
	}
}

// A dropped connection and garbage give the client no HTTP answer; the
// journal records both.
func TestFaultHeaderDropAndGarbage(t *testing.T) {
	e := newEnv(t)
	for _, f := range []string{"drop", "garbage"} {
		if _, _, err := e.deleteRaw(map[string]string{"X-Tssim-Fault": f}); err == nil {
			t.Errorf("%s: an answer came", f)
		}
		if r := e.lastRequest(); r.Fault != f+" (header)" || r.Status != 0 {
			t.Errorf("%s: journal %+v", f, r)
		}
	}
	if d := e.device(seedEID); d.Pending != nil || d.Enabled() != seedICCID {
		t.Errorf("a faulted request was served: %+v", d)
	}
	// Latency alone delays the answer; the request is served.
	resp, _, err := e.deleteRaw(map[string]string{"X-Tssim-Fault": "latency=1ms"})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("latency: %v %v", resp, err)
	}
	if r := e.lastRequest(); r.Fault != "latency=1ms (header)" || r.RequestID == "" {
		t.Errorf("latency: journal %+v", r)
	}
}

func TestFaultHeaderRefusedWhenMalformed(t *testing.T) {
	e := newEnv(t)
	for _, h := range []string{"status=200", "retry-after=3s", "bogus", "latency=soon", "drop=1"} {
		resp, body, err := e.deleteRaw(map[string]string{"X-Tssim-Fault": h})
		if err != nil || resp.StatusCode != 400 || !strings.Contains(string(body), "Tssim.INPUT_INVALID.Fault") || !strings.Contains(string(body), "X-Tssim-Fault") {
			t.Errorf("%s: %v %s", h, err, body)
		}
	}
}

// A rule fires on the first N matching requests, then lets them through;
// GET /_sim/faults counts both.
func TestFaultRuleTimes(t *testing.T) {
	e := newEnv(t)
	if _, err := e.admin.AddFault(e.ctx, client.SimFaultRule{Route: "delete", Status: 503, Times: 2}); err != nil {
		t.Fatal(err)
	}
	var got []int
	for range 3 {
		resp, _, err := e.deleteRaw(nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.StatusCode)
	}
	if diff := cmp.Diff([]int{503, 503, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	rules, err := e.admin.Faults(e.ctx)
	if err != nil || len(rules) != 1 || rules[0].Matched != 3 || rules[0].Fired != 2 || rules[0].ID != 1 {
		t.Errorf("rules: %+v %v", rules, err)
	}
	if r := e.lastRequest(); r.Fault != "" {
		t.Errorf("the third request is marked faulted: %+v", r)
	}
}

// A rule for one device or account faults only the requests naming it.
func TestFaultRuleMatchesDeviceAndRoute(t *testing.T) {
	e := newEnv(t)
	const other = "666456789123456789123456784009"
	if _, err := e.admin.AddFault(e.ctx, client.SimFaultRule{EID: other, Status: 500}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.AddFault(e.ctx, client.SimFaultRule{Route: "enable", Account: account, Status: 429}); err != nil {
		t.Fatal(err)
	}
	e.delete(seedEID, seedICCID)
	_, err := e.api.DeleteProfile(e.ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: other, ICCID: "89148000000840784260"}}})
	if st, _ := code(t, err); st != 500 {
		t.Errorf("the rule's device: %v", err)
	}
	if err := e.admin.ClearFaults(e.ctx); err != nil {
		t.Fatal(err)
	}
	if rules, _ := e.admin.Faults(e.ctx); len(rules) != 0 {
		t.Errorf("after clearing: %+v", rules)
	}
}

// A seeded share gives the same sequence of faults every time.
func TestFaultRuleRateIsReproducible(t *testing.T) {
	e := newEnv(t)
	run := func() string {
		if _, err := e.admin.AddFault(e.ctx, client.SimFaultRule{Route: "token", Status: 503, Rate: 0.3, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = e.admin.ClearFaults(e.ctx) }()
		var seq []byte
		for range 40 {
			req, _ := http.NewRequest("POST", e.url+"/api/ts/v1/oauth2/token", strings.NewReader("grant_type=client_credentials"))
			req.SetBasicAuth("demo-key", "demo-secret")
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			seq = append(seq, map[bool]byte{true: 'x', false: '.'}[resp.StatusCode == 503])
		}
		return string(seq)
	}
	first, second := run(), run()
	if first != second || !strings.Contains(first, "x") || !strings.Contains(first, ".") {
		t.Errorf("two runs with seed 7: %s and %s", first, second)
	}
}

// The Go client sends a call answered 429 again once Retry-After has
// passed.
func TestClientHonoursRetryAfter(t *testing.T) {
	e := newEnv(t)
	var waits []time.Duration
	var told []client.Retry
	c, err := client.New(e.url, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"),
		client.WithSleep(func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }),
		client.WithOnRetry(func(r client.Retry) { told = append(told, r) }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.AddFault(e.ctx, client.SimFaultRule{Route: "delete", Status: 429, RetryAfter: "30s", Times: 2}); err != nil {
		t.Fatal(err)
	}
	id, err := c.DeleteProfile(e.ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}})
	if err != nil || id == "" {
		t.Fatalf("delete after two 429s: %q %v", id, err)
	}
	if diff := cmp.Diff([]time.Duration{30 * time.Second, 30 * time.Second}, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	want := client.Retry{Method: "POST", Path: "/api/m2m/v1/devices/profile/actions/delete", Status: 429, Wait: 30 * time.Second}
	if diff := cmp.Diff([]client.Retry{want, want}, told); diff != "" {
		t.Errorf("retries told (-want +got):\n%s", diff)
	}
	// Past its retries, the client reports the 429.
	if _, err := e.admin.AddFault(e.ctx, client.SimFaultRule{Route: "delete", Status: 429}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteProfile(e.ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.StatusCode != 429 || ce.Code != "900800" {
		t.Errorf("after its retries: %v", err)
	}
}

// A rule needs a fault; an unknown route or field is refused with the
// schema's error; removing an unknown rule is a 404.
func TestFaultRulesRefuseBadInput(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{`{"route":"delete"}`, `{"route":"nope","status":500}`, `{"status":200}`, `{"Status":500}`, `{"retryAfter":"3s","latency":"1s"}`, `{"drop":false}`} {
		if st, answer := send(t, "POST", e.url+"/_sim/faults", body); st != 400 {
			t.Errorf("%s: %d %s", body, st, answer)
		}
	}
	if st, answer := send(t, "DELETE", e.url+"/_sim/faults/9", ""); st != 404 {
		t.Errorf("removing an unknown rule: %d %s", st, answer)
	}
}
