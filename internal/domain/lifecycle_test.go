package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
)

// The line of lineWorld's device: its IMEI, and the MDN and IP address it
// has unless deactivated.
const (
	lineIMEI = "356938035643809"
	lineMDN  = "5105550142"
	lineIP   = "10.9.9.9"
)

// lineWorld is newWorld with its device "e" a line in state, with an
// IMEI, a plan, and an MDN and an IP address unless deactivated.
func lineWorld(t *testing.T, state string) *world {
	t.Helper()
	w := newWorld(t)
	d := testDevice()
	d.Account, d.State, d.IMEI, d.ServicePlan = "acct", state, lineIMEI, "PLAN"
	if state != StateDeactive {
		d.MDN, d.IPAddress = lineMDN, lineIP
	}
	if err := w.sim.PutDevice(d); err != nil {
		t.Fatal(err)
	}
	return w
}

// imeiRequest names the device by its IMEI alone (one identifier is
// enough) and, as every line change's request may, a plan: an activate
// gives it to the line, the others do not use it.
func imeiRequest() *wire.ActionRequest {
	r := &wire.ActionRequest{AccountName: "acct", Params: map[string]string{ParamServicePlan: "NEW"}}
	r.Devices = append(r.Devices, struct {
		DeviceIDs []wire.DeviceID `json:"deviceIds"`
	}{[]wire.DeviceID{{Kind: "imei", ID: lineIMEI}}})
	return r
}

// lineOf returns the CarrierResponse of a callback of action, failing the
// test when the callback is not one.
func lineOf(t *testing.T, c wire.Callback, action string) *CarrierResponse {
	t.Helper()
	if c.Service != wire.ServiceCarrier {
		t.Errorf("callback for %s, want %s", c.Service, wire.ServiceCarrier)
	}
	m, ok := c.Message.DeviceResponse.(map[string]*CarrierResponse)
	if !ok || len(m) != 1 || m[action+"Response"] == nil {
		t.Fatalf("deviceResponse %#v, want one %sResponse", c.Message.DeviceResponse, action)
	}
	return m[action+"Response"]
}

// A line's service change runs its scenario on the clock as a profile
// action does: the line changes at the step that reports success, and
// each callback tells the line as that step left it.
func TestLineChangesRunTheirScenarioOnTheClock(t *testing.T) {
	type line struct{ State, MDN, IP, Plan string }
	for _, tt := range []struct {
		name, action, from, scenario string
		due                          []string
		advance                      time.Duration
		later                        []string
		want                         line
		// resume is the last callback's autoResumeDate.
		resume string
	}{
		{"suspend: the line keeps its MDN and IP address, back in 90 days", ActionSuspend, StateActive, "now", []string{"Success"}, time.Hour, nil, line{StateSuspend, lineMDN, lineIP, "PLAN"}, "2026-04-01T00:00:00Z"},
		{"suspend after a warning: still Active at nine minutes", ActionSuspend, StateActive, "late", []string{"Warning"}, 9 * time.Minute, nil, line{StateActive, lineMDN, lineIP, "PLAN"}, ""},
		{"suspend after a warning: Suspend at ten, 90 days from then", ActionSuspend, StateActive, "late", []string{"Warning"}, 10 * time.Minute, []string{"Success"}, line{StateSuspend, lineMDN, lineIP, "PLAN"}, "2026-04-01T00:10:00Z"},
		{"a failed suspend changes nothing", ActionSuspend, StateActive, "fail", []string{"Warning"}, time.Hour, []string{"Failed"}, line{StateActive, lineMDN, lineIP, "PLAN"}, ""},
		{"restore", ActionRestore, StateSuspend, "now", []string{"Success"}, time.Hour, nil, line{StateActive, lineMDN, lineIP, "PLAN"}, ""},
		{"deactivate: no MDN, no IP address", ActionDeactivate, StateActive, "late", []string{"Warning"}, 10 * time.Minute, []string{"Success"}, line{StateDeactive, "", "", "PLAN"}, ""},
		{"activate: the request's plan, an MDN and an IP address from the IMEI", ActionActivate, StateDeactive, "now", []string{"Success"}, time.Hour, nil, line{StateActive, "5035643809", "10.31.225.161", "NEW"}, ""},
		{"a failed activate leaves the line as it was", ActionActivate, StateDeactive, "fail", []string{"Warning"}, time.Hour, []string{"Failed"}, line{StateDeactive, "", "", "PLAN"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := lineWorld(t, tt.from)
			id, due, err := w.sim.StartAction(&Principal{}, LifecycleKind(tt.action), imeiRequest(), tt.scenario)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.due, statuses(due)); diff != "" {
				t.Errorf("callbacks due at once (-want +got):\n%s", diff)
			}
			w.clock.Advance(tt.advance, nil)
			if diff := cmp.Diff(tt.later, w.delivered()); diff != "" {
				t.Errorf("callbacks delivered later (-want +got):\n%s", diff)
			}
			d, err := w.sim.Device("e")
			if err != nil {
				t.Fatal(err)
			}
			if got := (line{d.State, d.MDN, d.IPAddress, d.ServicePlan}); got != tt.want {
				t.Errorf("line %+v, want %+v", got, tt.want)
			}
			if d.IMEI != lineIMEI || d.Enabled() != "on" || len(d.Profiles) != 4 {
				t.Errorf("the device lost more than its line: %+v", d)
			}
			w.mu.Lock()
			all := append(due, w.later...)
			w.mu.Unlock()
			last := all[len(all)-1]
			if last.Message.RequestID != id || last.EID != "e" || !cmp.Equal(last.Message.DeviceIDs, imeiRequest().Devices[0].DeviceIDs) {
				t.Errorf("callback %+v of request %s", last, id)
			}
			for _, c := range all[:len(all)-1] {
				if got := lineOf(t, c, tt.action).State; got != tt.from {
					t.Errorf("a %s callback says %s before the change, want %s", c.Message.Status, got, tt.from)
				}
			}
			wantIDs := []wire.DeviceID{{Kind: "imei", ID: lineIMEI}, {Kind: "iccid", ID: "on"}, {Kind: "mdn", ID: tt.want.MDN}, {Kind: "eid", ID: "e"}}
			if tt.want.MDN == "" {
				wantIDs = append(wantIDs[:2], wantIDs[3])
			}
			want := &CarrierResponse{DeviceIDs: wantIDs, State: tt.want.State, ServicePlan: tt.want.Plan, IPAddress: tt.want.IP, AutoResumeDate: tt.resume}
			if diff := cmp.Diff(want, lineOf(t, last, tt.action)); diff != "" {
				t.Errorf("the last callback's %sResponse (-want +got):\n%s", tt.action, diff)
			}
		})
	}
}

// A line in a state its change does not start from refuses the whole
// request at once, naming the device, its state and what the change needs.
func TestLineChangesNeedTheirStates(t *testing.T) {
	for _, tt := range []struct{ action, state, needs string }{
		{ActionActivate, StateActive, StateDeactive},
		{ActionActivate, StateSuspend, StateDeactive},
		{ActionDeactivate, StateSuspend, StateActive},
		{ActionDeactivate, StateDeactive, StateActive},
		{ActionSuspend, StateSuspend, StateActive},
		{ActionSuspend, StateDeactive, StateActive},
		{ActionRestore, StateActive, StateSuspend},
		{ActionRestore, StateDeactive, StateSuspend},
	} {
		t.Run(tt.action+" from "+tt.state, func(t *testing.T) {
			w := lineWorld(t, tt.state)
			_, due, err := w.sim.StartAction(&Principal{}, LifecycleKind(tt.action), imeiRequest(), "now")
			e, ok := err.(*tserr.Error)
			if !ok || e.Code != tserr.CodeDeviceStateInvalid || len(due) != 0 {
				t.Fatalf("got %v and %d callbacks, want DeviceState.Invalid and none", err, len(due))
			}
			for _, part := range []string{"/devices/0", lineIMEI, tt.state, tt.action + " needs " + tt.needs} {
				if !strings.Contains(e.Message, part) {
					t.Errorf("message %q does not say %q", e.Message, part)
				}
			}
			if d, _ := w.sim.Device("e"); d.State != tt.state || d.Pending != nil {
				t.Errorf("device %+v after a refused request", d)
			}
		})
	}
}

// While a line's change waits for its scenario, any other action on the
// device, a line's or a profile's, fails at once as busy, to its own
// service; the pending change still completes.
func TestAPendingLineChangeMakesTheDeviceBusy(t *testing.T) {
	w := lineWorld(t, StateActive)
	first, _, err := w.sim.StartAction(&Principal{}, LifecycleKind(ActionSuspend), imeiRequest(), "late")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*Kind{LifecycleKind(ActionDeactivate), ProfileKind(ActionDisable)} {
		r := imeiRequest()
		r.Devices[0].DeviceIDs = append(r.Devices[0].DeviceIDs, wire.DeviceID{Kind: "iccid", ID: "on"})
		_, due, err := w.sim.StartAction(&Principal{}, k, r, "now")
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 1 || due[0].Message.Status != "Failed" || due[0].Service != k.Service {
			t.Fatalf("%s on a busy device: %+v", k.Name, due)
		}
	}
	if d, _ := w.sim.Device("e"); d.Pending == nil || d.Pending.RequestID != first || d.Pending.Action != ActionSuspend {
		t.Fatalf("pending %+v", d.Pending)
	}
	w.clock.Advance(10*time.Minute, nil)
	if d, _ := w.sim.Device("e"); d.State != StateSuspend || d.Pending != nil || d.Enabled() != "on" {
		t.Errorf("device %+v", d)
	}
}

// An activated line's MDN and IP address come from the last nine digits
// of its IMEI, or of its EID when it has none: a generated device (IMEI
// "35" and its index) gets back those it was generated with.
func TestActivatedLinesNumbers(t *testing.T) {
	for _, tt := range []struct{ imei, eid, mdn, ip string }{
		{"350000000000042", "89049032000000000000000000000042", "5000000042", "10.0.0.42"},
		{"", "89049032000000000000000000123456", "5000123456", "10.1.226.64"},
		{lineIMEI, "89049032000000000000000000123456", "5035643809", "10.31.225.161"},
	} {
		d := &Device{EID: tt.eid, IMEI: tt.imei, State: StateDeactive}
		activateLine(d, Result{})
		if d.State != StateActive || d.MDN != tt.mdn || d.IPAddress != tt.ip || d.ServicePlan != "" {
			t.Errorf("IMEI %q, EID %s: %s %s %s, want Active %s %s", tt.imei, tt.eid, d.State, d.MDN, d.IPAddress, tt.mdn, tt.ip)
		}
	}
}
