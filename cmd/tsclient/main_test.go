package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
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
	return l.waitUntil(t, prefix, func(s string) bool { return strings.HasPrefix(s, prefix) && strings.Contains(s, "\n") })
}

// waitUntil waits until ok says yes to the output, and returns it.
func (l *lockedBuffer) waitUntil(t *testing.T, what string, ok func(string) bool) string {
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
		if ok(s) {
			return s
		}
		select {
		case <-written:
		case <-timeout:
			t.Fatalf("no %q in the output: %q", what, s)
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
	return startSimWith(t, simulator.Options{Clock: "manual"})
}

func startSimWith(t *testing.T, opts simulator.Options) (string, *client.Admin) {
	t.Helper()
	srv, err := simulator.New(opts)
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
	// The account's own listener, which --wait borrows the registration of.
	const own = "http://127.0.0.1:9/own"
	if code, _, errs := runCmd(ctx, "callbacks", "register", "--url", url, "--cb-username", "u", "--cb-password", "p", own); code != 0 {
		t.Fatal(errs)
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
	for _, want := range []string{"listening at http://127.0.0.1:", "requestId ", "tssim's clock is manual", "/_sim/clock/advance",
		"callback eid=" + seedEID + " status=Warning", "callback eid=" + seedEID + " status=Success", "final    eid=" + seedEID + " succeeded",
		"put back the account's DeviceProfileService listener: " + own} {
		if !strings.Contains(lines, want) {
			t.Errorf("output lacks %q:\n%s", want, lines)
		}
	}
	if strings.Index(lines, "status=Warning") > strings.Index(lines, "status=Success") {
		t.Errorf("warning printed after success:\n%s", lines)
	}
	// Before, the run's listener stayed registered, and the account's own
	// silently stopped receiving.
	_, list, _ := runCmd(ctx, "callbacks", "list", "--url", url)
	if !strings.Contains(list, `"url": "`+own+`"`) || !strings.Contains(list, `"username": "u"`) {
		t.Errorf("registrations after the run:\n%s", list)
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
	// token and login print what a shell variable wants; --json, the answer.
	if code, out, _ := runCmd(ctx, "token", "--url", url); code != 0 || strings.Count(out, "\n") != 1 || strings.ContainsAny(out, "{ ") {
		t.Errorf("token: %d %q", code, out)
	}
	if code, out, _ := runCmd(ctx, "token", "--json", "--url", url); code != 0 || !strings.Contains(out, `"expires_in": 3600`) {
		t.Errorf("token --json: %d %s", code, out)
	}
	if code, out, _ := runCmd(ctx, "login", "--url", url); code != 0 || len(strings.TrimSpace(out)) != 36 {
		t.Errorf("login: %d %s", code, out)
	}
	if code, out, _ := runCmd(ctx, "login", "--json", "--url", url); code != 0 || !strings.Contains(out, `"sessionToken": "`) {
		t.Errorf("login --json: %d %s", code, out)
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

// startListen runs tsclient listen with flags until the test ends, and
// returns its URL and its output.
func startListen(t *testing.T, url string, flags ...string) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"listen", "--url", url, "--addr", "127.0.0.1:0"}, flags...), func(string) string { return "" }, strings.NewReader(""), out, io.Discard)
	}()
	t.Cleanup(func() { cancel(); <-done })
	first, _, _ := strings.Cut(out.waitFor(t, "listening at "), "\n")
	return strings.TrimPrefix(first, "listening at "), out
}

// Each listener fault, as the simulator's callback journal records the
// attempts it made against it: the fault for the first --times, then the
// callback taken.
func TestListenFaults(t *testing.T) {
	for _, tt := range []struct {
		name  string
		flags []string
		say   string
		want  []string
	}{
		{"status", []string{"--status", "500", "--times", "2"}, "fault: answering 500 to the first 2 callbacks, then 200", []string{"500", "500", "200"}},
		{"drop", []string{"--drop", "--times", "1"}, "fault: closing the connection without an answer to the first 1 callbacks, then 200", []string{"EOF", "200"}},
		{"garbage", []string{"--garbage", "--times", "1"}, "fault: answering bytes that are not HTTP to the first 1 callbacks, then 200", []string{"malformed HTTP", "200"}},
		{"hang", []string{"--hang", "--times", "1"}, "fault: never answering to the first 1 callbacks, then 200", []string{"no answer within 1s", "200"}},
		{"delay", []string{"--delay", "1ms"}, "fault: waiting 1ms, then answering 200 to every callback", []string{"200"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Long enough that a busy machine answers in time, but for the
			// listener that hangs, which costs one timeout.
			timeout := 10 * time.Second
			if tt.name == "hang" {
				timeout = time.Second
			}
			url, admin := startSimWith(t, simulator.Options{Clock: "manual", CallbackTimeout: timeout})
			ctx := context.Background()
			listenURL, out := startListen(t, url, tt.flags...)
			out.waitUntil(t, tt.say, func(s string) bool { return strings.Contains(s, tt.say+"\n") })
			if code, _, errs := runCmd(ctx, "callbacks", "register", "--url", url, listenURL); code != 0 {
				t.Fatal(errs)
			}
			if code, _, errs := runCmd(ctx, "delete", "--url", url, "--eid", seedEID, "--iccid", seedICCID); code != 0 {
				t.Fatal(errs)
			}
			var cbs []client.SimCallback
			for i := range tt.want {
				if i > 0 {
					if _, err := admin.Advance(ctx, 5*time.Minute); err != nil {
						t.Fatal(err)
					}
				}
				var err error
				if cbs, err = admin.Callbacks(ctx, client.CallbackQuery{Wait: 10 * time.Second, Min: 1, Attempts: i + 1}); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for _, a := range cbs[0].Attempts {
				if a.Error != "" && a.StatusCode == 0 {
					got = append(got, a.Error)
				} else {
					got = append(got, strconv.Itoa(a.StatusCode))
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("attempts %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("attempt %d: %q, want %q", i+1, got[i], tt.want[i])
				}
			}
			if cbs[0].State != "delivered" {
				t.Errorf("callback state %s", cbs[0].State)
			}
		})
	}
}

func TestListenFaultFlagsRefused(t *testing.T) {
	for _, flags := range [][]string{{"--status", "500", "--drop"}, {"--times", "2"}, {"--status", "42"}, {"--hang", "--garbage"}} {
		code, _, errs := runCmd(context.Background(), append([]string{"listen", "--addr", "127.0.0.1:0"}, flags...)...)
		if code != exitUsage || !strings.Contains(errs, "tsclient: listen:") {
			t.Errorf("%v: exit %d, %q", flags, code, errs)
		}
	}
}
