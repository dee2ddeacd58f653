package delivery_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/delivery"
)

// observed records what an Observer is told: each state, and whether the
// attempt reached out to a listener.
type observed struct {
	mu     sync.Mutex
	states []string
	sent   []bool
}

func (o *observed) Concluded(service, state string, a delivery.Attempt) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.states = append(o.states, service+" "+state)
	o.sent = append(o.sent, a.URL != "")
}

func observedRig(t *testing.T, s delivery.Sender, maxPending int) (*rig, *observed) {
	t.Helper()
	o := &observed{}
	r := &rig{clock: clock.NewManual(), log: delivery.NewLog(100)}
	r.d = delivery.New(delivery.Config{
		Clock: r.clock, Pool: newPool(t, s, 2, 10, maxPending), Log: r.log, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Resolve: func(string, string) (delivery.Target, bool) {
			return delivery.Target{URL: "http://127.0.0.1:1/cb"}, true
		},
		RetryInterval: 5 * time.Minute, Observer: o,
	})
	t.Cleanup(func() { _ = r.d.Close(context.Background()) })
	return r, o
}

// The Observer is told of every attempt, as the log records it, and of the
// callbacks the pool's bound gives up on, which made no attempt.
func TestObserverLearnsEveryOutcome(t *testing.T) {
	const retried, delivered, failed, givenUp = "DeviceProfileService pending", "DeviceProfileService delivered",
		"DeviceProfileService failed", "DeviceProfileService given-up"
	for _, tt := range []struct {
		name       string
		statuses   []int
		callbacks  int
		maxPending int
		want       []string
		sent       []bool
	}{
		{"two failures, then a 204", []int{500, 0, 204}, 1, 0, []string{retried, retried, delivered}, []bool{true, true, true}},
		{"never acknowledged", []int{503}, 1, 0, []string{retried, retried, retried, failed}, []bool{true, true, true, true}},
		{"past the bound", []int{0}, 2, 1, []string{retried, givenUp, retried, retried, retried, failed}, []bool{true, false, true, true, true, true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, o := observedRig(t, &script{statuses: tt.statuses}, tt.maxPending)
			for range tt.callbacks {
				r.d.Send(callback())
				r.advance(0)
			}
			r.advance(time.Hour)
			o.mu.Lock()
			defer o.mu.Unlock()
			if diff := cmp.Diff(tt.want, o.states); diff != "" {
				t.Errorf("observed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.sent, o.sent); diff != "" {
				t.Errorf("reached a listener (-want +got):\n%s", diff)
			}
		})
	}
}
