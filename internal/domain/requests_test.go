package domain

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
)

// poke is a kind of action with no rules of its own, as the line's and
// Global IoT's kinds may be: every kind's requests are tracked alike.
var poke = &Kind{Name: "poke", Service: wire.ServiceCarrier, Response: func(Result) any { return struct{}{} }}

// fleet is a Sim on a manual clock with n Active devices on account
// "acct" (EID fmt "d%d", local profile "l%d"), a user "u" on "acct" and
// "acct2", and an account "other" that is not the user's. It remembers at
// most maxRequests requests (0: the default) and tracks its changes.
func fleet(t *testing.T, n, maxRequests int) (*Sim, *clock.Manual) {
	t.Helper()
	f := &Fixtures{
		Users:    []User{{Username: "u", Password: "p", Accounts: []string{"acct", "acct2"}}},
		Accounts: []Account{{Name: "acct"}, {Name: "acct2"}, {Name: "other"}},
	}
	for i := range n {
		f.Devices = append(f.Devices, &Device{EID: fmt.Sprintf("d%d", i), Account: "acct", State: StateActive, Profiles: []Profile{
			{ICCID: fmt.Sprintf("b%d", i), Type: ProfileBootstrap, Status: StatusDisabled}, {ICCID: fmt.Sprintf("l%d", i), Type: ProfileLocal, Status: StatusEnabled}}})
	}
	clk := clock.NewManual()
	s, err := New(Config{Clock: clk, Fixtures: f, Registry: NewRegistry(""), Requests: maxRequests, DefaultScenario: "late",
		Scenarios: map[string]*Scenario{
			"now":  {Name: "now", Steps: []Step{step(0, ResultSuccess, "Success")}},
			"late": {Name: "late", Steps: []Step{step(0, ResultPending, "Warning"), step(10*time.Minute, ResultSuccess, "Success")}},
			"fail": {Name: "fail", Steps: []Step{step(0, ResultPending, "Warning"), step(30*time.Minute, ResultFailure, "Failed")}},
			"mute": {Name: "mute", Steps: []Step{{After: Duration(time.Minute), Result: ResultSuccess, Send: new(bool)}}},
		},
		Kinds: map[string]*Kind{poke.Name: poke}, Deliver: func(wire.Callback) {}, Changed: func() {}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, clk
}

// user is "u" logged in.
func user(t *testing.T, s *Sim) *Principal {
	t.Helper()
	tok, err := s.Login("u", "p")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Session(tok)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ask is a request of account "acct" naming devices by these identifiers,
// one list of them per device.
func ask(ids ...[]wire.DeviceID) *wire.ActionRequest {
	r := &wire.ActionRequest{AccountName: "acct"}
	for _, d := range ids {
		r.Devices = append(r.Devices, struct {
			DeviceIDs []wire.DeviceID `json:"deviceIds"`
		}{d})
	}
	return r
}

func eid(i int) []wire.DeviceID { return []wire.DeviceID{{Kind: "eid", ID: fmt.Sprintf("d%d", i)}} }

// A device of a request is Pending until its scenario runs a step whose
// result is not pending, then Success or Failure as that step says: a
// warning-then-success device is Pending after the warning and Success
// once the clock passes the second step; a silent step counts as much as
// one that sends; a refusal of the SM-SR is a Failure at once.
func TestRequestStatusFollowsTheScenarioOnTheClock(t *testing.T) {
	for _, tt := range []struct {
		name, scenario string
		kind           *Kind
		iccid          string
		at             []time.Duration
		want           []string
	}{
		{"success at once", "now", poke, "", []time.Duration{0}, []string{RequestSuccess}},
		{"a warning, success ten minutes later", "late", poke, "", []time.Duration{0, 9 * time.Minute, time.Minute},
			[]string{RequestPending, RequestPending, RequestSuccess}},
		{"a warning, then a failure", "fail", poke, "", []time.Duration{0, 29 * time.Minute, time.Minute},
			[]string{RequestPending, RequestPending, RequestFailure}},
		{"a step that sends nothing still ends the action", "mute", poke, "", []time.Duration{0, time.Minute}, []string{RequestPending, RequestSuccess}},
		{"refused by the SM-SR's rules", "late", ProfileKind(ActionDelete), "b0", []time.Duration{0}, []string{RequestFailure}},
		{"a profile action", "late", ProfileKind(ActionDelete), "l0", []time.Duration{0, 10 * time.Minute}, []string{RequestPending, RequestSuccess}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, clk := fleet(t, 1, 0)
			p := user(t, s)
			ids := eid(0)
			if tt.iccid != "" {
				ids = append(ids, wire.DeviceID{Kind: "iccid", ID: tt.iccid})
			}
			id, _, err := s.StartAction(p, tt.kind, ask(ids), tt.scenario)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range tt.at {
				clk.Advance(d, nil)
				st, err := s.RequestStatus(p, "acct", id)
				if err != nil {
					t.Fatal(err)
				}
				if st.Count != 1 || len(st.Devices) != 1 || st.Devices[0].ID != (wire.DeviceID{Kind: "eid", ID: "d0"}) || st.Devices[0].Status != st.Status {
					t.Errorf("status %+v: want one device d0 whose status is the request's", st)
				}
				got = append(got, st.Status)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statuses at %v (-want +got):\n%s", tt.at, diff)
			}
		})
	}
}

// A request's devices are named as the request named them, by the EID
// when it gave one; the overall status is Pending while any device is,
// then Failure when any failed.
func TestRequestStatusDeviceByDevice(t *testing.T) {
	s, clk := fleet(t, 3, 0)
	p := user(t, s)
	if err := s.AssignScenario("d1", "fail"); err != nil {
		t.Fatal(err)
	}
	id, _, err := s.StartAction(p, poke, ask(
		[]wire.DeviceID{{Kind: "ICCID", ID: "l0"}},
		[]wire.DeviceID{{Kind: "iccid", ID: "l1"}, {Kind: "EID", ID: "d1"}},
		[]wire.DeviceID{{Kind: "imei", ID: "nope"}, {Kind: "iccid", ID: "b2"}}), "")
	if err != nil {
		t.Fatal(err)
	}
	statuses := func(want string) []DeviceStatus {
		t.Helper()
		st, err := s.RequestStatus(p, "acct", id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != want || st.Count != 3 {
			t.Errorf("request %s, %d devices; want %s, 3", st.Status, st.Count, want)
		}
		return st.Devices
	}
	statuses(RequestPending)
	clk.Advance(10*time.Minute, nil)
	got := statuses(RequestPending)
	want := []DeviceStatus{
		{wire.DeviceID{Kind: "iccid", ID: "l0"}, RequestSuccess},
		{wire.DeviceID{Kind: "eid", ID: "d1"}, RequestPending},
		{wire.DeviceID{Kind: "iccid", ID: "b2"}, RequestSuccess},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("devices after 10 minutes (-want +got):\n%s", diff)
	}
	clk.Advance(20*time.Minute, nil)
	want[1].Status = RequestFailure
	if diff := cmp.Diff(want, statuses(RequestFailure)); diff != "" {
		t.Errorf("devices after 30 minutes (-want +got):\n%s", diff)
	}
}

// A request of 10,000 devices is remembered as 100 devices and counts of
// the others, which still decide its status.
func TestRequestOfTenThousandDevicesIsBounded(t *testing.T) {
	s, clk := fleet(t, MaxDevices, 0)
	p := user(t, s)
	for _, i := range []int{7, 5000} {
		if err := s.AssignScenario(fmt.Sprintf("d%d", i), "fail"); err != nil {
			t.Fatal(err)
		}
	}
	var ids [][]wire.DeviceID
	for i := range MaxDevices {
		ids = append(ids, eid(i))
	}
	id, _, err := s.StartAction(p, poke, ask(ids...), "")
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	r := s.requests.byID[id]
	held, rest := len(r.devices), r.rest
	s.mu.Unlock()
	if held != MaxRequestDevices || rest != [outcomes]int{MaxDevices - MaxRequestDevices, 0, 0} {
		t.Errorf("the request holds %d devices and counts %v, want %d and %d pending", held, rest, MaxRequestDevices, MaxDevices-MaxRequestDevices)
	}
	for _, tc := range []struct {
		advance time.Duration
		status  string
		rest    [outcomes]int
	}{
		{10 * time.Minute, RequestPending, [outcomes]int{1, MaxDevices - MaxRequestDevices - 1, 0}},
		{20 * time.Minute, RequestFailure, [outcomes]int{0, MaxDevices - MaxRequestDevices - 1, 1}},
	} {
		clk.Advance(tc.advance, nil)
		st, err := s.RequestStatus(p, "acct", id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != tc.status || st.Count != MaxDevices || len(st.Devices) != MaxRequestDevices {
			t.Errorf("status %s of %d devices, %d named; want %s of %d, %d named", st.Status, st.Count, len(st.Devices), tc.status, MaxDevices, MaxRequestDevices)
		}
		if st.Devices[7].Status != RequestPending && tc.status == RequestPending || st.Devices[8].Status != RequestSuccess {
			t.Errorf("devices 7 and 8: %+v %+v", st.Devices[7], st.Devices[8])
		}
		s.mu.Lock()
		rest := r.rest
		s.mu.Unlock()
		if rest != tc.rest {
			t.Errorf("counts of the devices past the first 100: %v, want %v", rest, tc.rest)
		}
	}
}

// An unknown requestId and another account's look the same; the account
// is checked as everywhere.
func TestRequestStatusErrors(t *testing.T) {
	s, _ := fleet(t, 1, 0)
	p := user(t, s)
	id, _, err := s.StartAction(p, poke, ask(eid(0)), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ account, id, code string }{
		{"acct", "nope", CodeRequestNotFound},
		{"acct2", id, CodeRequestNotFound},
		{"missing", id, tserr.CodeAccountNotFound},
		{"other", id, tserr.CodeAccountName},
	} {
		_, err := s.RequestStatus(p, tc.account, tc.id)
		if got := codeOf(err); got != tc.code {
			t.Errorf("request %s of %s: %s, want %s", tc.id, tc.account, got, tc.code)
		}
	}
}

// A world remembers its last requests only, the oldest forgotten first,
// and none after a reset; what it forgets leaves the state file too.
func TestRequestsAreBoundedAndReset(t *testing.T) {
	s, _ := fleet(t, 1, 3)
	p := user(t, s)
	var ids []string
	for range 5 {
		id, _, err := s.StartAction(p, poke, ask(eid(0)), "now")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	saved := map[string]bool{}
	for _, r := range s.Changes().Records {
		if r.Kind == KindRequest && r.Value != nil {
			saved[idOfKey(r.ID)] = true
		}
	}
	for i, id := range ids {
		_, err := s.RequestStatus(p, "acct", id)
		if kept := i >= 2; kept != (err == nil) || kept != saved[id] {
			t.Errorf("request %d: error %v, saved %v; want it kept: %v", i, err, saved[id], kept)
		}
	}
	s.Reset()
	p = user(t, s)
	if _, err := s.RequestStatus(p, "acct", ids[4]); codeOf(err) != CodeRequestNotFound {
		t.Errorf("after a reset: %v", err)
	}
}

// snapshotOf decodes a set of changes as the state file would keep it.
func snapshotOf(t *testing.T, set change.Set) *Snapshot {
	t.Helper()
	st := &Snapshot{}
	for _, r := range set.Records {
		if r.Value == nil {
			continue
		}
		var err error
		switch r.Kind {
		case KindDevice:
			d := &SavedDevice{}
			err = json.Unmarshal(r.Value, d)
			st.Devices = append(st.Devices, d)
		case KindAction:
			var a SavedAction
			err = json.Unmarshal(r.Value, &a)
			st.Actions = append(st.Actions, a)
		case KindRequest:
			var q SavedRequest
			err = json.Unmarshal(r.Value, &q)
			st.Requests = append(st.Requests, q)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// A restored world answers the same status, and its restored actions
// settle their requests as the clock goes on.
func TestRequestStatusSurvivesARestore(t *testing.T) {
	s, clk := fleet(t, 150, 0)
	p := user(t, s)
	var ids [][]wire.DeviceID
	for i := range 150 {
		ids = append(ids, eid(i))
	}
	if err := s.AssignScenario("d120", "now"); err != nil {
		t.Fatal(err)
	}
	id, _, err := s.StartAction(p, poke, ask(ids...), "")
	if err != nil {
		t.Fatal(err)
	}
	before, err := s.RequestStatus(p, "acct", id)
	if err != nil {
		t.Fatal(err)
	}
	snap := snapshotOf(t, s.Changes())

	s2, clk2 := fleet(t, 150, 0)
	clk2.Set(clk.Now())
	s2.Restore(snap)
	p2 := user(t, s2)
	after, err := s2.RequestStatus(p2, "acct", id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("status after the restore (-before +after):\n%s", diff)
	}
	clk2.Advance(10*time.Minute, nil)
	if st, err := s2.RequestStatus(p2, "acct", id); err != nil || st.Status != RequestSuccess || st.Devices[99].Status != RequestSuccess {
		t.Errorf("10 minutes after the restore: %+v %v", st, err)
	}
	s2.mu.Lock()
	rest := s2.requests.byID[id].rest
	s2.mu.Unlock()
	if rest != [outcomes]int{0, 50, 0} {
		t.Errorf("counts past the first 100 after the restore: %v", rest)
	}
}

// An action's record does not repeat its device, which the action made a
// record of its own: restored on fixtures that no longer have the device,
// the action runs on that record.
func TestActionsSaveTheirDeviceOnce(t *testing.T) {
	s, clk := fleet(t, 1, 0)
	id, _, err := s.StartAction(user(t, s), poke, ask(eid(0)), "late")
	if err != nil {
		t.Fatal(err)
	}
	snap := snapshotOf(t, s.Changes())
	if len(snap.Actions) != 1 || snap.Actions[0].Device != nil || len(snap.Devices) != 1 {
		t.Fatalf("saved %d actions (the first with device %v) and %d devices; want the device once, as a record of its own", len(snap.Actions), snap.Actions[0].Device, len(snap.Devices))
	}
	s2, clk2 := fleet(t, 0, 0)
	clk2.Set(clk.Now())
	s2.Restore(snap)
	clk2.Advance(10*time.Minute, nil)
	if st, err := s2.RequestStatus(user(t, s2), "acct", id); err != nil || st.Status != RequestSuccess {
		t.Errorf("10 minutes after the restore, on fixtures without the device: %+v %v", st, err)
	}
}
