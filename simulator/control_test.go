package simulator_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/simulator"
)

func TestPutDeviceAndDelete(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	d := client.SimDevice{EID: "12345678901234567890123456789012", Account: account, State: "Active", MDN: "5551234567",
		Profiles: []client.SimProfile{{ICCID: "1111111111111111111", Type: "bootstrap", Status: "disabled"}, {ICCID: "2222222222222222222", Type: "local", Status: "enabled"}},
		Scenario: "warning-then-success"}
	if err := e.admin.PutDevice(e.ctx, d); err != nil {
		t.Fatal(err)
	}
	id := e.delete(d.EID, "2222222222222222222")
	if got := e.callbacks(id, 1, 0)[0].Status; got != "Warning" {
		t.Fatalf("first callback %s", got)
	}
	e.advance(10 * time.Minute)
	if got := e.device(d.EID); got.Enabled() != "1111111111111111111" {
		t.Errorf("device after delete: %+v", got)
	}
}

func TestPutDeviceErrors(t *testing.T) {
	e := newEnv(t)
	profiles := []client.SimProfile{{ICCID: "1111111111111111111", Type: "bootstrap", Status: "enabled"}}
	tests := []struct {
		name string
		d    client.SimDevice
		code string
		msg  string
	}{
		{"unknown account", client.SimDevice{EID: seedEID, Account: "nope", State: "Active", Profiles: profiles}, tserr.CodeAccountNotFound, "/account"},
		{"two enabled profiles", client.SimDevice{EID: seedEID, Account: account, State: "Active", Profiles: append(profiles, client.SimProfile{ICCID: "2222222222222222222", Type: "local", Status: "enabled"})}, tserr.CodeUnexpected, "exactly one enabled"},
		{"no bootstrap", client.SimDevice{EID: seedEID, Account: account, State: "Active", Profiles: []client.SimProfile{{ICCID: "2222222222222222222", Type: "local", Status: "enabled"}}}, tserr.CodeUnexpected, "exactly one bootstrap"},
		{"same ICCID twice", client.SimDevice{EID: seedEID, Account: account, State: "Active", Profiles: append(profiles, profiles[0])}, tserr.CodeUnexpected, "/profiles"},
		{"bad state", client.SimDevice{EID: seedEID, Account: account, State: "Sleeping", Profiles: profiles}, tserr.CodeUnexpected, "/state"},
		{"unknown scenario", client.SimDevice{EID: seedEID, Account: account, State: "Active", Profiles: profiles, Scenario: "nope"}, tserr.CodeSimUnknownScenario, "/scenario"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.admin.PutDevice(e.ctx, tt.d)
			if _, c := code(t, err); c != tt.code || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want %s naming %s", err, tt.code, tt.msg)
			}
		})
	}
	if d := e.device(seedEID); d.Enabled() != seedICCID {
		t.Errorf("a refused PUT changed the device: %+v", d)
	}
}

func TestResetRestoresFixturesAndDropsPendingSteps(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	h := e.authed()
	if err := e.admin.AssignScenario(e.ctx, seedEID, "warning-then-success"); err != nil {
		t.Fatal(err)
	}
	e.delete(seedEID, seedICCID)
	if err := e.admin.Reset(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Hour)
	d := e.device(seedEID)
	if d.Pending != nil || d.Enabled() != seedICCID || d.Scenario != "" {
		t.Errorf("after reset: %+v", d)
	}
	if cbs, _ := e.admin.Callbacks(e.ctx, client.CallbackQuery{}); len(cbs) != 0 {
		t.Errorf("callbacks after reset: %+v", cbs)
	}
	if now, _ := e.admin.Now(e.ctx); !now.Equal(clock.Epoch.Add(time.Hour)) {
		t.Errorf("clock %v", now)
	}
	if st, body := e.raw("GET", "/api/m2m/v1/callbacks/"+account, h, ""); st != 401 {
		t.Errorf("tokens survived the reset: %d %s", st, body)
	}
}

func TestScenariosAreListedWithTheirSteps(t *testing.T) {
	e := newEnv(t)
	scs, err := e.admin.Scenarios(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	for _, s := range scs {
		names[s.Name] = len(s.Steps)
	}
	for name, steps := range map[string]int{"immediate-success": 1, "warning-then-success": 2, "unreachable-then-failure": 2, "failure": 1} {
		if names[name] != steps {
			t.Errorf("%s: %d steps, want %d (all: %v)", name, names[name], steps, names)
		}
	}
}

func TestAdvanceNeedsTheManualClock(t *testing.T) {
	e := newEnv(t, func(o *simulator.Options) { o.Clock = "real" })
	_, err := e.admin.Advance(e.ctx, time.Minute)
	if st, c := code(t, err); st != 409 || c != tserr.CodeSimNotManualClock {
		t.Errorf("got %d %s", st, c)
	}
}

func TestAdminToken(t *testing.T) {
	e := newEnv(t, func(o *simulator.Options) { o.AdminToken = "s3cret" })
	if _, err := e.admin.Devices(e.ctx); err != nil {
		t.Errorf("with the token: %v", err)
	}
	anon := client.NewAdmin(e.url, nil, "")
	if err := anon.Health(e.ctx); err != nil {
		t.Errorf("health needs no token: %v", err)
	}
	_, err := anon.Devices(e.ctx)
	if st, _ := code(t, err); st != 401 {
		t.Errorf("without the token: %v", err)
	}
}

func TestCallbackWaitTimesOutWithWhatThereIs(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	cbs, err := e.admin.Callbacks(e.ctx, client.CallbackQuery{Wait: 50 * time.Millisecond, Min: 1})
	if err != nil || len(cbs) != 0 {
		t.Fatalf("%v %+v", err, cbs)
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Error("answered before the wait ended")
	}
}

func TestResetUndoesAppliedChanges(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	id := e.delete(seedEID, seedICCID)
	e.callbacks(id, 1, 0)
	if d := e.device(seedEID); d.Enabled() != seedBoot {
		t.Fatalf("not deleted: %+v", d)
	}
	if err := e.admin.Reset(e.ctx); err != nil {
		t.Fatal(err)
	}
	if d := e.device(seedEID); d.Enabled() != seedICCID || len(d.Profiles) != 2 {
		t.Errorf("a change outlived the reset: %+v", d)
	}
}

func TestDeliveryCounts(t *testing.T) {
	e := newEnv(t, func(o *simulator.Options) { o.MaxPending = 1 })
	e.register(account)
	id := e.delete(seedEID, seedICCID)
	e.callbacks(id, 1, 1)
	st, got := e.raw("GET", "/_sim/delivery", nil, "")
	if st != 200 || !strings.Contains(got, `"delivered":1`) || !strings.Contains(got, `"pending":0`) {
		t.Errorf("GET /_sim/delivery: %d %s", st, got)
	}
}

// The journals answer a page at a time: a full one could be over 100 MB.
func TestJournalsPage(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	for range 3 {
		e.callbacks(e.delete("666456789123456789123456784010", "11245055053268336888"), 1, 1)
	}
	for _, path := range []string{"/_sim/requests", "/_sim/callbacks"} {
		resp, err := http.Get(e.url + path + "?limit=2")
		if err != nil {
			t.Fatal(err)
		}
		var first []struct{ Seq int }
		_ = json.NewDecoder(resp.Body).Decode(&first)
		resp.Body.Close()
		next := resp.Header.Get(simulator.NextPageHeader)
		if len(first) != 2 || next != strconv.Itoa(first[1].Seq) {
			t.Fatalf("%s?limit=2: %d records, next page after %q", path, len(first), next)
		}
		resp, err = http.Get(e.url + path + "?after=" + next)
		if err != nil {
			t.Fatal(err)
		}
		var rest []struct{ Seq int }
		_ = json.NewDecoder(resp.Body).Decode(&rest)
		resp.Body.Close()
		if len(rest) == 0 || rest[0].Seq <= first[1].Seq || resp.Header.Get(simulator.NextPageHeader) != "" {
			t.Errorf("%s?after=%s: %+v, next %q", path, next, rest, resp.Header.Get(simulator.NextPageHeader))
		}
	}
}

// The control API reads JSON whatever the Content-Type says: curl -d sends
// a form's, and before, the copy-paste line of the README got a 415.
func TestControlBodyWithAnyContentType(t *testing.T) {
	e := newEnv(t)
	for _, ct := range []string{"application/x-www-form-urlencoded", "", "text/plain"} {
		for _, r := range []struct{ method, path, body string }{
			{"POST", "/_sim/clock/advance", `{"by":"1m"}`},
			{"PUT", "/_sim/worlds/w", `{"clock":"manual"}`},
		} {
			req, _ := http.NewRequest(r.method, e.url+r.path, strings.NewReader(r.body))
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%s %s with Content-Type %q: %d", r.method, r.path, ct, resp.StatusCode)
			}
		}
	}
}

// /_sim/devices pages by EID and says, for each device, the scenario a
// new action would run and where it comes from; a pending action says when
// its next step is due; the journal names the devices of a request.
func TestDeviceViewsAndPages(t *testing.T) {
	e := newEnv(t)
	if err := e.admin.AssignAccountScenario(e.ctx, account, "failure"); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.AssignScenario(e.ctx, seedEID, "warning-then-success"); err != nil {
		t.Fatal(err)
	}
	e.register(account)
	e.delete(seedEID, seedICCID)
	var page []struct {
		EID             string `json:"eid"`
		ScenarioInForce string `json:"scenarioInForce"`
		ScenarioFrom    string `json:"scenarioFrom"`
		Pending         *struct {
			ScenarioFrom string    `json:"scenarioFrom"`
			NextStepAt   time.Time `json:"nextStepAt"`
		} `json:"pending"`
	}
	resp, err := http.Get(e.url + "/_sim/devices?eid=6664567891234567891234567840&limit=2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].EID != seedEID || resp.Header.Get(simulator.NextPageHeader) != page[1].EID {
		t.Fatalf("page %+v, next %q", page, resp.Header.Get(simulator.NextPageHeader))
	}
	first, other := page[0], page[1]
	if first.ScenarioInForce != "warning-then-success" || first.ScenarioFrom != "device" || first.Pending == nil ||
		first.Pending.ScenarioFrom != "device" || !first.Pending.NextStepAt.Equal(clock.Epoch.Add(10*time.Minute)) {
		t.Errorf("the seed device: %+v %+v", first, first.Pending)
	}
	if other.ScenarioInForce != "failure" || other.ScenarioFrom != "account" || other.Pending != nil {
		t.Errorf("another device of the account: %+v", other)
	}
	rs, _ := e.admin.Requests(e.ctx)
	var eids []string
	for _, r := range rs {
		if strings.HasSuffix(r.Path, "/delete") {
			eids = r.EIDs
		}
	}
	if len(eids) != 1 || eids[0] != seedEID {
		t.Errorf("the journal's devices of the delete: %v", eids)
	}
}

// ?last=N is the journal's last N requests, oldest first: what a person (or
// the dashboard) wants to see first.
func TestRequestJournalLast(t *testing.T) {
	e := newEnv(t)
	for range 5 {
		_ = e.admin.Health(e.ctx)
	}
	st, body := send(t, "GET", e.url+"/_sim/requests?last=2", "")
	var got []struct{ Seq int }
	if err := json.Unmarshal([]byte(body), &got); st != 200 || err != nil || len(got) != 2 || got[0].Seq != 4 || got[1].Seq != 5 {
		t.Errorf("last 2 of 5: %d %s", st, body)
	}
}
