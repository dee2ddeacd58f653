// Package simulator is tssim's server: a stateful fake of ThingSpace's eUICC
// profile API and of the SM-SR behind it.
//
// The domain (Sim: devices, profiles, tokens, sessions, listeners, the SM-SR
// rules and the scenario interpreter) knows nothing of HTTP; Server puts it
// on ThingSpace's paths and a control API under /_sim/, and a Dispatcher
// delivers the callbacks scenarios produce.
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
	"sync"
	"time"
)

// DemoFixtures is the built-in world: the seed page's account, SM-SR and
// device, and enough more devices and accounts to exercise every rule.
//
//go:embed demo-fixtures.json
var DemoFixtures []byte

// Options configure a Server. The zero value of each field means its
// default, as documented on the flag of the same name of cmd/tssim.
type Options struct {
	// Fixtures is a JSON fixtures file; "" loads DemoFixtures.
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
	// StateFile keeps the state across restarts: read at start when it
	// exists, written every second while the state changes and at Close.
	StateFile string
	Logger    *slog.Logger

	// Delivery tuning.
	Workers         int
	QueueSize       int
	CallbackTimeout time.Duration
	RetryInterval   time.Duration
	// Sender replaces HTTP delivery of callbacks (tests).
	Sender Sender

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
		o.Sender = NewHTTPSender(o.Workers)
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 4 << 20
	}
	if o.JournalSize <= 0 {
		o.JournalSize = 100_000
	}
}

// Server is a running simulator: the domain, its journals, the callback
// dispatcher and the HTTP handler over them.
type Server struct {
	opts       Options
	log        *slog.Logger
	clock      Clock
	manual     *ManualClock
	validator  *Validator
	sim        *Sim
	journal    *Journal
	dispatcher *Dispatcher
	handler    http.Handler

	saveMu    sync.Mutex
	saved     [2]uint64
	stopSaver chan struct{}
	saverDone chan struct{}
}

// New loads fixtures and scenarios, and starts the callback workers. Close
// stops them.
func New(opts Options) (*Server, error) {
	opts.setDefaults()
	s := &Server{opts: opts, log: opts.Logger, journal: NewJournal(opts.JournalSize)}
	switch opts.Clock {
	case "real":
		s.clock = NewRealClock(opts.TimeScale)
	case "manual":
		s.manual = NewManualClock()
		s.clock = s.manual
	default:
		return nil, fmt.Errorf("clock %q: must be real or manual", opts.Clock)
	}
	if opts.Auth != "strict" && opts.Auth != "relaxed" {
		return nil, fmt.Errorf("auth %q: must be strict or relaxed", opts.Auth)
	}
	v, err := NewValidator()
	if err != nil {
		return nil, err
	}
	s.validator = v
	name, data := "built-in demo fixtures", DemoFixtures
	if opts.Fixtures != "" {
		name = opts.Fixtures
		if data, err = os.ReadFile(opts.Fixtures); err != nil {
			return nil, fmt.Errorf("fixtures: %w", err)
		}
	}
	fixtures, err := v.LoadFixtures(name, data)
	if err != nil {
		return nil, fmt.Errorf("fixtures %w", err)
	}
	scenarios, err := v.LoadScenarios(opts.Scenarios)
	if err != nil {
		return nil, err
	}
	s.sim, err = NewSim(SimConfig{
		Clock: s.clock, Relaxed: opts.Auth == "relaxed", Fixtures: fixtures, Scenarios: scenarios,
		DefaultScenario: opts.DefaultScenario, FallbackURL: opts.CallbackURL,
		Emit: func(c Callback) { s.dispatcher.Send(c) },
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s.dispatcher = NewDispatcher(DispatcherConfig{
		Clock: s.clock, Sender: opts.Sender, Journal: s.journal, Log: s.log,
		Resolve: s.sim.ListenerFor, Stale: s.sim.Stale,
		Workers: opts.Workers, Queue: opts.QueueSize, Timeout: opts.CallbackTimeout, RetryInterval: opts.RetryInterval,
	})
	s.handler = s.router(append(s.apiRoutes(), s.controlRoutes()...))
	if opts.StateFile != "" {
		if err := s.restore(); err != nil {
			_ = s.dispatcher.Close(context.Background())
			return nil, err
		}
		s.stopSaver, s.saverDone = make(chan struct{}), make(chan struct{})
		go s.saveEvery(time.Second)
	}
	s.log.Info("loaded", "fixtures", name, "devices", len(fixtures.Devices), "accounts", len(fixtures.Accounts),
		"scenarios", len(scenarios), "clock", opts.Clock, "auth", opts.Auth)
	return s, nil
}

// Handler serves ThingSpace's paths and /_sim/.
func (s *Server) Handler() http.Handler { return s.handler }

// ManualClock returns the manual clock, or nil when the clock is real.
func (s *Server) ManualClock() *ManualClock { return s.manual }

// Reset puts the simulator back to its fixtures: devices, tokens, sessions,
// listeners, journals and the manual clock. Scheduled steps and retries are
// dropped.
func (s *Server) Reset() {
	if s.manual != nil {
		s.manual.Set(ManualEpoch)
	}
	s.sim.Reset()
	s.dispatcher.DropStale(s.sim.Generation())
	s.journal.Reset()
}

// restore loads the state file, if there is one.
func (s *Server) restore() error {
	st, err := readState(s.opts.StateFile)
	if err != nil || st == nil {
		return err
	}
	if s.manual != nil {
		s.manual.Set(st.Clock)
	}
	gen := s.sim.Restore(st)
	s.dispatcher.Restore(st.Deliveries, gen)
	s.log.Info("restored", "stateFile", s.opts.StateFile, "devices", len(st.Devices), "actions", len(st.Actions), "callbacks", len(st.Deliveries))
	return nil
}

// Save writes the state file now, if the state changed since the last save.
func (s *Server) Save() error {
	if s.opts.StateFile == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	now := [2]uint64{s.sim.Changes(), s.dispatcher.Changes()}
	if now == s.saved {
		return nil
	}
	st := s.sim.Snapshot(func(st *State) { st.Deliveries = s.dispatcher.Pending() })
	if err := writeState(s.opts.StateFile, st); err != nil {
		return fmt.Errorf("state file %s: %w", s.opts.StateFile, err)
	}
	s.saved = now
	return nil
}

func (s *Server) saveEvery(d time.Duration) {
	defer close(s.saverDone)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := s.Save(); err != nil {
				s.log.Error("saving state", "error", err)
			}
		case <-s.stopSaver:
			return
		}
	}
}

// Close stops callback delivery, waiting for attempts under way until ctx
// ends, and saves the state file: callbacks not delivered by then are kept
// in it. It closes the connections kept to listeners.
func (s *Server) Close(ctx context.Context) error {
	if s.stopSaver != nil {
		close(s.stopSaver)
		<-s.saverDone
	}
	err := s.dispatcher.Close(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("callback workers still busy: %w", err)
	}
	if c, ok := s.opts.Sender.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
	return errors.Join(err, s.Save())
}
