package simulator_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tssim/tssim/internal/tserr"
)

// TestBadInput sends every kind of bad request we could think of, checks
// the documented status and ThingSpace error body of each, and then that
// the simulator still serves a normal delete.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	h := e.authed()
	del := "/api/m2m/v1/devices/profile/actions/delete"
	seed := dev(seedEID, seedICCID)
	body := func(devs ...string) string { return actionBody(account, smsrOID, devs...) }
	n := func(k int, from int) string {
		var b strings.Builder
		for i := range k {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"deviceIds":[{"kind":"eid","id":"%030d"},{"kind":"iccid","id":"89148000000840784259"}]}`, from+i)
		}
		return b.String()
	}
	with := func(k, v string) http.Header {
		hh := h.Clone()
		if v == "" {
			hh.Del(k)
		} else {
			hh.Set(k, v)
		}
		return hh
	}
	doubled := func(k string) http.Header {
		hh := h.Clone()
		hh.Add(k, hh.Get(k))
		return hh
	}
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header
		body   string
		status int
		code   string
	}{
		{"truncated JSON", "POST", del, h, body(seed)[:40], 400, tserr.CodeUnexpected},
		{"only an opening brace", "POST", del, h, "{", 400, tserr.CodeUnexpected},
		{"a JSON string", "POST", del, h, `"delete"`, 400, tserr.CodeUnexpected},
		{"a JSON number", "POST", del, h, `42`, 400, tserr.CodeUnexpected},
		{"JSON null", "POST", del, h, `null`, 400, tserr.CodeUnexpected},
		{"devices is an object", "POST", del, h, `{"devices":{},"accountName":"1223334444-00001","smsrOid":"1.3"}`, 400, tserr.CodeUnexpected},
		{"devices is null", "POST", del, h, `{"devices":null,"accountName":"1223334444-00001","smsrOid":"1.3"}`, 400, tserr.CodeUnexpected},
		{"deviceIds null", "POST", del, h, body(`{"deviceIds":null}`), 400, tserr.CodeUnexpected},
		{"a device that is a string", "POST", del, h, body(`"666456789123456789123456784008"`), 400, tserr.CodeUnexpected},
		{"kind is a number", "POST", del, h, body(`{"deviceIds":[{"kind":1,"id":"666456789123456789123456784008"},{"kind":"iccid","id":"89148000000840784259"}]}`), 400, tserr.CodeDeviceKindInvalid},
		{"id is a number", "POST", del, h, body(`{"deviceIds":[{"kind":"eid","id":666456789123456789123456784008},{"kind":"iccid","id":"89148000000840784259"}]}`), 400, tserr.CodeDeviceIDInvalid},
		{"accountName null", "POST", del, h, `{"devices":[` + seed + `],"accountName":null,"smsrOid":"1.3"}`, 400, tserr.CodeAccountNotDefined},
		{"smsrOid null", "POST", del, h, `{"devices":[` + seed + `],"accountName":"1223334444-00001","smsrOid":null}`, 400, tserr.CodeUnexpected},
		{"duplicate key", "POST", del, h, `{"devices":[` + seed + `],"accountName":"1223334444-00001","accountName":"nope","smsrOid":"1.3"}`, 400, tserr.CodeUnexpected},
		{"duplicate key in a device", "POST", del, h, body(`{"deviceIds":[{"kind":"eid","id":"1","id":"666456789123456789123456784008"},{"kind":"iccid","id":"89148000000840784259"}]}`), 400, tserr.CodeUnexpected},
		{"unicode in an EID", "POST", del, h, body(dev("６６６456789123456789123456784008", seedICCID)), 400, tserr.CodeDeviceIDInvalid},
		{"control character in an EID", "POST", del, h, body(`{"deviceIds":[{"kind":"eid","id":"6664567891234567891234567840\u0000"},{"kind":"iccid","id":"89148000000840784259"}]}`), 400, tserr.CodeDeviceIDInvalid},
		{"invalid UTF-8", "POST", del, h, body(`{"deviceIds":[{"kind":"eid","id":"666456789123456789123456784008"},{"kind":"iccid","id":"` + "\xff\xfe" + `"}]}`), 400, tserr.CodeDeviceIDInvalid},
		{"a lone surrogate escape", "POST", del, h, `{"devices":[` + seed + `],"accountName":"\ud800","smsrOid":"1.3"}`, 400, tserr.CodeAccountNotFound},
		{"a huge account name", "POST", del, h, actionBody(strings.Repeat("9", 1<<20), smsrOID, seed), 400, tserr.CodeAccountNotDefined},
		{"a huge number", "POST", del, h, `{"devices":[` + seed + `],"accountName":"1223334444-00001","smsrOid":1e999999}`, 400, tserr.CodeUnexpected},
		{"deep nesting", "POST", del, h, strings.Repeat("[", 100000) + strings.Repeat("]", 100000), 400, tserr.CodeUnexpected},
		{"10,001 devices", "POST", del, h, body(n(10001, 0)), 400, tserr.CodeMaxRequests},
		{"10,000 unknown devices", "POST", del, h, body(n(10000, 0)), 400, tserr.CodeDeviceNotFound},
		{"a body over 4 MiB", "POST", del, h, body(n(40000, 0)), 413, tserr.CodeRequestTooLarge},
		{"GET on an action", "GET", del, h, "", 405, tserr.CodeMethodNotAllowed},
		{"PUT on an action", "PUT", del, h, body(seed), 405, tserr.CodeMethodNotAllowed},
		{"an unknown action", "POST", "/api/m2m/v1/devices/profile/actions/erase", h, body(seed), 400, tserr.FaultNoResource},
		{"an unknown path", "GET", "/api/m2m/v2/devices", h, "", 400, tserr.FaultNoResource},
		{"a path with dot segments", "GET", "/api/m2m/v1/../../_sim/devices", h, "", 400, tserr.FaultNoResource},
		{"no Content-Type", "POST", del, with("Content-Type", ""), body(seed), 415, tserr.CodeUnsupportedMediaType},
		{"form Content-Type", "POST", del, with("Content-Type", "application/x-www-form-urlencoded"), body(seed), 415, tserr.CodeUnsupportedMediaType},
		{"a broken Content-Type", "POST", del, with("Content-Type", "application/json; charset"), body(seed), 415, tserr.CodeUnsupportedMediaType},
		{"no Authorization", "POST", del, with("Authorization", ""), body(seed), 401, tserr.FaultMissingCredentials},
		{"Bearer without a token", "POST", del, with("Authorization", "Bearer "), body(seed), 401, tserr.FaultMissingCredentials},
		{"no VZ-M2M-Token", "POST", del, with("Vz-M2m-Token", ""), body(seed), 400, tserr.CodeSessionFormat},
		{"a session token with unicode", "POST", del, with("Vz-M2m-Token", "ü"+strings.Repeat("a", 35)), body(seed), 400, tserr.CodeSessionInvalid},
		{"Authorization twice", "POST", del, doubled("Authorization"), body(seed), 400, tserr.CodeUnexpected},
		{"VZ-M2M-Token twice", "POST", del, doubled("Vz-M2m-Token"), body(seed), 400, tserr.CodeUnexpected},
		{"Content-Type twice", "POST", del, doubled("Content-Type"), body(seed), 400, tserr.CodeUnexpected},
		{"an unknown scenario header", "POST", del, with("X-Tssim-Scenario", "../../etc/passwd"), body(seed), 400, tserr.CodeSimUnknownScenario},
		{"a token form without grant_type", "POST", "/api/ts/v1/oauth2/token", http.Header{"Authorization": {"Basic ZGVtby1rZXk6ZGVtby1zZWNyZXQ="}}, "%zz", 400, "invalid_request"},
		{"a broken Basic header", "POST", "/api/ts/v1/oauth2/token", http.Header{"Authorization": {"Basic !!!"}}, "grant_type=client_credentials", 401, "invalid_client"},
		{"a callback URL with a space", "POST", "/api/m2m/v1/callbacks/" + account, h, `{"name":"DeviceProfileService","url":"http:// x"}`, 400, tserr.CodeUnexpected},
		{"a javascript: callback URL", "POST", "/api/m2m/v1/callbacks/" + account, h, `{"name":"DeviceProfileService","url":"javascript:alert(1)"}`, 400, tserr.CodeUnexpected},
		{"a file: callback URL", "POST", "/api/m2m/v1/callbacks/" + account, h, `{"name":"DeviceProfileService","url":"file:///etc/passwd"}`, 400, tserr.CodeUnexpected},
		{"an account path with a slash", "GET", "/api/m2m/v1/callbacks/12%2F34", h, "", 400, tserr.FaultNoResource},
		{"a bad wait", "GET", "/_sim/callbacks?wait=forever", nil, "", 400, tserr.CodeUnexpected},
		{"a negative min", "GET", "/_sim/callbacks?wait=1ms&min=-1", nil, "", 400, tserr.CodeUnexpected},
		{"an unknown device at the control API", "GET", "/_sim/devices/123", nil, "", 404, tserr.CodeDeviceNotFound},
		{"an EID that does not match the path", "PUT", "/_sim/devices/1", http.Header{"Content-Type": {"application/json"}}, `{"eid":"666456789123456789123456784008","account":"1223334444-00001","state":"Active","profiles":[{"iccid":"11245055053268336886","type":"bootstrap","status":"enabled"}]}`, 400, tserr.CodeDeviceIDInvalid},
		{"advancing by a negative time", "POST", "/_sim/clock/advance", http.Header{"Content-Type": {"application/json"}}, `{"by":"-5m"}`, 400, tserr.CodeUnexpected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, got := e.raw(tt.method, tt.path, tt.header, tt.body)
			if st != tt.status || !strings.Contains(got, `"`+tt.code+`"`) {
				t.Errorf("got %d %.300s\nwant %d %s", st, got, tt.status, tt.code)
			}
		})
	}
	t.Logf("%d bad requests", len(tests))
	// Still itself.
	if st, got := e.raw("GET", "/_sim/health", nil, ""); st != 200 {
		t.Fatalf("health after the bad input: %d %s", st, got)
	}
	id := e.delete(seedEID, seedICCID)
	if cb := e.callbacks(id, 1, 0)[0]; cb.Status != "Success" {
		t.Errorf("a normal delete after the bad input: %+v", cb)
	}
}

// A key in another case is not the key the schema judged: the handler never
// sees it. Before, encoding/json matched it case-insensitively, last one
// winning: an empty device list was accepted and answered 200, and a file:
// URL registered past the schema's http(s) rule.
func TestCaseVariantKeysCannotBypassTheSchema(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	h := e.authed()
	st, got := e.raw("POST", "/api/m2m/v1/devices/profile/actions/delete", h,
		`{"devices":[`+dev(seedEID, seedICCID)+`],"Devices":[],"accountName":"1223334444-00001","smsrOid":"1.3"}`)
	if st != 200 {
		t.Fatalf("delete: %d %s", st, got)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(got), `{"requestId":"`), `"}`)
	if cbs := e.callbacks(id, 1, 1); cbs[0].EID != seedEID {
		t.Errorf("callbacks %+v, want the seed device's", cbs)
	}
	st, got = e.raw("POST", "/api/m2m/v1/callbacks/"+account, h,
		`{"name":"DeviceProfileService","url":"http://127.0.0.1:1/cb","URL":"file:///etc/passwd"}`)
	if st != 200 {
		t.Fatalf("register: %d %s", st, got)
	}
	regs, err := e.api.Callbacks(e.ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range regs {
		if !strings.HasPrefix(r.URL, "http://") {
			t.Errorf("registered %q", r.URL)
		}
	}
	st, got = e.raw("POST", "/api/m2m/v1/devices/profile/actions/delete", h,
		`{"devices":[`+dev(seedEID, seedICCID)+`],"accountName":"1223334444-00001","accountName":"x","smsrOid":"1.3"}`)
	if st != 400 || !strings.Contains(got, "/accountName: the key is given twice") {
		t.Errorf("a key given twice: %d %s", st, got)
	}
}

// A body with thousands of violations is refused naming the first, and
// journalled with the first ten and the count of the rest: before, 300 such
// requests held 1.86 GB of journal.
func TestJournalKeepsTenViolationsARecord(t *testing.T) {
	e := newEnv(t)
	h := e.authed()
	bad := strings.TrimSuffix(strings.Repeat(`{"deviceIds":[{"kind":"eid","id":"1"},{"kind":"iccid","id":"2"}]},`, 1000), ",")
	if st, got := e.raw("POST", "/api/m2m/v1/devices/profile/actions/delete", h, actionBody(account, smsrOID, bad)); st != 400 {
		t.Fatalf("%d %s", st, got)
	}
	reqs, err := e.admin.Requests(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := reqs[len(reqs)-1]
	if len(last.Violations) != 10 || last.ViolationsOmitted < 1990 {
		t.Errorf("the record keeps %d violations and omits %d", len(last.Violations), last.ViolationsOmitted)
	}
}
