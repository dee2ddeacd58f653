package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tssim/tssim/internal/logline"
	"github.com/tssim/tssim/internal/state"
)

// syncBuffer is a bytes.Buffer safe for the server's log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// serve runs tssim with args on a free port; stop ends it (as SIGTERM
// does) and returns its exit code.
func serve(args []string, getenv func(string) string, logs *syncBuffer) (addr string, stop func() int) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), getenv, logs, logs, ready)
	}()
	return <-ready, func() int { cancel(); return <-done }
}

// The start-up line says the time scale when it is not 1.
func TestStartLineSaysTheTimeScale(t *testing.T) {
	var logs syncBuffer
	_, stop := serve([]string{"--time-scale", "0.01"}, env(nil), &logs)
	stop()
	if !strings.Contains(logs.String(), "clock=real auth=strict timeScale=0.01") {
		t.Errorf("logs:\n%s", logs.String())
	}
}

func TestServeHealthcheckAndStop(t *testing.T) {
	var logs syncBuffer
	addr, stop := serve([]string{"--log-format", "json"}, env(map[string]string{"TSSIM_CLOCK": "manual"}), &logs)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"healthcheck", "--addr", addr}, env(nil), &out, &errb, nil); code != 0 {
		t.Fatalf("healthcheck: %d %s", code, errb.String())
	}
	if !strings.Contains(out.String(), `"status":"ok"`) {
		t.Errorf("healthcheck printed %q", out.String())
	}
	if code := run(context.Background(), []string{"healthcheck", "--addr", addr, "--path", "/nope"}, env(nil), &out, &errb, nil); code != 1 || !strings.Contains(errb.String(), "answered 404") {
		t.Errorf("healthcheck of a missing path: %d %s", code, errb.String())
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d; logs:\n%s", code, logs.String())
	}
	for _, want := range []string{`"msg":"tssim listening"`, `"addr":"` + addr + `"`, `"dashboard":"http://` + addr + `/_sim/ui"`, `"clock":"manual"`, `"path":"/_sim/health"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}

// TestLogLevel checks that --log-level keeps the lines below it out, the
// request and callback lines as well as the others.
func TestLogLevel(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var b bytes.Buffer
		log, err := newLogger(&b, format, "warn")
		if err != nil {
			t.Fatal(err)
		}
		log.Info("hidden")
		logline.Write(log, slog.LevelInfo, "request", slog.String("hidden", "yes"))
		log.Warn("shown", "n", 1)
		logline.Write(log, slog.LevelWarn, "callback", slog.String("shown", "yes"))
		if got := b.String(); strings.Contains(got, "hidden") || strings.Count(got, "shown") != 2 || strings.Count(got, "\n") != 2 {
			t.Errorf("%s at warn wrote:\n%s", format, got)
		}
	}
	if _, err := newLogger(io.Discard, "text", "loud"); err == nil || !strings.Contains(err.Error(), "--log-level") {
		t.Errorf("--log-level loud: %v", err)
	}
}

func TestHealthcheckFailsWithoutServer(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"healthcheck", "--addr", "127.0.0.1:1"}, env(nil), &out, &errb, nil); code != 1 {
		t.Errorf("exit %d", code)
	}
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"clients":[],"users":[],"accounts":[],"devices":[{"eid":"1","account":"a","state":"Active","profiles":[]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{"bad fixture", []string{"--fixtures", bad}, nil, 1, bad + ": /devices/0"},
		{"missing fixture", []string{"--fixtures", filepath.Join(dir, "none.json")}, nil, 1, "none.json"},
		{"bad clock", []string{"--clock", "sundial"}, nil, 1, `clock "sundial"`},
		{"bad auth from env", nil, map[string]string{"TSSIM_AUTH": "lax"}, 1, `auth "lax"`},
		{"bad duration from env", nil, map[string]string{"TSSIM_CALLBACK_TIMEOUT": "soon"}, 2, "TSSIM_CALLBACK_TIMEOUT=soon"},
		{"bad time scale from env", nil, map[string]string{"TSSIM_TIME_SCALE": "0"}, 2, "TSSIM_TIME_SCALE=0"},
		{"the command line wins over env", []string{"--clock", "sundial"}, map[string]string{"TSSIM_CLOCK": "manual"}, 1, `clock "sundial"`},
		{"bad time scale", []string{"--time-scale", "-1"}, nil, 2, "time-scale"},
		{"unknown default scenario", []string{"--default-scenario", "nope"}, nil, 1, `default scenario "nope"`},
		{"missing scenarios folder", []string{"--scenarios", filepath.Join(dir, "none")}, nil, 1, "scenarios"},
		{"stray argument", []string{"serve"}, nil, 2, `unexpected argument "serve"`},
		{"bad log format", []string{"--log-format", "xml"}, nil, 2, "--log-format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append(tt.args, "--addr", "127.0.0.1:0"), env(tt.env), &out, &errb, nil)
			if code != tt.code || !strings.Contains(errb.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d with %q", code, errb.String(), tt.code, tt.want)
			}
		})
	}
}

func TestBadScenarioFileStopsTheStart(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "slow.json"), []byte(`{"name":"slow","description":"x","steps":[{"after":"soon","result":"success"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"--scenarios", dir, "--addr", "127.0.0.1:0"}, env(nil), &out, &errb, nil)
	if code != 1 || !strings.Contains(errb.String(), "slow.json: /steps/0/after") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

func TestFixturesCommandPrintsALoadableFile(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"fixtures"}, env(nil), &out, &errb, nil); code != 0 {
		t.Fatal(errb.String())
	}
	f := filepath.Join(t.TempDir(), "f.json")
	if err := os.WriteFile(f, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--fixtures", f, "--addr", "127.0.0.1:0"}, env(nil), &out, &errb, ready)
	}()
	select {
	case <-ready:
	case code := <-done:
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	cancel()
	<-done
}

func TestStateFileAcrossRuns(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.db")
	runOnce := func(during func(addr string)) {
		var logs syncBuffer
		addr, stop := serve([]string{"--state-file", state}, env(nil), &logs)
		during(addr)
		if code := stop(); code != 0 {
			t.Fatalf("exit %d: %s", code, logs.String())
		}
	}
	put := func(addr, body string) int {
		req, _ := http.NewRequest("PUT", "http://"+addr+"/_sim/devices/666456789123456789123456784008/scenario", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	runOnce(func(addr string) {
		if st := put(addr, `{"scenario":"failure"}`); st != 200 {
			t.Fatalf("PUT: %d", st)
		}
	})
	runOnce(func(addr string) {
		resp, err := http.Get("http://" + addr + "/_sim/devices/666456789123456789123456784008")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), `"scenario":"failure"`) {
			t.Errorf("after a restart: %s", b)
		}
	})
}

// tssim check-state says whether a state file is sound, and which is not.
func TestCheckState(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	st, err := state.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.db")
	if err := os.WriteFile(bad, bytes.Repeat([]byte("tssim"), 2000), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"check-state", good}, 0, "is sound"},
		{[]string{"check-state", bad}, 1, "remove it"},
		{[]string{"check-state", filepath.Join(dir, "missing.db")}, 2, "no such file"},
		{[]string{"check-state"}, 2, "usage"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), tt.args, env(nil), &out, &errb, nil)
		if code != tt.code || !strings.Contains(out.String()+errb.String(), tt.want) {
			t.Errorf("%v: exit %d, %s%s; want %d and %q", tt.args, code, out.String(), errb.String(), tt.code, tt.want)
		}
	}
}
