package simulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/simulator"
)

// failing makes the listener answer status to the first n callbacks.
func (e *env) failing(n int32, status int) *atomic.Int32 {
	var calls atomic.Int32
	f := func(w http.ResponseWriter, r *http.Request) bool {
		if calls.Add(1) <= n {
			w.WriteHeader(status)
			return true
		}
		return false
	}
	e.answer.Store(&f)
	return &calls
}

func TestRetriesUntilThreshold(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	e.failing(100, http.StatusInternalServerError)
	id := e.delete(seedEID, seedICCID)
	for n := 1; n <= 4; n++ {
		cb := e.callbacks(id, 1, n)[0]
		a := cb.Attempts[n-1]
		if a.CallbackCount != n || a.StatusCode != 500 {
			t.Fatalf("attempt %d: %+v", n, a)
		}
		if n > 1 && a.Time.Sub(cb.Attempts[n-2].Time) != 5*time.Minute {
			t.Errorf("attempt %d came %s after the one before, want 5m", n, a.Time.Sub(cb.Attempts[n-2].Time))
		}
		e.advance(5 * time.Minute)
	}
	e.advance(time.Hour)
	cb := e.callbacks(id, 1, 4)[0]
	if len(cb.Attempts) != 4 || cb.State != "failed" {
		t.Errorf("after the threshold: state %s, %d attempts; want failed after 4", cb.State, len(cb.Attempts))
	}
	if got := len(e.listener.Results()); got != 0 {
		t.Errorf("listener took %d results", got)
	}
}

func TestListenerFailingTwiceThenAcknowledging(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	calls := e.failing(2, http.StatusServiceUnavailable)
	id := e.delete(seedEID, seedICCID)
	e.callbacks(id, 1, 1)
	e.advance(5 * time.Minute)
	e.callbacks(id, 1, 2)
	e.advance(5 * time.Minute)
	cb := e.callbacks(id, 1, 3)[0]
	if cb.State != "delivered" || cb.Message.CallbackCount != 3 || calls.Load() != 3 {
		t.Fatalf("state %s, callbackCount %d, %d calls", cb.State, cb.Message.CallbackCount, calls.Load())
	}
	res, err := e.listener.Await(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r := res[seedEID]; !r.Succeeded || r.CallbackCount != 3 {
		t.Errorf("result %+v", r)
	}
	// The listener gets the registered credentials; the journal hides the
	// password.
	if m := res[seedEID].Message; m.Username != "cbuser" || m.Password != "cbpass" || m.MaxCallbackThreshold != 4 {
		t.Errorf("the listener got credentials %q/%q, threshold %d", m.Username, m.Password, m.MaxCallbackThreshold)
	}
	if m := cb.Message; m.Username != "cbuser" || m.Password != "xxxxx" {
		t.Errorf("the journal shows credentials %q/%q", m.Username, m.Password)
	}
}

func TestHangingListenerTimesOutAndIsRetried(t *testing.T) {
	e := newEnv(t, func(o *simulator.Options) { o.CallbackTimeout = 300 * time.Millisecond })
	e.register(account)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var calls atomic.Int32
	f := func(w http.ResponseWriter, r *http.Request) bool {
		if calls.Add(1) == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return true
		}
		return false
	}
	e.answer.Store(&f)
	id := e.delete(seedEID, seedICCID)
	a := e.callbacks(id, 1, 1)[0].Attempts[0]
	if a.Error == "" || a.StatusCode != 0 {
		t.Fatalf("first attempt %+v: want a timeout", a)
	}
	e.advance(5 * time.Minute)
	cb := e.callbacks(id, 1, 2)[0]
	if cb.State != "delivered" || cb.Attempts[1].CallbackCount != 2 {
		t.Errorf("second attempt: %+v", cb)
	}
}

func TestNoListenerIsRetriedAndThenFallsBack(t *testing.T) {
	e := newEnv(t)
	id := e.delete(seedEID, seedICCID)
	if a := e.callbacks(id, 1, 1)[0].Attempts[0]; a.URL != "" || a.Error == "" {
		t.Fatalf("attempt without a listener: %+v", a)
	}
	e.register(account)
	e.advance(5 * time.Minute)
	if cb := e.callbacks(id, 1, 2)[0]; cb.State != "delivered" {
		t.Errorf("after registering: %+v", cb)
	}
}

func TestCallbackURLFallback(t *testing.T) {
	e := newEnv(t, func(o *simulator.Options) { o.CallbackURL = "http://127.0.0.1:1/unused" })
	id := e.delete(seedEID, seedICCID)
	if a := e.callbacks(id, 1, 1)[0].Attempts[0]; a.URL != "http://127.0.0.1:1/unused" {
		t.Errorf("attempt went to %q", a.URL)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files of testdata/ with what the tests see")

// TestSeedCallbackGolden compares the callback of the seed page's delete,
// byte for byte as a listener receives it (the requestId aside), with
// testdata/seed-callback.golden.json: the seed page's example, with the
// credentials registered and without its trailing comma.
func TestSeedCallbackGolden(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	bodies := make(chan []byte, 1)
	capture := func(_ http.ResponseWriter, r *http.Request) bool {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
		r.Body = io.NopCloser(bytes.NewReader(b))
		return false
	}
	e.answer.Store(&capture)
	id := e.delete(seedEID, seedICCID)
	got := bytes.ReplaceAll(<-bodies, []byte(id), []byte("REQUEST-ID"))
	const golden = "testdata/seed-callback.golden.json"
	if *update {
		var out bytes.Buffer
		if err := json.Indent(&out, got, "", "  "); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./simulator -run TestSeedCallbackGolden -update writes it)", err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("the seed callback differs from %s (-want +got):\n%s", golden, diff)
	}
}

// answerRecorder notes whether the answer was written.
type answerRecorder struct {
	*httptest.ResponseRecorder
	written atomic.Bool
}

func (w *answerRecorder) Write(b []byte) (int, error) {
	w.written.Store(true)
	return w.ResponseRecorder.Write(b)
}

// senderFunc is a Sender made of a function.
type senderFunc func(l delivery.Target, body []byte) (int, error)

func (f senderFunc) Send(_ context.Context, l delivery.Target, body []byte) (int, error) {
	return f(l, body)
}

// A request's callbacks go out once its answer is written: a client has the
// requestId before any of them arrives, as with ThingSpace.
func TestCallbacksFollowTheAnswer(t *testing.T) {
	const devices = 200
	w := &answerRecorder{ResponseRecorder: httptest.NewRecorder()}
	var sent atomic.Int32
	all := make(chan struct{})
	srv, header := benchServer(t, devices, senderFunc(func(delivery.Target, []byte) (int, error) {
		if !w.written.Load() {
			t.Error("a callback was sent before the answer was written")
		}
		if sent.Add(1) == devices {
			close(all)
		}
		return 200, nil
	}))
	r := httptest.NewRequest("POST", "/api/m2m/v1/devices/profile/actions/delete", strings.NewReader(deleteBody(0, devices)))
	r.Header = header
	srv.Handler().ServeHTTP(w, r)
	if w.Code != 200 || w.Header().Get("Content-Length") == "" {
		t.Fatalf("answer %d with headers %v: want a 200 with its length", w.Code, w.Header())
	}
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Fatalf("%d of %d callbacks sent", sent.Load(), devices)
	}
}
