package delivery

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/wire"
)

// neverAnswers holds every attempt until the test ends.
type neverAnswers struct{ release chan struct{} }

func (n neverAnswers) Send(ctx context.Context, _ Target, _ []byte) (int, error) {
	select {
	case <-n.release:
	case <-ctx.Done():
	}
	return 0, context.Canceled
}

// A listener that never answers, at full rate: the callbacks past
// maxPending are given up on, and the lane drops their attempts as it
// grows, so that its queue holds about what is pending, not every callback
// ever sent (4.7 million in 10 minutes of the soak).
func TestALaneDropsWhatWasGivenUpOn(t *testing.T) {
	release := make(chan struct{})
	p := NewPool(neverAnswers{release}, 4, 1_000_000, time.Hour, 100)
	d := New(Config{
		Clock: clock.NewManual(), Pool: p, Log: NewLog(10), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Resolve:       func(string, string) (Target, bool) { return Target{URL: "http://127.0.0.1:1/never"}, true },
		RetryInterval: time.Minute,
	})
	for range 50_000 {
		d.Send(wire.Callback{Account: "a", Service: wire.ServiceDeviceProfile})
	}
	p.sched.Lock()
	queued := p.queued
	p.sched.Unlock()
	if st := d.Stats(); st.Pending > 100 || st.QueueFull != 0 {
		t.Errorf("stats %+v: want at most 100 pending, none refused by the queue", st)
	}
	if queued > 2*minSweep {
		t.Errorf("%d attempts queued for 100 callbacks pending", queued)
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = d.Close(ctx)
	_ = p.Close(ctx)
}

// Callbacks no listener takes wait for their retries in one queue: those
// given up on leave it at once, so that it holds what is pending, not every
// callback that ever failed, and each waiting one is retried when due.
func TestTheRetryQueueHoldsWhatIsPending(t *testing.T) {
	clk := clock.NewManual()
	p := NewPool(neverAnswers{}, 4, 1000, time.Hour, 100)
	d := New(Config{
		Clock: clk, Pool: p, Log: NewLog(10), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Resolve:       func(string, string) (Target, bool) { return Target{}, false },
		RetryInterval: time.Minute,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 1000 {
		d.Send(wire.Callback{Account: "a", Service: wire.ServiceDeviceProfile})
	}
	if err := d.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	waiting := d.waiting.len()
	d.mu.Unlock()
	if st := d.Stats(); st.Pending != 100 || st.GivenUp != 900 || waiting != 100 {
		t.Errorf("stats %+v, %d waiting: want 100 pending and waiting, 900 given up on", st, waiting)
	}
	attempts := func() (n int) {
		recs, _ := d.cfg.Log.Records(Filter{})
		for _, r := range recs {
			n += len(r.Attempts)
		}
		return n
	}
	before := attempts()
	clk.Advance(time.Minute, func() { _ = d.Idle(ctx) })
	if got := attempts() - before; got != 10 { // the log keeps the last 10 callbacks
		t.Errorf("%d attempts after a minute in the log's 10 callbacks, want 10", got)
	}
	_ = d.Close(ctx)
	_ = p.Close(ctx)
}

// The waiting queue gives its jobs back earliest first, whatever order
// they came in, and takes any of them out.
func TestWaitingInDueOrder(t *testing.T) {
	at := func(min int) time.Time { return clock.Epoch.Add(time.Duration(min) * time.Minute) }
	var w waiting
	jobs := map[int]*job{}
	for i, m := range []int{5, 6, 9, 2, 7, 7, 1, 8} {
		jobs[i] = &job{id: uint64(i), due: at(m)}
		w.push(jobs[i])
	}
	w.remove(jobs[5])                  // the second of two due at 7
	w.remove(&job{id: 99, due: at(7)}) // not there
	w.remove(jobs[6])                  // the first
	w.remove(jobs[0])                  // near the front
	var got []uint64
	for w.len() > 0 {
		got = append(got, w.popFirst().id)
	}
	if want := []uint64{3, 1, 4, 7, 2}; !slices.Equal(got, want) {
		t.Errorf("popped %v, want %v", got, want)
	}
}

// gate holds each attempt until released, then answers 200.
type gate struct{ started, release chan struct{} }

func (g gate) Send(context.Context, Target, []byte) (int, error) {
	g.started <- struct{}{}
	<-g.release
	return 200, nil
}

// An attempt under way at a reset, delivered after it, leaves alone the
// callback a state file restored since under the same id.
func TestAnAttemptFromBeforeAResetLeavesTheRestoredCallback(t *testing.T) {
	g := gate{started: make(chan struct{}), release: make(chan struct{})}
	clk := clock.NewManual()
	p := NewPool(g, 1, 10, time.Hour, 0)
	d := New(Config{
		Clock: clk, Pool: p, Log: NewLog(10), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Resolve:       func(string, string) (Target, bool) { return Target{URL: "http://127.0.0.1:1/gate"}, true },
		RetryInterval: time.Minute,
	})
	d.Send(wire.Callback{Account: "a", Service: wire.ServiceDeviceProfile})
	<-g.started
	d.Reset()
	d.Restore([]Pending{{ID: 1, Account: "a", Service: wire.ServiceDeviceProfile, CallbackCount: 1, Due: clk.Now().Add(time.Hour)}})
	close(g.release)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	if st := d.Stats(); st.Pending != 1 {
		t.Errorf("stats %+v: the restored callback is no longer pending", st)
	}
	_ = d.Close(ctx)
	_ = p.Close(ctx)
}
