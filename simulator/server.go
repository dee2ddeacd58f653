// Package simulator is tssim's server: a stateful fake of ThingSpace's eUICC
// profile API and of the SM-SR behind it, on ThingSpace's own paths and a
// control API under /_sim/. New starts one; its Handler serves it, in a
// program of its own (cmd/tssim) or in a test.
//
// Inside, data flows one way: a request is validated into a typed value
// (internal/validate), the domain (internal/domain) turns it into new state
// and the callbacks to send, this package answers and then hands the
// callbacks to delivery (internal/delivery), which records every attempt.
// This package is the only one that knows all of them.
package simulator

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/tssim/tssim/fixtures"
	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/fault"
	"github.com/tssim/tssim/internal/state"
	"github.com/tssim/tssim/internal/validate"
)

// Options configure a Server. The zero value of a field is its default.
// The fields with a flag of the same name in cmd/tssim (--fixtures,
// --time-scale...) mean what `tssim --help` says; the others tune what no
// flag reaches.
type Options struct {
	// Fixtures is a JSON fixtures file; "" loads the built-in demo.
	Fixtures string
	// Scenarios is a folder of extra scenario files.
	Scenarios       string
	DefaultScenario string
	// Clock is "real" or "manual".
	Clock     string
	TimeScale float64
	// Auth is "strict" or "relaxed".
	Auth        string
	CallbackURL string
	AdminToken  string
	// StateFile keeps the state across restarts in a bbolt database:
	// read at start when it exists; every change is in it before the
	// request that made it is answered, and before a callback tells of it.
	StateFile string
	// Logger gets one line per request and per callback attempt (default:
	// none).
	Logger *slog.Logger

	CallbackTimeout time.Duration
	RetryInterval   time.Duration
	// MaxPending bounds the callbacks not yet delivered (default 20,000):
	// past it the oldest is given up on.
	MaxPending int
	// Workers deliver callbacks in parallel (default 64); up to QueueSize
	// wait for one (default 100,000).
	Workers   int
	QueueSize int
	// Sender replaces delivery over HTTP, in tssim's own tests.
	Sender delivery.Sender
	// MaxBodyBytes bounds a request body (default 4 MiB); JournalSize,
	// how many requests and callbacks /_sim/ remembers (default 10,000
	// of each).
	MaxBodyBytes int64
	JournalSize  int
}

func (o *Options) setDefaults() {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&o.DefaultScenario, "immediate-success")
	def(&o.Clock, "real")
	def(&o.Auth, "strict")
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Workers <= 0 {
		o.Workers = 64
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 20_000
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 100_000
	}
	if o.CallbackTimeout <= 0 {
		o.CallbackTimeout = 10 * time.Second
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = 5 * time.Minute
	}
	if o.Sender == nil {
		o.Sender = delivery.NewHTTPSender(o.Workers)
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 4 << 20
	}
	if o.JournalSize <= 0 {
		o.JournalSize = 10_000
	}
}

// Server is a running simulator: the domain, its journals, callback
// delivery and the HTTP handler over them.
type Server struct {
	opts       Options
	log        *slog.Logger
	clock      clock.Clock
	manual     *clock.Manual
	real       *clock.Real
	validator  *validate.Validator
	sim        *domain.Sim
	requests   *requestJournal
	callbacks  *delivery.Log
	dispatcher *delivery.Dispatcher
	faults     fault.Rules
	handler    http.Handler

	// world is held for reading while a request changes the world and
	// hands its callbacks to delivery, and for writing while changes are
	// taken to be saved or the world is reset: a saved state never holds
	// an accepted action without its callbacks.
	world sync.RWMutex
	// keeper saves every change to --state-file (nil without one).
	keeper *state.Keeper
}

// New loads fixtures and scenarios, and starts callback delivery. Close
// stops it.
func New(opts Options) (*Server, error) {
	opts.setDefaults()
	s := &Server{opts: opts, log: opts.Logger, requests: newRequestJournal(opts.JournalSize), callbacks: delivery.NewLog(opts.JournalSize)}
	switch opts.Clock {
	case "real":
		s.real = clock.NewReal(opts.TimeScale)
		s.clock = s.real
	case "manual":
		s.manual = clock.NewManual()
		s.clock = s.manual
	default:
		return nil, fmt.Errorf("clock %q: must be real or manual", opts.Clock)
	}
	if opts.Auth != "strict" && opts.Auth != "relaxed" {
		return nil, fmt.Errorf("auth %q: must be strict or relaxed", opts.Auth)
	}
	v, err := validate.NewValidator()
	if err != nil {
		return nil, err
	}
	s.validator = v
	name, data := "built-in demo fixtures", fixtures.Demo
	if opts.Fixtures != "" {
		name = opts.Fixtures
		if data, err = os.ReadFile(opts.Fixtures); err != nil {
			return nil, fmt.Errorf("fixtures: %w", err)
		}
	}
	world, err := v.LoadFixtures(name, data)
	if err != nil {
		return nil, fmt.Errorf("fixtures %w", err)
	}
	if len(data) > 1<<20 {
		// Decoding a large fixture leaves garbage several times its size:
		// hand it back now rather than hold it until the scavenger does.
		data = nil
		debug.FreeOSMemory()
	}
	scenarios, err := v.LoadScenarios(opts.Scenarios)
	if err != nil {
		return nil, err
	}
	// Nothing is saved until the saved state, if any, is restored.
	s.world.Lock()
	defer s.world.Unlock()
	var changed func()
	var durable func(context.Context) error
	if opts.StateFile != "" {
		store, err := state.Open(opts.StateFile)
		if err != nil {
			return nil, err
		}
		s.keeper = state.NewKeeper(store, s.changes, s.log)
		changed, durable = s.keeper.Changed, s.keeper.Durable
	}
	registry := domain.NewRegistry(opts.CallbackURL)
	s.dispatcher = delivery.New(delivery.Config{
		Clock: s.clock, Sender: opts.Sender, Log: s.callbacks, Logger: s.log,
		Resolve: func(account string) (delivery.Target, bool) {
			r, ok := registry.Destination(account)
			return delivery.Target{URL: r.URL, Username: r.Username, Password: r.Password}, ok
		},
		Workers: opts.Workers, Queue: opts.QueueSize, Timeout: opts.CallbackTimeout, RetryInterval: opts.RetryInterval,
		MaxPending: opts.MaxPending, Changed: changed, Durable: durable,
	})
	s.sim, err = domain.New(domain.Config{
		Clock: s.clock, Relaxed: opts.Auth == "relaxed", Fixtures: world, Scenarios: scenarios,
		DefaultScenario: opts.DefaultScenario, Registry: registry, Deliver: s.dispatcher.Send, Changed: changed,
	})
	if err != nil {
		s.abandon()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s.handler = s.router(append(s.apiRoutes(), s.controlRoutes()...))
	if s.keeper != nil {
		if err := s.restore(); err != nil {
			s.sim.Close()
			s.abandon()
			return nil, err
		}
	}
	attrs := []any{"fixtures", name, "devices", len(world.Devices), "accounts", len(world.Accounts),
		"scenarios", len(scenarios), "clock", opts.Clock, "auth", opts.Auth}
	if s.real != nil && opts.TimeScale != 1 {
		attrs = append(attrs, "timeScale", opts.TimeScale)
	}
	s.log.Info("loaded", attrs...)
	return s, nil
}

// Handler serves ThingSpace's paths and /_sim/.
func (s *Server) Handler() http.Handler { return s.handler }

// Reset puts the simulator back to its fixtures: devices, tokens, sessions,
// registrations, journals, fault rules and the manual clock. Scheduled steps and retries
// are dropped.
func (s *Server) Reset() {
	s.world.Lock()
	defer s.world.Unlock()
	if s.manual != nil {
		s.manual.Set(clock.Epoch)
	}
	s.sim.Reset()
	s.dispatcher.Reset()
	s.requests.reset()
	s.faults.Clear()
}

// abandon stops what New started, when it fails.
func (s *Server) abandon() {
	_ = s.dispatcher.Close(context.Background())
	if s.keeper != nil {
		_ = s.keeper.Close()
	}
}

// restore loads the state file, if it holds a state.
func (s *Server) restore() error {
	st, err := s.keeper.Load()
	if err != nil || st == nil {
		return err
	}
	if s.manual != nil {
		s.manual.Set(st.Clock)
	} else {
		s.real.Resume(st.Clock)
	}
	s.sim.Restore(&st.Snapshot)
	s.dispatcher.Restore(st.Deliveries)
	s.log.Info("restored", "stateFile", s.opts.StateFile, "devices", len(st.Devices), "actions", len(st.Actions), "callbacks", len(st.Deliveries))
	return nil
}

// changes takes what changed since the last call, for the keeper to save:
// the world first, so that the callbacks of every step it holds are in
// delivery's changes.
func (s *Server) changes() (time.Time, []change.Set) {
	s.world.Lock()
	defer s.world.Unlock()
	return s.clock.Now(), []change.Set{s.sim.Changes(), s.dispatcher.Changes()}
}

// Close stops the domain's scheduled steps and callback delivery, waiting
// for attempts under way until ctx ends, and saves the state file:
// callbacks not delivered by then are kept in it. It closes the
// connections kept to listeners.
func (s *Server) Close(ctx context.Context) error {
	s.sim.Close()
	err := s.dispatcher.Close(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("callback workers still busy: %w", err)
	}
	if c, ok := s.opts.Sender.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
	if s.keeper != nil {
		err = errors.Join(err, s.keeper.Close())
	}
	return err
}
