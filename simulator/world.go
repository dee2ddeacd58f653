package simulator

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/fault"
	"github.com/tssim/tssim/internal/state"
)

// world is one simulated ThingSpace: its clock, its devices, tokens,
// sessions and registrations (the domain), its callbacks to deliver, its
// journals and its fault rules. The default world is served at the root,
// the others under /w/{name}/.
type world struct {
	env  worldEnv
	spec worldSpec
	// lastUsed is when a request last reached the world (UnixNano, wall
	// time).
	lastUsed atomic.Int64

	clock      clock.Clock
	manual     *clock.Manual
	real       *clock.Real
	sim        *domain.Sim
	requests   *requestJournal
	callbacks  *delivery.Log
	dispatcher *delivery.Dispatcher
	faults     fault.Rules

	// lock is held for reading while a request changes the world and
	// hands its callbacks to delivery, and for writing while changes are
	// taken to be saved or the world is reset: a saved state never holds
	// an accepted action without its callbacks.
	lock sync.RWMutex
}

// worldEnv is what a world takes from the server that made it.
type worldEnv struct {
	log *slog.Logger
	// now is the wall clock of world expiry; ttl the time a world may be
	// left unused.
	now             func() time.Time
	ttl             time.Duration
	callbackTimeout time.Duration
}

// worldSpec is what a world is made from, as PUT /_sim/worlds/{name}
// gives it and the state file keeps it.
type worldSpec struct {
	Name      string    `json:"name"`
	Clock     string    `json:"clock,omitempty"`
	TimeScale float64   `json:"timeScale,omitempty"`
	Fixtures  []byte    `json:"fixtures,omitempty"`
	Created   time.Time `json:"created"`
	// Creator is the source address the world is counted against ("":
	// no one, as when the admin token made it).
	Creator string `json:"creator,omitempty"`
}

// newWorld builds the world spec names ("" the default one) on fixtures f.
func (h *Server) newWorld(spec worldSpec, f *domain.Fixtures) (*world, error) {
	if spec.Created.IsZero() {
		spec.Created = h.now()
	}
	journal := h.opts.JournalSize
	if spec.Name != "" {
		journal = h.opts.WorldJournalSize
	}
	env := worldEnv{log: h.log, now: h.now, ttl: h.opts.WorldTTL, callbackTimeout: h.opts.CallbackTimeout}
	w := &world{env: env, spec: spec, requests: newRequestJournal(journal), callbacks: delivery.NewLog(journal)}
	w.lastUsed.Store(h.now().UnixNano())
	switch spec.Clock {
	case "manual":
		w.manual = clock.NewManual()
		w.clock = w.manual
	case "real":
		w.real = clock.NewReal(spec.TimeScale)
		w.clock = w.real
	default:
		return nil, fmt.Errorf("clock %q: must be real or manual", spec.Clock)
	}
	var changed func()
	var durable func(context.Context) error
	if h.keeper != nil {
		changed, durable = func() { h.touched(w) }, h.keeper.Durable
	}
	registry := domain.NewRegistry(h.opts.CallbackURL)
	w.dispatcher = delivery.New(delivery.Config{
		Clock: w.clock, Pool: h.pool, Log: w.callbacks, Logger: h.log,
		Resolve: func(account, service string) (delivery.Target, bool) {
			r, ok := registry.Destination(account, service)
			return delivery.Target{URL: r.URL, Username: r.Username, Password: r.Password}, ok
		},
		RetryInterval: h.opts.RetryInterval, Changed: changed, Durable: durable, Observer: h.metrics.Callbacks(),
	})
	var err error
	w.sim, err = domain.New(domain.Config{
		Clock: w.clock, Relaxed: h.opts.Auth == "relaxed", Fixtures: f, Scenarios: h.scenarios,
		DefaultScenario: h.opts.DefaultScenario, Registry: registry, Kinds: h.kinds, MaxSessions: h.opts.MaxSessions, Deliver: w.dispatcher.Send, Changed: changed, Requests: journal,
	})
	if err != nil {
		_ = w.dispatcher.Close(context.Background())
		return nil, err
	}
	return w, nil
}

// reset puts the world back to its fixtures: devices, tokens, sessions,
// registrations, journals, fault rules and the manual clock. Scheduled
// steps and retries are dropped.
func (w *world) reset() {
	w.lock.Lock()
	defer w.lock.Unlock()
	if w.manual != nil {
		w.manual.Set(clock.Epoch)
	}
	w.sim.Reset()
	w.dispatcher.Reset()
	w.requests.reset()
	w.faults.Clear()
}

// restore lays a saved state over the world.
func (w *world) restore(st *state.State) {
	if w.manual != nil {
		w.manual.Set(st.Clock)
	} else {
		w.real.Resume(st.Clock)
	}
	w.sim.Restore(&st.Snapshot)
	w.dispatcher.Restore(st.Deliveries)
	w.env.log.Info("restored", "world", w.spec.Name, "devices", len(st.Devices), "actions", len(st.Actions), "callbacks", len(st.Deliveries))
}

// changes takes what changed since the last call, for the keeper to save:
// the domain first, so that the callbacks of every step it holds are in
// delivery's changes.
func (w *world) changes() state.World {
	w.lock.Lock()
	defer w.lock.Unlock()
	return state.World{Name: w.spec.Name, Clock: w.clock.Now(), Sets: []change.Set{w.sim.Changes(), w.dispatcher.Changes()}}
}

// close stops the world's scheduled steps and its deliveries, waiting for
// the attempts under way until ctx ends.
func (w *world) close(ctx context.Context) error {
	w.sim.Close()
	return w.dispatcher.Close(ctx)
}

// touch notes a request to the world.
func (w *world) touch() { w.lastUsed.Store(w.env.now().UnixNano()) }
