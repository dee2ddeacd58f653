package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/simulator"
)

const (
	seedEID   = "666456789123456789123456784008"
	seedICCID = "89148000000840784259"
)

// lockedBuffer is written by the command while the test reads it.
type lockedBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{}
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.written != nil {
		close(l.written)
	}
	l.written = make(chan struct{})
	return l.b.Write(p)
}

// waitFor waits until the output starts with prefix and returns it.
func (l *lockedBuffer) waitFor(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		l.mu.Lock()
		s := l.b.String()
		if l.written == nil {
			l.written = make(chan struct{})
		}
		written := l.written
		l.mu.Unlock()
		if strings.HasPrefix(s, prefix) && strings.Contains(s, "\n") {
			return s
		}
		select {
		case <-written:
		case <-timeout:
			t.Fatalf("no %q in the output: %q", prefix, s)
		}
	}
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startSim(t *testing.T) (string, *client.Admin) {
	t.Helper()
	srv, err := simulator.New(simulator.Options{Clock: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close(context.Background())
	})
	return hs.URL, client.NewAdmin(hs.URL, nil, "")
}

func runCmd(ctx context.Context, args ...string) (int, string, string) {
	var out, errb lockedBuffer
	code := run(ctx, args, func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestDeleteWaitWarningThenSuccess(t *testing.T) {
	url, admin := startSim(t)
	ctx := context.Background()
	if err := admin.AssignScenario(ctx, seedEID, "warning-then-success"); err != nil {
		t.Fatal(err)
	}
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"delete", "--url", url, "--eid", seedEID, "--iccid", seedICCID, "--wait", "--timeout", "20s"},
			func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	}()
	if _, err := admin.Callbacks(ctx, client.CallbackQuery{Wait: 10 * time.Second, Min: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Advance(ctx, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	lines := out.String()
	for _, want := range []string{"listening at http://127.0.0.1:", "requestId ", "callback eid=" + seedEID + " status=Warning", "callback eid=" + seedEID + " status=Success", "final    eid=" + seedEID + " succeeded"} {
		if !strings.Contains(lines, want) {
			t.Errorf("output lacks %q:\n%s", want, lines)
		}
	}
	if strings.Index(lines, "status=Warning") > strings.Index(lines, "status=Success") {
		t.Errorf("warning printed after success:\n%s", lines)
	}
}

func TestDeleteWaitFailureExitsOne(t *testing.T) {
	url, _ := startSim(t)
	code, out, _ := runCmd(context.Background(), "delete", "--url", url, "--eid", seedEID, "--iccid", seedICCID, "--wait", "--scenario", "failure", "--timeout", "20s")
	if code != exitFailed || !strings.Contains(out, "FAILED: FAILED") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

func TestDeleteErrors(t *testing.T) {
	url, _ := startSim(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad credentials", []string{"delete", "--url", url, "--app-secret", "nope", "--eid", seedEID, "--iccid", seedICCID}, exitTrouble, "401 invalid_client"},
		{"unknown device", []string{"delete", "--url", url, "--eid", "666456789123456789123456789999", "--iccid", seedICCID}, exitTrouble, "DeviceNotFound"},
		{"unreachable simulator", []string{"delete", "--url", "http://127.0.0.1:1", "--eid", seedEID, "--iccid", seedICCID}, exitTrouble, "connection refused"},
		{"timeout waiting", []string{"delete", "--url", url, "--eid", seedEID, "--iccid", seedICCID, "--wait", "--scenario", "delayed-success", "--timeout", "50ms"}, exitTrouble, "timed out after 50ms"},
		{"missing iccid", []string{"delete", "--url", url, "--eid", seedEID}, exitUsage, "one --iccid for each --eid"},
		{"bad base URL", []string{"token", "--url", "localhost"}, exitUsage, "absolute http"},
		{"unknown command", []string{"erase"}, exitUsage, `unknown command "erase"`},
		{"callbacks alone", []string{"callbacks"}, exitUsage, "register, list or deregister"},
		{"register without URL", []string{"callbacks", "register", "--url", url}, exitUsage, "needs the listener's URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := runCmd(context.Background(), tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d with %q", code, errs, tt.code, tt.want)
			}
		})
	}
}

func TestCallbackCommands(t *testing.T) {
	url, _ := startSim(t)
	ctx := context.Background()
	if code, out, errs := runCmd(ctx, "callbacks", "register", "--url", url, "http://127.0.0.1:9/cb"); code != 0 || !strings.Contains(out, "registered DeviceProfileService") {
		t.Fatalf("register: %d %s %s", code, out, errs)
	}
	if code, out, _ := runCmd(ctx, "callbacks", "list", "--url", url); code != 0 || !strings.Contains(out, `"url": "http://127.0.0.1:9/cb"`) {
		t.Errorf("list: %d %s", code, out)
	}
	if code, out, _ := runCmd(ctx, "callbacks", "deregister", "--url", url); code != 0 || !strings.Contains(out, "deregistered") {
		t.Errorf("deregister: %d %s", code, out)
	}
	if code, out, _ := runCmd(ctx, "token", "--url", url); code != 0 || !strings.Contains(out, `"expires_in": 3600`) {
		t.Errorf("token: %d %s", code, out)
	}
	if code, out, _ := runCmd(ctx, "login", "--url", url); code != 0 || len(strings.TrimSpace(out)) != 36 {
		t.Errorf("login: %d %s", code, out)
	}
}

func TestEnvironmentFallbacks(t *testing.T) {
	url, _ := startSim(t)
	env := map[string]string{"THINGSPACE_URL": url, "THINGSPACE_APP_SECRET": "wrong"}
	var out, errb lockedBuffer
	code := run(context.Background(), []string{"token"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	if code != exitTrouble || !strings.Contains(errb.String(), "invalid_client") {
		t.Errorf("exit %d %s", code, errb.String())
	}
}

func TestListenServesCallbacksAndHealth(t *testing.T) {
	url, admin := startSim(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"listen", "--url", url, "--addr", "127.0.0.1:0"}, func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	}()
	first, _, _ := strings.Cut(out.waitFor(t, "listening at "), "\n")
	listenURL := strings.TrimPrefix(first, "listening at ")
	resp, err := http.Get(strings.TrimSuffix(listenURL, "/callbacks") + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}
	resp.Body.Close()
	if code, _, errs := runCmd(ctx, "callbacks", "register", "--url", url, listenURL); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := runCmd(ctx, "delete", "--url", url, "--eid", seedEID, "--iccid", seedICCID); code != 0 {
		t.Fatal(errs)
	}
	if _, err := admin.Callbacks(ctx, client.CallbackQuery{Wait: 10 * time.Second, Min: 1}); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if !strings.Contains(out.String(), "callback eid="+seedEID+" status=Success") {
		t.Errorf("output:\n%s", out.String())
	}
}
