package simulator_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/simulator"
)

// instance is one run of the simulator on a state file.
type instance struct {
	srv   *simulator.Server
	hs    *httptest.Server
	admin *client.Admin
}

func start(t *testing.T, stateFile string) *instance {
	t.Helper()
	srv, err := simulator.New(simulator.Options{Clock: "manual", StateFile: stateFile, CallbackTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	return &instance{srv: srv, hs: hs, admin: client.NewAdmin(hs.URL, nil, "")}
}

// stop is what SIGTERM does: stop serving, finish callback attempts, save.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	in.hs.Close()
	if err := in.srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestRestartKeepsScenariosAndCallbacks(t *testing.T) {
	ctx := context.Background()
	state := filepath.Join(t.TempDir(), "state.json")
	listener := client.NewListener()
	var fail atomic.Int32
	fail.Store(1) // the first Success delivery fails, so a retry is pending at the restart
	ls := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"status":"Success"`) && fail.Add(-1) >= 0 {
			w.WriteHeader(500)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		listener.ServeHTTP(w, r)
	}))
	defer ls.Close()

	a := start(t, state)
	c, _ := client.New(a.hs.URL, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"), client.WithListener(listener))
	if err := c.RegisterCallback(ctx, account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: ls.URL}); err != nil {
		t.Fatal(err)
	}
	// Two devices: one waits for the SM-SR across the restart, the other's
	// Success delivery fails and its retry waits across it.
	const other = "666456789123456789123456784009"
	if err := a.admin.AssignScenario(ctx, seedEID, "warning-then-success"); err != nil {
		t.Fatal(err)
	}
	id, err := c.DeleteProfile(ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{
		{EID: seedEID, ICCID: seedICCID}, {EID: other, ICCID: "89148000000840784260"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.admin.Callbacks(ctx, client.CallbackQuery{Wait: 10 * time.Second, Min: 2}); err != nil {
		t.Fatal(err)
	}
	tok, sess := mustToken(t, c), c.SessionToken()
	a.stop(t)

	b := start(t, state)
	defer b.stop(t)
	if now, _ := b.admin.Now(ctx); !now.Equal(clock.Epoch) {
		t.Errorf("the manual clock restarted at %v", now)
	}
	if d, _ := b.admin.Device(ctx, seedEID); d.Pending == nil || d.Pending.RequestID != id {
		t.Fatalf("the pending action was lost: %+v", d)
	}
	// Tokens and sessions survive too.
	req, _ := http.NewRequest("GET", b.hs.URL+"/api/m2m/v1/callbacks/"+account, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("VZ-M2M-Token", sess)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("old tokens after the restart: %v %v", resp, err)
	}
	if _, err := b.admin.Advance(ctx, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := listener.Await(wait, id)
	if err != nil {
		t.Fatal(err)
	}
	if !res[seedEID].Succeeded || !res[other].Succeeded || res[other].CallbackCount != 2 {
		t.Errorf("results after the restart: %+v", res)
	}
	var seen []string
	for _, r := range listener.Results() {
		seen = append(seen, r.EID[len(r.EID)-4:]+":"+r.Status)
	}
	if got := strings.Join(seen, " "); got != "4008:Warning 4008:Success 4009:Success" && got != "4008:Warning 4009:Success 4008:Success" {
		t.Errorf("callbacks taken: %s", got)
	}
	if d, _ := b.admin.Device(ctx, seedEID); d.Pending != nil || d.Enabled() != seedBoot {
		t.Errorf("device after the restart: %+v", d)
	}
}

func TestCorruptStateFileStopsTheStart(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"garbage":     "{not json",
		"old version": `{"version":99}`,
		"bad action":  `{"version":1,"actions":[{"requestId":"r","fired":3}]}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := simulator.New(simulator.Options{Clock: "manual", StateFile: path})
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "remove it") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestStateFileIsWrittenAtomically(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	a := start(t, state)
	if err := a.admin.AssignScenario(context.Background(), seedEID, "failure"); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.Save(); err != nil {
		t.Fatal(err)
	}
	a.stop(t)
	entries, _ := os.ReadDir(filepath.Dir(state))
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	b := start(t, state)
	defer b.stop(t)
	if d, _ := b.admin.Device(context.Background(), seedEID); d.Scenario != "failure" {
		t.Errorf("scenario after restart: %+v", d)
	}
}

func mustToken(t *testing.T, c *client.Client) string {
	t.Helper()
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// A reset while an attempt is under way drops its callback for good: the
// attempt failing afterwards does not put it back among those to deliver
// (it came back, empty, and was saved in the state file).
func TestResetDuringAFailingAttemptLeavesNothingPending(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	e := newEnv(t, func(o *simulator.Options) { o.StateFile = state })
	e.register(account)
	arrived, release := make(chan struct{}), make(chan struct{})
	answer := func(w http.ResponseWriter, _ *http.Request) bool {
		close(arrived)
		<-release
		w.WriteHeader(500)
		return true
	}
	e.answer.Store(&answer)
	e.delete(seedEID, seedICCID)
	<-arrived
	if err := e.admin.Reset(e.ctx); err != nil {
		t.Fatal(err)
	}
	close(release)
	e.advance(time.Nanosecond) // returns once the attempt under way has ended
	if err := e.srv.Save(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"deliveries":[]`) && !strings.Contains(string(b), `"deliveries":null`) {
		t.Errorf("the state file still holds callbacks to deliver: %s", b)
	}
}

// A scaled real clock resumes where the state file left it: before, it
// restarted from the wall clock, and every step and retry still to come was
// late by the previous uptime.
func TestScaledClockResumesFromTheStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte(`{"version":1,"clock":"2030-01-01T00:00:00Z","devices":[],"actions":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := simulator.New(simulator.Options{TimeScale: 0.01, StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer func() { _ = srv.Close(context.Background()) }()
	now, err := client.NewAdmin(hs.URL, nil, "").Now(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if now.Year() != 2030 {
		t.Errorf("the scaled clock reads %v after a restart from 2030", now)
	}
}
