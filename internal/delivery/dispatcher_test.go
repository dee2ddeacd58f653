package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/wire"
)

// script is a Sender answering each attempt with the next status (the last
// one repeated); 0 is a listener that does not answer.
type script struct {
	mu       sync.Mutex
	statuses []int
	sent     int
}

func (s *script) Send(context.Context, delivery.Target, []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.statuses[min(s.sent, len(s.statuses)-1)]
	s.sent++
	if st == 0 {
		return 0, errors.New("connection refused")
	}
	return st, nil
}

type rig struct {
	clock *clock.Manual
	log   *delivery.Log
	d     *delivery.Dispatcher
}

// newPool starts a pool of workers, closed after the test's dispatchers
// (cleanups run last first).
func newPool(t *testing.T, s delivery.Sender, workers, queue, maxPending int) *delivery.Pool {
	t.Helper()
	p := delivery.NewPool(s, workers, queue, time.Second, maxPending)
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

func newRig(t *testing.T, s delivery.Sender, queue int, maxPending ...int) *rig {
	t.Helper()
	r := &rig{clock: clock.NewManual(), log: delivery.NewLog(100)}
	pool := newPool(t, s, 2, queue, append(maxPending, 0)[0])
	r.d = delivery.New(delivery.Config{
		Clock: r.clock, Pool: pool, Log: r.log, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Resolve: func(string, string) (delivery.Target, bool) {
			return delivery.Target{URL: "http://127.0.0.1:1/cb"}, true
		},
		RetryInterval: 5 * time.Minute,
	})
	t.Cleanup(func() { _ = r.d.Close(context.Background()) })
	return r
}

// advance moves the clock, letting each attempt finish before the next.
func (r *rig) advance(d time.Duration) {
	r.clock.Advance(d, func() { _ = r.d.Idle(context.Background()) })
}

func (r *rig) attempts() (states []string, counts []int) {
	records, _ := r.log.Records(delivery.Filter{})
	for _, rec := range records {
		states = append(states, rec.State)
		for _, a := range rec.Attempts {
			counts = append(counts, a.CallbackCount)
		}
	}
	return states, counts
}

func callback() wire.Callback {
	return wire.Callback{Account: "acct", Service: wire.ServiceDeviceProfile, EID: "e", Message: wire.CallbackMessage{RequestID: "r", Status: "Success"}}
}

func TestDispatcherRetriesUntilAcknowledgedOrThreshold(t *testing.T) {
	for _, tt := range []struct {
		name     string
		statuses []int
		state    string
		counts   []int
	}{
		{"acknowledged at once", []int{200}, delivery.StateDelivered, []int{1}},
		{"two failures, then a 204", []int{500, 0, 204}, delivery.StateDelivered, []int{1, 2, 3}},
		{"never acknowledged", []int{503}, delivery.StateFailed, []int{1, 2, 3, 4}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, &script{statuses: tt.statuses}, 10)
			r.d.Send(callback())
			r.advance(time.Hour)
			states, counts := r.attempts()
			if diff := cmp.Diff([]string{tt.state}, states); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.counts, counts); diff != "" {
				t.Errorf("callbackCount of each attempt (-want +got):\n%s", diff)
			}
			if p := r.d.Stats().Pending; p != 0 {
				t.Errorf("%d still pending", p)
			}
		})
	}
}

// After Reset, and after Close, a retry waiting on the clock sends nothing.
func TestDispatcherRetriesEndWithResetAndClose(t *testing.T) {
	for name, end := range map[string]func(*delivery.Dispatcher){
		"reset": (*delivery.Dispatcher).Reset,
		"close": func(d *delivery.Dispatcher) { _ = d.Close(context.Background()) },
	} {
		t.Run(name, func(t *testing.T) {
			s := &script{statuses: []int{500, 200}}
			r := newRig(t, s, 10)
			r.d.Send(callback())
			r.advance(0)
			end(r.d)
			r.advance(time.Hour)
			if s.sent != 1 {
				t.Errorf("%d attempts, want only the one before %s", s.sent, name)
			}
		})
	}
}

// A callback that finds the queue full is a failed attempt, retried like
// one: none is lost. With every attempt held, two workers and a queue of
// one hold three callbacks at most: of four, one finds the queue full.
func TestDispatcherQueueFullIsAFailedAttempt(t *testing.T) {
	block := make(chan struct{})
	s := senderFunc(func() (int, error) {
		<-block
		return 200, nil
	})
	r := newRig(t, s, 1)
	for range 4 {
		r.d.Send(callback())
	}
	close(block)
	r.advance(time.Hour)
	states, _ := r.attempts()
	if diff := cmp.Diff([]string{delivery.StateDelivered, delivery.StateDelivered, delivery.StateDelivered, delivery.StateDelivered}, states); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	full := 0
	records, _ := r.log.Records(delivery.Filter{})
	for _, rec := range records {
		for _, a := range rec.Attempts {
			if a.Error == "callback queue full" {
				full++
			}
		}
	}
	if full == 0 {
		t.Error("no attempt found the queue full")
	}
	if st := r.d.Stats(); st.QueueFull != uint64(full) {
		t.Errorf("Stats count %d attempts that found the queue full, the log %d", st.QueueFull, full)
	}
}

type senderFunc func() (int, error)

func (f senderFunc) Send(context.Context, delivery.Target, []byte) (int, error) { return f() }

// Secrets stay out of the attempt log and the log lines: the password of a
// URL with credentials, and the password registered with the listener
// (which the callback itself carries, as ThingSpace's does).
func TestSecretsAreRedacted(t *testing.T) {
	var logs bytes.Buffer
	r := &rig{clock: clock.NewManual(), log: delivery.NewLog(100)}
	r.d = delivery.New(delivery.Config{
		Clock: r.clock, Pool: newPool(t, &script{statuses: []int{500, 200}}, 1, 10, 0), Log: r.log, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Resolve: func(string, string) (delivery.Target, bool) {
			return delivery.Target{URL: "http://hook:url-secret@127.0.0.1:1/cb", Username: "cb", Password: "registered-secret"}, true
		},
		RetryInterval: time.Minute,
	})
	t.Cleanup(func() { _ = r.d.Close(context.Background()) })
	r.d.Send(callback())
	if got, _ := r.log.Records(delivery.Filter{}); got[0].Attempts == nil {
		t.Error("attempts is nil before the first attempt: it reads null, not []")
	}
	r.advance(time.Hour)
	records, _ := r.log.Records(delivery.Filter{})
	seen, err := json.Marshal(records)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"url-secret", "registered-secret"} {
		if bytes.Contains(seen, []byte(secret)) || strings.Contains(logs.String(), secret) {
			t.Errorf("%s shows in the attempt log or the log lines:\n%s\n%s", secret, seen, logs.String())
		}
	}
}

// Past the pool's bound, the oldest callbacks are given up on, said so in the
// log, and their retries never run: memory holds that many callbacks, not
// every one a down listener did not take. Before, a listener down at full
// rate grew tssim by gigabytes.
func TestDispatcherGivesUpTheOldestPastMaxPending(t *testing.T) {
	s := &script{statuses: []int{0}}
	r := newRig(t, s, 10, 2)
	for range 5 {
		r.d.Send(callback())
		r.advance(0)
	}
	if st := r.d.Stats(); st.Pending != 2 || st.GivenUp != 3 {
		t.Errorf("stats %+v, want 2 pending and 3 given up", st)
	}
	tried := s.sent
	r.advance(5 * time.Minute)
	if got := s.sent - tried; got != 2 {
		t.Errorf("%d retries ran, want the 2 of the pending callbacks", got)
	}
	states, _ := r.attempts()
	want := []string{delivery.StateGivenUp, delivery.StateGivenUp, delivery.StateGivenUp, delivery.StatePending, delivery.StatePending}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
}

// The bound holds for all the dispatchers of a pool together (all the
// worlds of a tssim): the one holding the most gives up its oldest, and the
// others keep theirs. Before, each world had a bound of its own, and a
// thousand worlds with their listeners down held a thousand times it.
func TestPoolBoundsEveryDispatcher(t *testing.T) {
	s := &script{statuses: []int{0}}
	pool := newPool(t, s, 2, 10, 4)
	c := clock.NewManual()
	newD := func() *delivery.Dispatcher {
		d := delivery.New(delivery.Config{Clock: c, Pool: pool, Log: delivery.NewLog(100), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Resolve: func(string, string) (delivery.Target, bool) {
				return delivery.Target{URL: "http://127.0.0.1:1/cb"}, true
			},
			RetryInterval: time.Minute})
		t.Cleanup(func() { _ = d.Close(context.Background()) })
		return d
	}
	quiet, flood := newD(), newD()
	quiet.Send(callback())
	for range 10 {
		flood.Send(callback())
	}
	if q, f := quiet.Stats(), flood.Stats(); q.Pending != 1 || q.GivenUp != 0 || f.Pending != 3 || f.GivenUp != 7 {
		t.Errorf("quiet %+v, flood %+v: want the flood to give up its own", q, f)
	}
	// A closed dispatcher's callbacks leave the count.
	_ = flood.Close(context.Background())
	for range 3 {
		quiet.Send(callback())
	}
	if q := quiet.Stats(); q.Pending != 4 || q.GivenUp != 0 {
		t.Errorf("quiet after the flood closed: %+v", q)
	}
}

// Attempts that find no listener are each in the journal, and summed up
// in the log: a line for the first at once, then one at most every 10
// seconds, where a line each flooded the log of a client that registers
// none.
func TestAttemptsWithoutAListenerAreSummedUpInTheLog(t *testing.T) {
	// Read once every attempt is over (Idle): the handler writes a line
	// at a time, the last before its worker counts the attempt done.
	var logs bytes.Buffer
	log := delivery.NewLog(100)
	d := delivery.New(delivery.Config{
		Clock: clock.NewManual(), Pool: newPool(t, &script{statuses: []int{200}}, 2, 100, 0), Log: log,
		Logger:        slog.New(slog.NewTextHandler(&logs, nil)),
		Resolve:       func(string, string) (delivery.Target, bool) { return delivery.Target{}, false },
		RetryInterval: 5 * time.Minute,
	})
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	for range 50 {
		d.Send(wire.Callback{Account: "acct", Service: wire.ServiceDeviceProfile, EID: "e"})
		d.Send(wire.Callback{Account: "other", Service: wire.ServiceDeviceProfile, EID: "e"})
	}
	if err := d.Idle(context.Background()); err != nil {
		t.Fatal(err)
	}
	records, _ := log.Records(delivery.Filter{})
	for _, r := range records {
		if len(r.Attempts) != 1 || r.Attempts[0].Error != "no DeviceProfileService listener registered for account "+r.Account {
			t.Fatalf("record %+v", r)
		}
	}
	// A line for each account's first: one account without a listener
	// hides no other.
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(records) != 100 || len(lines) != 2 {
		t.Fatalf("%d records; log:\n%s", len(records), logs.String())
	}
	for _, account := range []string{"acct", "other"} {
		want := `msg="callbacks not sent: no listener registered" attempts=1 account=` + account + ` service=DeviceProfileService`
		if !strings.Contains(lines[0], want) && !strings.Contains(lines[1], want) {
			t.Errorf("no line says %s:\n%s", want, logs.String())
		}
	}
}
