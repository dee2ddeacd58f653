package simulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/thingspace"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
	"github.com/tssim/tssim/schemas"
)

// The seed device's line, from the demo fixtures, and what activating it
// gives it (from the last nine digits of its IMEI).
const (
	seedIMEI      = "666456789014008"
	seedMDN       = "2022326360"
	seedIP        = "101.0.1.216"
	activatedMDN  = "5789014008"
	activatedIP   = "10.7.101.248"
	demoPlan      = "RP4235311"
	newPlan       = "M2MFLEX5GB"
	carrierUser   = "carrier-user"
	carrierSecret = "carrier-secret"
)

// carrierCallback is a CarrierService callback as a listener reads it.
type carrierCallback struct {
	Username       string                            `json:"username"`
	Password       string                            `json:"password"`
	RequestID      string                            `json:"requestId"`
	DeviceIDs      []wire.DeviceID                   `json:"deviceIds"`
	DeviceResponse map[string]domain.CarrierResponse `json:"deviceResponse"`
	FaultResponse  *wire.FaultResponse               `json:"faultResponse"`
	Status         string                            `json:"status"`
	CallbackCount  int                               `json:"callbackCount"`
}

// carrierListener is a CarrierService listener: it checks every callback
// against schemas/carrier-callback.json and keeps it, and answers 500 to
// as many callbacks as fail says first.
type carrierListener struct {
	url  string
	fail atomic.Int32
	mu   sync.Mutex
	got  []carrierCallback
}

func newCarrierListener(t *testing.T) *carrierListener {
	t.Helper()
	schema, err := schemas.Compile("carrier-callback.json")
	if err != nil {
		t.Fatal(err)
	}
	l := &carrierListener{}
	ls := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading a callback: %v", err)
			return
		}
		check(t, schema, "CarrierService callback", body)
		var cb carrierCallback
		if err := json.Unmarshal(body, &cb); err != nil {
			t.Errorf("CarrierService callback: %v\n%s", err, body)
		}
		l.mu.Lock()
		l.got = append(l.got, cb)
		l.mu.Unlock()
		if l.fail.Add(-1) >= 0 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(ls.Close)
	l.url = ls.URL + "/carrier"
	return l
}

// of returns the callbacks the listener took for a request, in order.
func (l *carrierListener) of(requestID string) []carrierCallback {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []carrierCallback
	for _, cb := range l.got {
		if cb.RequestID == requestID {
			out = append(out, cb)
		}
	}
	return out
}

// registerCarrier points the demo account's CarrierService at l.
func registerCarrier(t *testing.T, c *client.Client, l *carrierListener) {
	t.Helper()
	if err := c.RegisterCallback(context.Background(), account, client.CallbackRegistration{Name: wire.ServiceCarrier, URL: l.url, Username: carrierUser, Password: carrierSecret}); err != nil {
		t.Fatal(err)
	}
}

// named is one device of a request, named by one identifier.
func named(kind, id string) string {
	return fmt.Sprintf(`{"deviceIds":[{"kind":%q,"id":%q}]}`, kind, id)
}

// lineBody is a request of action for devices of the demo account, with
// the fields action requires.
func lineBody(action string, devices ...string) string {
	extra := map[string]string{
		domain.ActionActivate:   `,"servicePlan":"` + newPlan + `","mdnZipCode":"94107"`,
		domain.ActionDeactivate: `,"reasonCode":"FF"`,
	}[action]
	return fmt.Sprintf(`{"accountName":%q,"devices":[%s]%s}`, account, strings.Join(devices, ","), extra)
}

// changeLine posts a line change and returns its requestId, failing the
// test on any other answer.
func (e *env) changeLine(h http.Header, action, body string) string {
	e.t.Helper()
	status, b := e.raw(http.MethodPost, thingspace.LifecyclePath+action, h, body)
	var out struct {
		RequestID string `json:"requestId"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(b), &out) != nil || out.RequestID == "" {
		e.t.Fatalf("%s: %d %s", action, status, b)
	}
	return out.RequestID
}

// envOf is an env for the tssim of an instance, c its client.
func envOf(t *testing.T, in *instance, c *client.Client) *env {
	return &env{t: t, ctx: context.Background(), url: in.hs.URL, api: c, admin: in.admin}
}

// line is what a test expects of the seed device's line.
type line struct{ State, MDN, IP, Plan string }

func (e *env) line(eid string) line {
	d := e.device(eid)
	return line{d.State, d.MDN, d.IPAddress, d.ServicePlan}
}

// The seed device's whole life through the API: suspend (profile actions
// then refused), restore, deactivate, activate, each device named by
// another identifier, each reported once to CarrierService alone, with the
// line as the change left it.
func TestALinesLifeThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	carrier := newCarrierListener(t)
	registerCarrier(t, e.api, carrier)
	h := e.authed()
	mdnIDs := func(mdn string) []wire.DeviceID {
		return []wire.DeviceID{{Kind: "imei", ID: seedIMEI}, {Kind: "iccid", ID: seedICCID}, {Kind: "mdn", ID: mdn}, {Kind: "eid", ID: seedEID}}
	}
	for _, tt := range []struct {
		action string
		by     wire.DeviceID
		want   line
		ids    []wire.DeviceID
		resume string
	}{
		{domain.ActionSuspend, wire.DeviceID{Kind: "imei", ID: seedIMEI}, line{domain.StateSuspend, seedMDN, seedIP, demoPlan}, mdnIDs(seedMDN), "2026-04-01T00:00:00Z"},
		{domain.ActionRestore, wire.DeviceID{Kind: "mdn", ID: seedMDN}, line{domain.StateActive, seedMDN, seedIP, demoPlan}, mdnIDs(seedMDN), ""},
		{domain.ActionDeactivate, wire.DeviceID{Kind: "iccid", ID: seedICCID}, line{domain.StateDeactive, "", "", demoPlan},
			[]wire.DeviceID{{Kind: "imei", ID: seedIMEI}, {Kind: "iccid", ID: seedICCID}, {Kind: "eid", ID: seedEID}}, ""},
		{domain.ActionActivate, wire.DeviceID{Kind: "eid", ID: seedEID}, line{domain.StateActive, activatedMDN, activatedIP, newPlan}, mdnIDs(activatedMDN), ""},
	} {
		id := e.changeLine(h, tt.action, lineBody(tt.action, named(tt.by.Kind, tt.by.ID)))
		e.callbacks(id, 1, 1)
		cbs := carrier.of(id)
		if len(cbs) != 1 {
			t.Fatalf("%s: %d callbacks, want 1: %+v", tt.action, len(cbs), cbs)
		}
		cb := cbs[0]
		if cb.Status != "Success" || cb.CallbackCount != 1 || cb.Username != carrierUser || cb.Password != carrierSecret ||
			!cmp.Equal(cb.DeviceIDs, []wire.DeviceID{tt.by}) || cb.FaultResponse != nil {
			t.Errorf("%s: callback %+v", tt.action, cb)
		}
		want := map[string]domain.CarrierResponse{tt.action + "Response": {DeviceIDs: tt.ids, State: tt.want.State, ServicePlan: tt.want.Plan, IPAddress: tt.want.IP, AutoResumeDate: tt.resume}}
		if diff := cmp.Diff(want, cb.DeviceResponse); diff != "" {
			t.Errorf("%s: deviceResponse (-want +got):\n%s", tt.action, diff)
		}
		if got := e.line(seedEID); got != tt.want {
			t.Errorf("after %s: %+v, want %+v", tt.action, got, tt.want)
		}
		if tt.action == domain.ActionSuspend {
			_, err := e.api.DeleteProfile(e.ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}})
			if status, code := code(t, err); status != 400 || code != tserr.CodeDeviceStateInvalid || !strings.Contains(err.Error(), "Suspend") {
				t.Errorf("a profile action on a suspended device: %v", err)
			}
		}
	}
	if d := e.device(seedEID); len(d.Profiles) != 2 || d.Enabled() != seedICCID || d.IMEI != seedIMEI || d.Pending != nil {
		t.Errorf("the device after its line's life: %+v", d)
	}
	// Active again, it takes profile actions, reported to DeviceProfileService
	// alone; the profile listener saw no CarrierService callback (it checks
	// each against callback.json).
	id := e.delete(seedEID, seedICCID)
	if res, err := e.listener.Await(e.ctx, id); err != nil || !res[seedEID].Succeeded {
		t.Fatalf("a profile action after activation: %+v %v", res, err)
	}
	if got := len(e.listener.Results()); got != 1 {
		t.Errorf("DeviceProfileService took %d callbacks, want the delete's alone", got)
	}
	if got := len(carrier.of(id)); got != 0 {
		t.Errorf("CarrierService took %d callbacks of the delete", got)
	}
}

func TestLineRequestErrors(t *testing.T) {
	e := newEnv(t)
	h := e.authed()
	seed := named("eid", seedEID)
	many := strings.TrimSuffix(strings.Repeat(seed+",", domain.MaxDevices+1), ",")
	const (
		suspended   = "666456789123456789123456784015"
		deactivated = "666456789123456789123456784016"
	)
	tests := []struct {
		name, action, body string
		code               string
		// msg must appear in errorMessage: the offending field.
		msg string
	}{
		{"no devices", domain.ActionSuspend, `{"accountName":"` + account + `"}`, tserr.CodeUnexpected, "/devices: is required"},
		{"zero devices", domain.ActionRestore, lineBody(domain.ActionRestore), tserr.CodeUnexpected, "/devices: names no device"},
		{"over 10,000 devices", domain.ActionSuspend, lineBody(domain.ActionSuspend, many), tserr.CodeMaxRequests, "/devices"},
		{"no accountName", domain.ActionSuspend, `{"devices":[` + seed + `]}`, tserr.CodeAccountNotDefined, "/accountName"},
		{"a device without identifiers", domain.ActionSuspend, lineBody(domain.ActionSuspend, `{"deviceIds":[]}`), tserr.CodeUnexpected, "/devices/0/deviceIds"},
		{"an unknown kind", domain.ActionSuspend, lineBody(domain.ActionSuspend, named("serial", "1")), tserr.CodeDeviceKindInvalid, "/devices/0/deviceIds/0/kind"},
		{"a bad IMEI", domain.ActionSuspend, lineBody(domain.ActionSuspend, named("imei", "12ab")), tserr.CodeDeviceIDInvalid, "/devices/0/deviceIds/0/id"},
		{"withBilling not a boolean", domain.ActionSuspend, strings.Replace(lineBody(domain.ActionSuspend, seed), "{", `{"withBilling":"yes",`, 1), tserr.CodeUnexpected, "/withBilling"},
		{"no reasonCode", domain.ActionDeactivate, lineBody(domain.ActionSuspend, seed), tserr.CodeUnexpected, "/reasonCode: is required"},
		{"a reasonCode other than FF", domain.ActionDeactivate, strings.Replace(lineBody(domain.ActionDeactivate, seed), `"FF"`, `"AA"`, 1), tserr.CodeUnexpected, `/reasonCode: must be "FF"`},
		{"etfWaiver not a boolean", domain.ActionDeactivate, strings.Replace(lineBody(domain.ActionDeactivate, seed), "{", `{"etfWaiver":1,`, 1), tserr.CodeUnexpected, "/etfWaiver"},
		{"no servicePlan", domain.ActionActivate, `{"accountName":"` + account + `","devices":[` + seed + `],"mdnZipCode":"94107"}`, tserr.CodeUnexpected, "/servicePlan: is required"},
		{"no mdnZipCode", domain.ActionActivate, `{"accountName":"` + account + `","devices":[` + seed + `],"servicePlan":"P"}`, tserr.CodeUnexpected, "/mdnZipCode: is required"},
		{"a bad mdnZipCode", domain.ActionActivate, strings.Replace(lineBody(domain.ActionActivate, seed), "94107", "9410", 1), tserr.CodeUnexpected, "/mdnZipCode"},
		{"an apostrophe", domain.ActionActivate, strings.Replace(lineBody(domain.ActionActivate, seed), "M2MFLEX5GB", "O'Brien", 1), tserr.CodeInvalidCharacter, "/servicePlan"},
		{"an unknown device", domain.ActionSuspend, lineBody(domain.ActionSuspend, named("imei", "356938035643809")), tserr.CodeDeviceNotFound, "/devices/0"},
		{"another account's device", domain.ActionSuspend, lineBody(domain.ActionSuspend, named("eid", "666456789123456789123456785001")), tserr.CodeDeviceNotFound, "/devices/0"},
		{"suspend a suspended line", domain.ActionSuspend, lineBody(domain.ActionSuspend, named("eid", suspended)), tserr.CodeDeviceStateInvalid, suspended + " is Suspend: suspend needs Active"},
		{"restore an active line", domain.ActionRestore, lineBody(domain.ActionRestore, seed), tserr.CodeDeviceStateInvalid, seedEID + " is Active: restore needs Suspend"},
		{"activate an active line", domain.ActionActivate, lineBody(domain.ActionActivate, named("mdn", seedMDN)), tserr.CodeDeviceStateInvalid, seedMDN + " is Active: activate needs Deactive"},
		{"deactivate a deactivated line", domain.ActionDeactivate, lineBody(domain.ActionDeactivate, named("eid", deactivated)), tserr.CodeDeviceStateInvalid, "is Deactive: deactivate needs Active"},
		{"one line in the wrong state refuses the whole request", domain.ActionSuspend, lineBody(domain.ActionSuspend, seed, named("eid", suspended)), tserr.CodeDeviceStateInvalid, "/devices/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.raw(http.MethodPost, thingspace.LifecyclePath+tt.action, h, tt.body)
			var got struct{ ErrorCode, ErrorMessage string }
			if err := json.Unmarshal([]byte(body), &got); err != nil || status != 400 || got.ErrorCode != tt.code || !strings.Contains(got.ErrorMessage, tt.msg) {
				t.Errorf("%d %s, want 400 %s naming %q", status, body, tt.code, tt.msg)
			}
		})
	}
	if d := e.device(seedEID); d.State != domain.StateActive || d.Pending != nil {
		t.Errorf("refused requests changed the seed device: %+v", d)
	}
}

// The profile actions' scenarios script the line's changes alike; the
// change is made at the step that reports success, and meanwhile the
// device is busy.
func TestLineChangesFollowTheirScenario(t *testing.T) {
	for _, tt := range []struct {
		scenario string
		// statuses are those of the callbacks at once, then after an hour.
		now, later []string
		// states are the suspendResponse's state in each of them.
		states []string
		want   string
	}{
		{"immediate-success", []string{"Success"}, nil, []string{"Suspend"}, domain.StateSuspend},
		{"warning-then-success", []string{"Warning"}, []string{"Success"}, []string{"Active", "Suspend"}, domain.StateSuspend},
		{"unreachable-then-failure", []string{"Warning"}, []string{"Failed"}, []string{"Active", "Active"}, domain.StateActive},
		{"failure", []string{"Failed"}, nil, []string{"Active"}, domain.StateActive},
		{"duplicate-success", []string{"Success", "Success"}, nil, []string{"Suspend", "Suspend"}, domain.StateSuspend},
		{"silent-success", nil, nil, nil, domain.StateSuspend},
		{"fault-response", []string{"Failed"}, nil, []string{""}, domain.StateActive},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			e := newEnv(t)
			carrier := newCarrierListener(t)
			registerCarrier(t, e.api, carrier)
			h := e.authed()
			h.Set(domain.ScenarioHeader, tt.scenario)
			id := e.changeLine(h, domain.ActionSuspend, lineBody(domain.ActionSuspend, named("eid", seedEID)))
			if n := len(tt.now); n > 0 {
				e.callbacks(id, n, n)
			}
			if len(tt.later) > 0 {
				if p := e.device(seedEID).Pending; p == nil || p.RequestID != id || p.Action != domain.ActionSuspend {
					t.Errorf("pending %+v", p)
				}
				busy := e.changeLine(e.authed(), domain.ActionDeactivate, lineBody(domain.ActionDeactivate, named("eid", seedEID)))
				e.callbacks(busy, 1, 1)
				if cbs := carrier.of(busy); len(cbs) != 1 || cbs[0].Status != "Failed" || cbs[0].DeviceResponse["deactivateResponse"].State != domain.StateActive {
					t.Errorf("a deactivate while the suspend is pending: %+v", cbs)
				}
			}
			e.advance(time.Hour)
			all := append(tt.now, tt.later...)
			if n := len(all); n > 0 {
				e.callbacks(id, len(tt.later)+1, n)
			}
			var statuses, states []string
			for _, cb := range carrier.of(id) {
				statuses = append(statuses, cb.Status)
				states = append(states, cb.DeviceResponse["suspendResponse"].State)
				if (cb.FaultResponse != nil) != (tt.scenario == "fault-response") {
					t.Errorf("callback %+v", cb)
				}
			}
			if !cmp.Equal(all, statuses) || !cmp.Equal(tt.states, states) {
				t.Errorf("callbacks %v with states %v, want %v with %v", statuses, states, all, tt.states)
			}
			if d := e.device(seedEID); d.State != tt.want || d.Pending != nil {
				t.Errorf("device %s pending %+v, want %s", d.State, d.Pending, tt.want)
			}
		})
	}
}

// CarrierService callbacks are retried as profile callbacks are, counted
// by callbackCount, while the account's DeviceProfileService listener
// takes its own at the first try.
func TestCarrierCallbacksAreRetried(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	carrier := newCarrierListener(t)
	registerCarrier(t, e.api, carrier)
	carrier.fail.Store(2)
	id := e.changeLine(e.authed(), domain.ActionSuspend, lineBody(domain.ActionSuspend, named("eid", seedEID)))
	profile := e.delete("666456789123456789123456784009", "89148000000840784261")
	e.callbacks(id, 1, 1)
	for n := 2; n <= 3; n++ {
		e.advance(5 * time.Minute)
		e.callbacks(id, 1, n)
	}
	var counts []int
	for _, cb := range carrier.of(id) {
		counts = append(counts, cb.CallbackCount)
	}
	if !cmp.Equal(counts, []int{1, 2, 3}) {
		t.Errorf("callbackCount of the sends %v, want [1 2 3]", counts)
	}
	res, err := e.listener.Await(e.ctx, profile)
	if err != nil {
		t.Fatal(err)
	}
	if r := res["666456789123456789123456784009"]; !r.Succeeded || r.CallbackCount != 1 {
		t.Errorf("the profile callback: %+v", r)
	}
	if got := len(carrier.of(profile)); got != 0 {
		t.Errorf("CarrierService took %d profile callbacks", got)
	}
}

// An activate whose success is still to come survives a restart: the
// state file keeps it by its kind's name, and after the restart it
// completes on the clock, reported to CarrierService.
func TestAPendingActivateSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	carrier := newCarrierListener(t)
	a := start(t, path)
	c, err := client.New(a.hs.URL, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	registerCarrier(t, c, carrier)
	e := envOf(t, a, c)
	h := e.authed()
	off := e.changeLine(h, domain.ActionDeactivate, lineBody(domain.ActionDeactivate, named("eid", seedEID)))
	e.callbacks(off, 1, 1)
	h.Set(domain.ScenarioHeader, "warning-then-success")
	on := e.changeLine(h, domain.ActionActivate, lineBody(domain.ActionActivate, named("imei", seedIMEI)))
	e.callbacks(on, 1, 1)
	a.stop(t)

	b := start(t, path)
	defer b.stop(t)
	e = envOf(t, b, c)
	if d := e.device(seedEID); d.State != domain.StateDeactive || d.Pending == nil || d.Pending.RequestID != on || d.Pending.Action != domain.ActionActivate {
		t.Fatalf("after the restart: %+v", d)
	}
	e.advance(10 * time.Minute)
	e.callbacks(on, 1, 1) // the journal of callbacks starts empty at a restart
	var got []string
	for _, cb := range carrier.of(on) {
		got = append(got, cb.Status+":"+cb.DeviceResponse["activateResponse"].State)
	}
	if want := []string{"Warning:Deactive", "Success:Active"}; !cmp.Equal(got, want) {
		t.Errorf("activate callbacks %v, want %v", got, want)
	}
	if got := e.line(seedEID); got != (line{domain.StateActive, activatedMDN, activatedIP, newPlan}) {
		t.Errorf("line %+v", got)
	}
}

// The four line changes are operations of the catalogue under their
// ThingSpace names, which fault rules match them by too, each with its
// schema and reporting to CarrierService.
func TestLineChangesAreOperations(t *testing.T) {
	type operation struct{ Name, Fault, Method, Path, Schema, Access, Service string }
	e := newEnv(t)
	status, body := e.raw(http.MethodGet, "/_sim/operations", nil, "")
	var got struct {
		Operations  []operation
		FaultRoutes []string
	}
	if err := json.Unmarshal([]byte(body), &got); status != http.StatusOK || err != nil {
		t.Fatalf("%d %s", status, body)
	}
	for action, schema := range map[string]string{domain.ActionActivate: "carrier-activate.json", domain.ActionDeactivate: "carrier-deactivate.json",
		domain.ActionSuspend: "carrier-actions.json", domain.ActionRestore: "carrier-actions.json"} {
		i := slices.IndexFunc(got.Operations, func(o operation) bool { return o.Name == action })
		if i < 0 || !slices.Contains(got.FaultRoutes, action) {
			t.Errorf("%s: not an operation, or no fault route", action)
			continue
		}
		want := operation{action, action, http.MethodPost, "/api/m2m/v1/devices/actions/" + action, schema, "session", wire.ServiceCarrier}
		if got.Operations[i] != want {
			t.Errorf("%s: %+v, want %+v", action, got.Operations[i], want)
		}
	}
}

// carrier-callback.json holds tssim to the shape the client side reads:
// one <action>Response member, the line's state in ThingSpace's casing,
// deviceResponse or faultResponse.
func TestCarrierCallbackSchemaRefusesOtherShapes(t *testing.T) {
	schema, err := schemas.Compile("carrier-callback.json")
	if err != nil {
		t.Fatal(err)
	}
	const (
		envelope = `{"username":"","password":"","requestId":"r","deviceIds":[{"kind":"eid","id":"1"}],"status":"Success","callbackCount":1,"maxCallbackThreshold":4,%s}`
		line     = `{"deviceIds":[],"state":"Suspend","servicePlan":"P","ipAddress":""}`
	)
	if err := schemas.Check(schema, fmt.Appendf(nil, envelope, `"deviceResponse":{"suspendResponse":`+line+`}`)); err != nil {
		t.Fatalf("the shape tssim sends: %v", err)
	}
	for _, member := range []string{
		`"deviceResponse":{}`,
		`"deviceResponse":{"suspendResponse":` + line + `,"restoreResponse":` + line + `}`,
		`"deviceResponse":{"deviceProfileResponse":` + line + `}`,
		`"deviceResponse":{"suspendResponse":` + strings.Replace(line, "Suspend", "suspended", 1) + `}`,
		`"deviceResponse":{"suspendResponse":{"state":"Suspend"}}`,
		`"deviceResponse":{"suspendResponse":` + line + `},"faultResponse":{"faultcode":"a","faultstring":"b"}`,
	} {
		if schemas.Check(schema, fmt.Appendf(nil, envelope, member)) == nil {
			t.Errorf("carrier-callback.json accepts %s", member)
		}
	}
}
