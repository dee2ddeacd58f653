package domain

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
)

// world is a Sim on a manual clock with one account, one user on it and
// one device, and what it delivered later than its requests.
type world struct {
	sim   *Sim
	clock *clock.Manual
	mu    sync.Mutex
	later []wire.Callback
}

func step(after time.Duration, result, status string) Step {
	return Step{After: Duration(after), Result: result, Status: status}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{clock: clock.NewManual()}
	dev := testDevice()
	dev.Account = "acct"
	f := &Fixtures{
		Users:    []User{{Username: "u", Password: "p", Accounts: []string{"acct"}}},
		Accounts: []Account{{Name: "acct"}},
		Devices:  []*Device{dev},
	}
	scenarios := map[string]*Scenario{
		"now":  {Name: "now", Steps: []Step{step(0, ResultSuccess, "Success")}},
		"late": {Name: "late", Steps: []Step{step(0, ResultPending, "Warning"), step(10*time.Minute, ResultSuccess, "Success")}},
		"fail": {Name: "fail", Steps: []Step{step(0, ResultPending, "Warning"), step(30*time.Minute, ResultFailure, "Failed")}},
	}
	var err error
	w.sim, err = New(Config{Clock: w.clock, Relaxed: true, Fixtures: f, Scenarios: scenarios, DefaultScenario: "now",
		Registry: NewRegistry(""), Deliver: func(c wire.Callback) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.later = append(w.later, c)
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.sim.Close)
	return w
}

func (w *world) delivered() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, c := range w.later {
		out = append(out, c.Message.Status)
	}
	return out
}

func request(iccid string) *wire.ActionRequest {
	r := &wire.ActionRequest{AccountName: "acct", SMSROID: "1.2"}
	r.Devices = append(r.Devices, struct {
		DeviceIDs []wire.DeviceID `json:"deviceIds"`
	}{[]wire.DeviceID{{Kind: "eid", ID: "e"}, {Kind: "iccid", ID: iccid}}})
	return r
}

func statuses(cbs []wire.Callback) []string {
	var out []string
	for _, c := range cbs {
		out = append(out, c.Message.Status)
	}
	return out
}

// A profile action's scenario runs on the clock: the steps due at once
// come back from StartAction, the later ones go to Deliver when the clock
// reaches them, and the device changes at the step that reports success.
func TestActionsRunTheirScenarioOnTheClock(t *testing.T) {
	for _, tt := range []struct {
		name, scenario, iccid string
		due                   []string
		advance               time.Duration
		later                 []string
		enabled               string
	}{
		{"success at once", "now", "on", []string{"Success"}, time.Hour, nil, "boot"},
		{"a warning, success ten minutes later", "late", "on", []string{"Warning"}, 10 * time.Minute, []string{"Success"}, "boot"},
		{"nine minutes are not ten", "late", "on", []string{"Warning"}, 9 * time.Minute, nil, "on"},
		{"a warning, then a failure: nothing changes", "fail", "on", []string{"Warning"}, time.Hour, []string{"Failed"}, "on"},
		{"SM-SR rules win over the scenario", "late", "boot", []string{"Failed"}, time.Hour, nil, "on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			id, due, err := w.sim.StartAction(&Principal{}, ProfileKind(ActionDelete), request(tt.iccid), tt.scenario)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.due, statuses(due)); diff != "" {
				t.Errorf("callbacks due at once (-want +got):\n%s", diff)
			}
			for _, c := range due {
				if c.Message.RequestID != id || c.EID != "e" || c.Account != "acct" {
					t.Errorf("callback %+v of request %s", c, id)
				}
			}
			w.clock.Advance(tt.advance, nil)
			if diff := cmp.Diff(tt.later, w.delivered()); diff != "" {
				t.Errorf("callbacks delivered later (-want +got):\n%s", diff)
			}
			d, err := w.sim.Device("e")
			if err != nil {
				t.Fatal(err)
			}
			if d.Enabled() != tt.enabled {
				t.Errorf("enabled %s, want %s", d.Enabled(), tt.enabled)
			}
		})
	}
}

// After Reset, and after Close, a step scheduled before does nothing.
func TestScheduledStepsEndWithResetAndClose(t *testing.T) {
	for name, end := range map[string]func(*Sim){"reset": (*Sim).Reset, "close": (*Sim).Close} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			if _, _, err := w.sim.StartAction(&Principal{}, ProfileKind(ActionDelete), request("on"), "late"); err != nil {
				t.Fatal(err)
			}
			end(w.sim)
			w.clock.Advance(time.Hour, nil)
			if got := w.delivered(); len(got) != 0 {
				t.Errorf("delivered %v after %s", got, name)
			}
		})
	}
}

// A request naming a device of another account, or a device that is not
// Active, is refused whole: no device of it changes.
func TestStartActionRefusesTheWholeRequest(t *testing.T) {
	w := newWorld(t)
	r := request("on")
	r.Devices = append(r.Devices, request("off").Devices...)
	r.Devices[1].DeviceIDs[0].ID = "unknown"
	if _, _, err := w.sim.StartAction(&Principal{}, ProfileKind(ActionDelete), r, ""); err == nil {
		t.Fatal("a request naming an unknown device was accepted")
	}
	if d, _ := w.sim.Device("e"); d.Pending != nil {
		t.Errorf("the known device of the refused request is pending: %+v", d.Pending)
	}
}

// A request that names no device (the schema refuses it; the domain does
// not count on that) is accepted with nothing to do.
func TestStartActionWithoutDevices(t *testing.T) {
	w := newWorld(t)
	id, due, err := w.sim.StartAction(&Principal{}, ProfileKind(ActionDelete), &wire.ActionRequest{AccountName: "acct"}, "")
	if err != nil || id == "" || len(due) != 0 {
		t.Errorf("got %q %v %v, want a requestId and no callback", id, due, err)
	}
}

// Expired sessions are forgotten: a flood of logins leaves the sessions
// that live, not every one ever opened. Before, none was ever removed
// (374,000 logins in 20 s held 1.15 GB).
func TestExpiredSessionsAreSwept(t *testing.T) {
	w := newWorld(t)
	// Sessions are kept with strict auth only; the bound of one user's is
	// TestSessionsOfAUserAreBounded's.
	w.sim.relaxed, w.sim.maxSessions = false, 1<<20
	login := func(n int) (last string) {
		for range n {
			var err error
			if last, err = w.sim.Login("u", "p"); err != nil {
				t.Fatal(err)
			}
		}
		return last
	}
	login(minSweep)
	w.clock.Advance(forgetAfter, nil)
	live := login(minSweep)
	w.sim.mu.Lock()
	n := len(w.sim.sessions)
	w.sim.mu.Unlock()
	if n != minSweep {
		t.Errorf("%d sessions kept, want the %d opened since the others expired", n, minSweep)
	}
	if _, err := w.sim.Session(live); err != nil {
		t.Errorf("a live session: %v", err)
	}
}

// Five failed logins lock a user and a name that is no user's alike, so the
// answers tell no one which names exist; Unlock lets the user in again.
func TestLockoutTellsNothingAndUnlocks(t *testing.T) {
	f := &Fixtures{Users: []User{{Username: "u", Password: "p"}}}
	sim, err := New(Config{Clock: clock.NewManual(), Fixtures: f, Registry: NewRegistry(""),
		Scenarios: map[string]*Scenario{"now": {Name: "now"}}, DefaultScenario: "now"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	codes := func(name string) []string {
		var out []string
		for range MaxFailedLogins + 1 {
			_, err := sim.Login(name, "wrong")
			out = append(out, err.(*tserr.Error).Code)
		}
		return out
	}
	if known, unknown := codes("u"), codes("nobody"); !cmp.Equal(known, unknown) {
		t.Errorf("a user's answers %v, a stranger's %v", known, unknown)
	}
	if _, err := sim.Login("u", "p"); err == nil {
		t.Fatal("a locked user logged in")
	}
	sim.Unlock("u")
	if _, err := sim.Login("u", "p"); err != nil {
		t.Errorf("after Unlock: %v", err)
	}
}

// Callbacks that say the same about a device share one response; one
// about the device as it changed since has a response of its own, and
// a request's identifiers come back as the request wrote them.
func TestCallbacksThatSayTheSameShareTheirResponse(t *testing.T) {
	w := newWorld(t)
	profile := func(iccid string) *wire.DeviceResponse {
		t.Helper()
		req := request(iccid)
		req.Devices[0].DeviceIDs[0].Kind = "EID"
		_, due, err := w.sim.StartAction(&Principal{}, ProfileKind(ActionDelete), req, "now")
		if err != nil || len(due) != 1 {
			t.Fatalf("callbacks %v, error %v", due, err)
		}
		if diff := cmp.Diff(req.Devices[0].DeviceIDs, due[0].Message.DeviceIDs); diff != "" {
			t.Errorf("deviceIds (-request +callback):\n%s", diff)
		}
		return due[0].Message.DeviceResponse.(*wire.DeviceResponse)
	}
	refused, again := profile("boot"), profile("boot")
	if refused != again {
		t.Errorf("two refusals alike hold two responses: %+v and %+v", refused, again)
	}
	if deleted := profile("on"); deleted == refused || deleted.DeviceProfileResponse.EUICCStatusCode == refused.DeviceProfileResponse.EUICCStatusCode {
		t.Errorf("the delete's response is the refusal's: %+v", deleted)
	}
	after := profile("boot")
	if after == refused {
		t.Fatal("a refusal after the device changed holds the response from before")
	}
	if got := after.DeviceProfileResponse.DeviceIdentifierCollection; !slices.Contains(got, wire.DeviceID{Kind: "iccid", ID: "boot"}) {
		t.Errorf("identifiers %v: the enabled profile is boot now", got)
	}
}

// A world indexes its fixtures' devices when it is made: its first
// request does not, which took 50 ms with 400,000 devices.
func TestNewIndexesTheFixtures(t *testing.T) {
	w := newWorld(t)
	if w.sim.fixtures.byEID == nil {
		t.Fatal("the fixtures' devices are not indexed by EID once the world is made")
	}
}
