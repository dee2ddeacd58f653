package delivery_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/wire"
)

// hanging is a Sender whose listener at hangURL takes every attempt and
// never answers, until released; every other listener acknowledges.
type hanging struct {
	release chan struct{}
	other   chan struct{}
	// held counts the attempts the hanging listener holds now; most is
	// the most it held at once.
	held, most atomic.Int32
}

const hangURL = "http://127.0.0.1:1/hangs"

func (h *hanging) Send(ctx context.Context, t delivery.Target, _ []byte) (int, error) {
	if t.URL == hangURL {
		n := h.held.Add(1)
		defer h.held.Add(-1)
		for m := h.most.Load(); n > m && !h.most.CompareAndSwap(m, n); m = h.most.Load() {
		}
		select {
		case <-h.release:
		case <-ctx.Done():
		}
		return 0, ctx.Err()
	}
	h.other <- struct{}{}
	return 200, nil
}

// One listener that hangs delays no other's callbacks: it holds at most a
// quarter of the workers, and its queued attempts hold no other's back.
// Before, a listener reading a byte a second in one world held every
// worker, other worlds' callbacks waited 7 to 10 s, and those finding the
// queue full waited the 5-minute retry.
func TestAHangingListenerDelaysNoOther(t *testing.T) {
	h := &hanging{release: make(chan struct{}), other: make(chan struct{}, 100)}
	defer close(h.release)
	pool := delivery.NewPool(h, 8, 10_000, time.Hour, 0)
	t.Cleanup(func() { _ = pool.Close(context.Background()) })
	world := func(url string) (*delivery.Dispatcher, *delivery.Log) {
		log := delivery.NewLog(1000)
		d := delivery.New(delivery.Config{
			Clock: clock.NewManual(), Pool: pool, Log: log, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Resolve:       func(string, string) (delivery.Target, bool) { return delivery.Target{URL: url}, true },
			RetryInterval: 5 * time.Minute,
		})
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			defer cancel()
			_ = d.Close(ctx)
		})
		return d, log
	}
	slow, _ := world(hangURL)
	healthy, log := world("http://127.0.0.1:1/ok")
	for range 500 {
		slow.Send(wire.Callback{Account: "a", Service: wire.ServiceDeviceProfile, Message: wire.CallbackMessage{RequestID: "slow"}})
	}
	const n = 50
	for range n {
		healthy.Send(wire.Callback{Account: "b", Service: wire.ServiceDeviceProfile, Message: wire.CallbackMessage{RequestID: "healthy"}})
	}
	deadline := time.After(10 * time.Second) // a failure's bound, not a measure: the attempts are events
	for i := range n {
		select {
		case <-h.other:
		case <-deadline:
			t.Fatalf("%d of %d callbacks of a healthy world delivered while another world's listener hangs", i, n)
		}
	}
	if err := healthy.Idle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := healthy.Stats(); st.Delivered != n || st.QueueFull != 0 {
		t.Errorf("healthy world: %+v, want %d delivered and none finding the queue full", st, n)
	}
	if recs, _ := log.Records(delivery.Filter{}); len(recs) != n {
		t.Errorf("%d records", len(recs))
	}
	if n := h.most.Load(); n > 2 {
		t.Errorf("the hanging listener held %d of the 8 workers at once, more than a quarter", n)
	}
	if st := slow.Stats(); st.Pending != 500 || st.QueueFull != 0 {
		t.Errorf("the hanging world: %+v, want its 500 callbacks pending, none refused by the queue", st)
	}
}
