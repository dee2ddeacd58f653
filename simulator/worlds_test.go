package simulator_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/simulator"
)

// side is one world as a test reaches it: its base URL, a client logged
// in as demo, its control API.
type side struct {
	url   string
	api   *client.Client
	admin *client.Admin
}

func worldsServer(t *testing.T, opts simulator.Options) (*simulator.Server, string) {
	t.Helper()
	if opts.Clock == "" {
		opts.Clock = "manual"
	}
	srv, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close(context.Background())
	})
	return srv, hs.URL
}

func sideOf(t *testing.T, url string) side {
	t.Helper()
	c, err := client.New(url, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"), client.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	return side{url: url, api: c, admin: client.NewAdmin(url, nil, "")}
}

// What one world does changes nothing in another: a delete, a scenario
// assignment, a clock advance, a lockout, a reset.
func TestWorldsAreIsolated(t *testing.T) {
	ctx := context.Background()
	_, base := worldsServer(t, simulator.Options{})
	a, b, root := sideOf(t, base+"/w/a"), sideOf(t, base+"/w/b"), sideOf(t, base)
	del := client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}}

	if _, err := b.api.DeleteProfile(ctx, del); err != nil {
		t.Fatal(err)
	}
	if err := a.admin.AssignScenario(ctx, "666456789123456789123456784009", "failure"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.admin.Advance(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	bad, _ := client.New(a.url, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "wrong"))
	for range 5 {
		_, _ = bad.Login(ctx)
	}
	if _, err := a.api.Login(ctx); err == nil {
		t.Fatal("demo is not locked in world a")
	}
	if err := a.admin.Reset(ctx); err != nil {
		t.Fatal(err)
	}

	if d, _ := b.admin.Device(ctx, seedEID); d.Enabled() != seedBoot {
		t.Errorf("world b's delete was undone by a's reset: %+v", d)
	}
	for _, s := range []side{root, a} {
		if d, _ := s.admin.Device(ctx, seedEID); d.Enabled() != seedICCID {
			t.Errorf("%s sees b's delete: %+v", s.url, d)
		}
	}
	if d, _ := b.admin.Device(ctx, "666456789123456789123456784009"); d.Scenario != "" {
		t.Errorf("world b sees a's scenario: %+v", d)
	}
	for _, s := range []side{b, root} {
		if now, _ := s.admin.Now(ctx); !now.Equal(clock.Epoch) {
			t.Errorf("%s's clock moved with a's: %v", s.url, now)
		}
		if _, err := s.api.Login(ctx); err != nil {
			t.Errorf("%s: demo locked by a's failed logins: %v", s.url, err)
		}
	}
	rs, _ := root.admin.Requests(ctx)
	for _, r := range rs {
		if strings.Contains(r.Path, "/devices/profile/actions/") {
			t.Errorf("the default world's journal holds another world's request: %+v", r)
		}
	}
	bs, _ := b.admin.Requests(ctx)
	if len(bs) == 0 || !strings.HasPrefix(bs[0].Path, "/w/b/") {
		t.Errorf("world b's journal: %+v", bs)
	}
}

// A world's callbacks go to the listener registered in that world.
func TestWorldCallbacksGoToItsListener(t *testing.T) {
	ctx := context.Background()
	_, base := worldsServer(t, simulator.Options{})
	got := make(chan string, 4)
	ls := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Path
	}))
	defer ls.Close()
	for _, name := range []string{"a", "b"} {
		s := sideOf(t, base+"/w/"+name)
		if err := s.api.RegisterCallback(ctx, account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: ls.URL + "/" + name}); err != nil {
			t.Fatal(err)
		}
	}
	a := sideOf(t, base+"/w/a")
	if _, err := a.api.DeleteProfile(ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != "/a" {
			t.Errorf("world a's callback went to %s", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no callback within 10 s")
	}
}

func TestWorldNamesAndLimit(t *testing.T) {
	_, base := worldsServer(t, simulator.Options{MaxWorlds: 2})
	get := func(path string) (int, string) { return send(t, "GET", base+path, "") }
	for _, p := range []string{"/w/../_sim/health", "/w/" + strings.Repeat("x", 65) + "/_sim/health", "/w/a b/_sim/health", "/w//_sim/health"} {
		if st, body := get(p); st != 400 || !strings.Contains(body, "Tssim.INPUT_INVALID.World.Name") {
			t.Errorf("%s: %d %s", p, st, body)
		}
	}
	for _, name := range []string{"one", "two"} {
		if st, _ := get("/w/" + name + "/_sim/health"); st != 200 {
			t.Errorf("world %s: %d", name, st)
		}
	}
	if st, body := get("/w/three/_sim/health"); st != 409 || !strings.Contains(body, "Tssim.REQUEST_FAILED.World.Limit") || !strings.Contains(body, "--max-worlds") {
		t.Errorf("past the limit: %d %s", st, body)
	}
	if st, _ := get("/w/one/_sim/health"); st != 200 {
		t.Errorf("an existing world past the limit: %d", st)
	}
	if st, _ := get("/w/one/_sim/worlds"); st != 404 {
		t.Errorf("/_sim/worlds inside a world: %d", st)
	}
}

// PUT makes a world with its own fixtures and clock; GET lists it; DELETE
// removes it.
func TestWorldLifeCycle(t *testing.T) {
	_, base := worldsServer(t, simulator.Options{})
	do := func(method, path, body string) (int, string) { return send(t, method, base+path, body) }
	fix := `{"clients":[{"appKey":"k","appSecret":"s"}],"users":[{"username":"u","password":"p","accounts":["acc"]}],"accounts":[{"name":"acc"}],` +
		`"devices":[{"eid":"12345678901234567890123456789012","account":"acc","state":"Active","profiles":[{"iccid":"11245055053268336886","type":"bootstrap","status":"enabled"}]}]}`
	if st, body := do("PUT", "/_sim/worlds/mine", `{"clock":"real","timeScale":0.5,"fixtures":`+fix+`}`); st != 200 || !strings.Contains(body, `"devices":1`) || !strings.Contains(body, `"clock":"real"`) {
		t.Fatalf("PUT: %d %s", st, body)
	}
	if st, body := do("GET", "/w/mine/_sim/clock", ""); st != 200 || !strings.Contains(body, `"mode":"real"`) || !strings.Contains(body, `"timeScale":0.5`) {
		t.Errorf("its clock: %d %s", st, body)
	}
	if st, body := do("GET", "/_sim/worlds", ""); st != 200 || !strings.Contains(body, `"name":"mine"`) || !strings.Contains(body, `"fixtures":"its own"`) {
		t.Errorf("GET: %d %s", st, body)
	}
	if st, body := do("PUT", "/_sim/worlds/bad", `{"fixtures":{"devices":[{}]}}`); st != 400 {
		t.Errorf("bad fixtures: %d %s", st, body)
	}
	if st, _ := do("DELETE", "/_sim/worlds/mine", ""); st != 200 {
		t.Errorf("DELETE: %d", st)
	}
	if st, body := do("DELETE", "/_sim/worlds/mine", ""); st != 404 || !strings.Contains(body, "Tssim.REQUEST_FAILED.World.NotFound") {
		t.Errorf("DELETE again: %d %s", st, body)
	}
}

// A world and what waits in it survive kill -9 with --state-file.
func TestWorldsInTheStateFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	_, base := worldsServer(t, simulator.Options{StateFile: path})
	x := sideOf(t, base+"/w/x")
	if err := x.admin.AssignScenario(ctx, seedEID, "warning-then-success"); err != nil {
		t.Fatal(err)
	}
	id, err := x.api.DeleteProfile(ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}})
	if err != nil {
		t.Fatal(err)
	}
	_, base2 := worldsServer(t, simulator.Options{StateFile: crashImage(t, path)})
	x2, root2 := sideOf(t, base2+"/w/x"), sideOf(t, base2)
	if d, _ := x2.admin.Device(ctx, seedEID); d.Pending == nil || d.Pending.RequestID != id {
		t.Errorf("world x after the crash: %+v", d)
	}
	if d, _ := root2.admin.Device(ctx, seedEID); d.Pending != nil || d.Scenario != "" {
		t.Errorf("the default world after the crash: %+v", d)
	}
}

// send makes one request with a JSON body and returns the status and body
// of the answer.
func send(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// --admin-token guards every world's control API, and the making of
// worlds: only a request bearing the token makes one (1,000 worlds were
// once made in 8 s with no credentials, and every other job got 409). The
// dashboard's page itself is open, and asks for the token.
func TestAdminTokenInWorlds(t *testing.T) {
	_, base := worldsServer(t, simulator.Options{AdminToken: "s3cret"})
	if st, body := send(t, "GET", base+"/w/x/_sim/health", ""); st != 404 || !strings.Contains(body, "PUT /_sim/worlds/x") {
		t.Errorf("an unknown world without the token: %d %s", st, body)
	}
	req, _ := http.NewRequest("GET", base+"/w/x/_sim/devices", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("with the token: %d", resp.StatusCode)
	}
	for path, want := range map[string]int{
		"/w/x/_sim/devices": 401, "/_sim/worlds": 401, "/w/x/_sim/ui": 200, "/_sim/ui": 200, "/w/x/_sim/health": 200,
	} {
		if st, body := send(t, "GET", base+path, ""); st != want {
			t.Errorf("%s: %d %s", path, st, body)
		}
	}
}

// Without an admin token, one client address makes at most
// --max-worlds-per-source worlds; with --worlds explicit, a request makes
// none, PUT /_sim/worlds/NAME does.
func TestWorldsAreCountedAgainstTheirMaker(t *testing.T) {
	_, base := worldsServer(t, simulator.Options{MaxWorldsPerSource: 2})
	for _, name := range []string{"a", "b"} {
		if st, body := send(t, "GET", base+"/w/"+name+"/_sim/health", ""); st != 200 {
			t.Fatalf("world %s: %d %s", name, st, body)
		}
	}
	if st, body := send(t, "GET", base+"/w/c/_sim/health", ""); st != 409 || !strings.Contains(body, "--max-worlds-per-source") {
		t.Errorf("a third world of one source: %d %s", st, body)
	}
	if st, body := send(t, "PUT", base+"/_sim/worlds/c", "{}"); st != 409 {
		t.Errorf("a third world of one source, made by PUT: %d %s", st, body)
	}
	if st, body := send(t, "PUT", base+"/_sim/worlds/a", "{}"); st != 200 {
		t.Errorf("a world of its own made again: %d %s", st, body)
	}
	if st, _ := send(t, "DELETE", base+"/_sim/worlds/b", ""); st != 200 {
		t.Fatal("removing a world")
	}
	if st, body := send(t, "GET", base+"/w/c/_sim/health", ""); st != 200 {
		t.Errorf("a world once another was removed: %d %s", st, body)
	}

	_, base = worldsServer(t, simulator.Options{Worlds: simulator.WorldsExplicit})
	if st, body := send(t, "GET", base+"/w/x/_sim/health", ""); st != 404 || !strings.Contains(body, "--worlds explicit") {
		t.Errorf("an unknown world with --worlds explicit: %d %s", st, body)
	}
	if st, body := send(t, "PUT", base+"/_sim/worlds/x", "{}"); st != 200 {
		t.Fatalf("PUT /_sim/worlds/x: %d %s", st, body)
	}
	if st, body := send(t, "GET", base+"/w/x/_sim/health", ""); st != 200 {
		t.Errorf("the world made by PUT: %d %s", st, body)
	}
}

// A world made again under the same name starts from its fixtures, also
// after a restart: the state file forgets what the one before held.
func TestReplacedWorldLeavesNothingInTheStateFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	_, base := worldsServer(t, simulator.Options{StateFile: path})
	x := sideOf(t, base+"/w/x")
	if err := x.admin.AssignScenario(ctx, seedEID, "failure"); err != nil {
		t.Fatal(err)
	}
	if st, body := send(t, "PUT", base+"/_sim/worlds/x", `{}`); st != 200 {
		t.Fatalf("PUT: %d %s", st, body)
	}
	if d, _ := x.admin.Device(ctx, seedEID); d.Scenario != "" {
		t.Errorf("the new world x: %+v", d)
	}
	_, base2 := worldsServer(t, simulator.Options{StateFile: crashImage(t, path)})
	if d, _ := sideOf(t, base2+"/w/x").admin.Device(ctx, seedEID); d.Scenario != "" {
		t.Errorf("world x after a restart holds the one before's device: %+v", d)
	}
}

// A path with ".." stays in its world.
func TestWorldPathTricksStayInTheWorld(t *testing.T) {
	_, base := worldsServer(t, simulator.Options{})
	if st, body := send(t, "PUT", base+"/w/x/../_sim/devices/666456789123456789123456784008/scenario", `{"scenario":"failure"}`); st != 200 {
		t.Fatalf("%d %s", st, body)
	}
	if st, body := send(t, "GET", base+"/_sim/devices/666456789123456789123456784008", ""); st != 200 || strings.Contains(body, "failure") {
		t.Errorf("the default world: %d %s", st, body)
	}
	if st, body := send(t, "GET", base+"/w/x/_sim/devices/666456789123456789123456784008", ""); st != 200 || !strings.Contains(body, `"scenario":"failure"`) {
		t.Errorf("world x: %d %s", st, body)
	}
}
