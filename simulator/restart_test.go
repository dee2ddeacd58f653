package simulator_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/state"
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
	state := filepath.Join(t.TempDir(), "state.db")
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
	for name, write := range map[string]func(path string) error{
		"not a database": func(path string) error { return os.WriteFile(path, []byte("{not json"), 0o644) },
		"old version":    func(path string) error { return putRecord(path, "meta", "version", "99") },
		"bad action":     func(path string) error { return putRecord(path, "actions", "r/0", `{"requestId":"r","fired":3}`) },
		"bad device":     func(path string) error { return putRecord(path, "devices", "x", `{"eid":`) },
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := write(path); err != nil {
			t.Fatal(err)
		}
		_, err := simulator.New(simulator.Options{Clock: "manual", StateFile: path})
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "remove it") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// putRecord writes one record into a state file, as a damaged or foreign
// one would hold it.
func putRecord(path, bucket, key, value string) error {
	st, err := state.Open(path)
	if err != nil {
		return err
	}
	if err := st.Commit(state.World{Clock: clock.Epoch, Sets: []change.Set{{Records: []change.Record{{Kind: bucket, ID: key, Value: []byte(value)}}}}}); err != nil {
		return err
	}
	return st.Close()
}

// crashImage copies a state file as it is on disk now, its logs
// included, as kill -9 would leave it: nothing that Close would have
// written is in it.
func crashImage(t *testing.T, path string) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "crashed.db")
	for i, f := range state.Files(path) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(state.Files(img)[i], data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// What a request changed is on disk when it is answered: a state file
// copied right after the answer, without Close, holds it. Before, the state
// was written once a second, and kill -9 lost accepted requests.
func TestAnsweredRequestsAreOnDisk(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	a := start(t, path)
	defer a.stop(t)
	if err := a.admin.AssignScenario(ctx, seedEID, "warning-then-success"); err != nil {
		t.Fatal(err)
	}
	c, _ := client.New(a.hs.URL, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"))
	id, err := c.DeleteProfile(ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}})
	if err != nil {
		t.Fatal(err)
	}
	b := start(t, crashImage(t, path))
	defer b.stop(t)
	d, err := b.admin.Device(ctx, seedEID)
	if err != nil || d.Scenario != "warning-then-success" || d.Pending == nil || d.Pending.RequestID != id {
		t.Errorf("after the crash: %+v %v", d, err)
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
	path := filepath.Join(t.TempDir(), "state.db")
	e := newEnv(t, func(o *simulator.Options) { o.StateFile = path })
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
	st, err := state.Open(crashImage(t, path))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	saved, err := st.Load()
	if err != nil || len(saved[""].Deliveries) != 0 {
		t.Errorf("the state file still holds callbacks to deliver: %+v %v", saved, err)
	}
}

// A scaled real clock resumes where the state file left it: before, it
// restarted from the wall clock, and every step and retry still to come was
// late by the previous uptime.
func TestScaledClockResumesFromTheStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := state.Open(path)
	if err == nil {
		err = errors.Join(st.Commit(state.World{Clock: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}), st.Close())
	}
	if err != nil {
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

// A damaged state file stops the start with the documented message, never
// with a crash: of 10 copies with 20 bytes flipped, 7 once crashed inside
// bbolt (a panic or SIGSEGV). Each copy here is refused, or, when the flips
// fell where nothing is kept, loads. An empty file is refused too, since
// starting from the fixtures on it would hide that its state was lost.
func TestDamagedStateFilesAreRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	e := newEnv(t, func(o *simulator.Options) { o.StateFile = path })
	e.register(account)
	for _, eid := range []string{seedEID, "666456789123456789123456784009", "666456789123456789123456784011"} {
		if err := e.admin.AssignScenario(e.ctx, eid, "warning-then-success"); err != nil {
			t.Fatal(err)
		}
	}
	e.delete(seedEID, seedICCID)
	image, err := os.ReadFile(crashImage(t, path))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	refused := 0
	for i := range 20 {
		damaged := slices.Clone(image)
		for range 20 {
			damaged[rng.IntN(len(damaged))] ^= byte(1 + rng.IntN(255))
		}
		p := filepath.Join(t.TempDir(), fmt.Sprintf("damaged-%d.db", i))
		if err := os.WriteFile(p, damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		srv, err := simulator.New(simulator.Options{Clock: "manual", StateFile: p})
		if err != nil {
			if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "remove it") {
				t.Errorf("copy %d: %v", i, err)
			}
			refused++
			continue
		}
		if err := srv.Close(context.Background()); err != nil {
			t.Errorf("copy %d: %v", i, err)
		}
	}
	t.Logf("%d of 20 damaged copies refused, the others loaded", refused)
	empty := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := simulator.New(simulator.Options{Clock: "manual", StateFile: empty}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("an empty state file: %v", err)
	}
}
