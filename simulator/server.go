// Package simulator is tssim's server: a stateful fake of ThingSpace's eUICC
// profile API and of the SM-SR behind it, on ThingSpace's own paths and a
// control API under /_sim/. New starts one; its Handler serves it, in a
// program of its own (cmd/tssim) or in a test. Each base URL /w/{name}
// serves a world of its own (worlds.go); the root serves the default one.
//
// Inside, data flows one way: a request is validated into a typed value
// (internal/validate), the domain (internal/domain) turns it into new state
// and the callbacks to send, this package answers and then hands the
// callbacks to delivery (internal/delivery), which records every attempt.
// This package is the only one that knows all of them.
package simulator

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/tssim/tssim/fixtures"
	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/metrics"
	"github.com/tssim/tssim/internal/state"
	"github.com/tssim/tssim/internal/thingspace"
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
	// DurableWait bounds how long a request waits for its changes to be
	// saved while the state file cannot be written (a full disk; default
	// 10 s): past it, the request is answered 503, its changes kept and
	// saved once they can be.
	DurableWait time.Duration
	// Logger gets one line per request and per callback attempt (default:
	// none).
	Logger *slog.Logger

	CallbackTimeout time.Duration
	RetryInterval   time.Duration
	// MaxPending bounds the callbacks not yet delivered, in all worlds
	// together (default 20,000): past it the oldest of the world holding
	// the most is given up on.
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
	// WorldTTL removes a world other than the default one after this long
	// unused (default an hour); MaxWorlds bounds how many there are
	// (default 1,000); WorldJournalSize is JournalSize for each of them
	// (default 1,000).
	WorldTTL         time.Duration
	MaxWorlds        int
	WorldJournalSize int
	// MaxSessions bounds the sessions of one user in one world (default
	// 1,000): past it, the oldest is forgotten.
	MaxSessions int
	// Worlds is WorldsAuto (the default: a request to /w/NAME/ makes the
	// world) or WorldsExplicit (only PUT /_sim/worlds/NAME does). In
	// auto, with an admin token only requests bearing it make worlds;
	// without one, a source address may make MaxWorldsPerSource of them
	// (default 100).
	Worlds             string
	MaxWorldsPerSource int
}

// The ways worlds are made.
const (
	WorldsAuto     = "auto"
	WorldsExplicit = "explicit"
)

// defaults are the options a field left at zero (or below) takes.
var defaults = Options{
	DefaultScenario: "immediate-success", Clock: "real", Auth: "strict", TimeScale: 1,
	CallbackTimeout: 10 * time.Second, RetryInterval: 5 * time.Minute, DurableWait: 10 * time.Second,
	MaxPending: 20_000, Workers: 64, QueueSize: 100_000, MaxBodyBytes: 4 << 20, JournalSize: 10_000,
	WorldTTL: time.Hour, MaxWorlds: 1000, WorldJournalSize: 1000, MaxSessions: domain.DefaultMaxSessions,
	Worlds: WorldsAuto, MaxWorldsPerSource: 100,
}

// Defaults returns the options a field left at zero takes: the defaults of
// cmd/tssim's flags.
func Defaults() Options { return defaults }

// orDefault sets *v to d when it is zero or below.
func orDefault[T cmp.Ordered](v *T, d T) {
	var zero T
	if *v <= zero {
		*v = d
	}
}

func (o *Options) setDefaults() {
	d := defaults
	orDefault(&o.DefaultScenario, d.DefaultScenario)
	orDefault(&o.Clock, d.Clock)
	orDefault(&o.Auth, d.Auth)
	orDefault(&o.TimeScale, d.TimeScale)
	orDefault(&o.CallbackTimeout, d.CallbackTimeout)
	orDefault(&o.RetryInterval, d.RetryInterval)
	orDefault(&o.DurableWait, d.DurableWait)
	orDefault(&o.MaxPending, d.MaxPending)
	orDefault(&o.Workers, d.Workers)
	orDefault(&o.QueueSize, d.QueueSize)
	orDefault(&o.MaxBodyBytes, d.MaxBodyBytes)
	orDefault(&o.JournalSize, d.JournalSize)
	orDefault(&o.WorldTTL, d.WorldTTL)
	orDefault(&o.MaxWorlds, d.MaxWorlds)
	orDefault(&o.WorldJournalSize, d.WorldJournalSize)
	orDefault(&o.MaxSessions, d.MaxSessions)
	orDefault(&o.Worlds, d.Worlds)
	orDefault(&o.MaxWorldsPerSource, d.MaxWorldsPerSource)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Sender == nil {
		o.Sender = delivery.NewHTTPSender(o.Workers)
	}
}

// Server is a running simulator: its worlds, and what they share: the
// schemas, the fixtures and scenarios, the callback workers, the state
// file and the HTTP handler.
type Server struct {
	opts      Options
	log       *slog.Logger
	validator *validate.Validator
	fixtures  *domain.Fixtures
	scenarios map[string]*domain.Scenario
	// kinds are the catalogue's actions, by name.
	kinds  map[string]*domain.Kind
	pool   *delivery.Pool
	router http.Handler
	// exact holds the routes without path variables, by method and path.
	exact map[routeKey]*route
	// metrics count what the edge, delivery and the keeper do.
	metrics *metrics.Metrics
	// keeper saves every change to --state-file (nil without one).
	keeper *state.Keeper
	// now is the wall clock of world expiry.
	now func() time.Time

	// root is the default world.
	root *world
	// mu is held for reading to find a world, for writing to add or
	// remove one and to take the changes to save.
	mu sync.RWMutex
	// worlds are the others, by name. Since the last save, gone were
	// removed and made were made (their records).
	worlds    map[string]*world
	gone      []string
	made      []change.Record
	stopSweep chan struct{}
	swept     chan struct{}

	// dirty are the worlds changed since the last save.
	dirtyMu sync.Mutex
	dirty   map[*world]struct{}
}

// New loads fixtures and scenarios, and starts callback delivery. Close
// stops it.
func New(opts Options) (*Server, error) { return newServer(opts, time.Now) }

// newServer is New with now as the wall clock of world expiry.
func newServer(opts Options, now func() time.Time) (*Server, error) {
	opts.setDefaults()
	h := &Server{opts: opts, log: opts.Logger, now: now, kinds: thingspace.Kinds(), worlds: map[string]*world{}, dirty: map[*world]struct{}{},
		stopSweep: make(chan struct{}), swept: make(chan struct{})}
	if opts.Clock != "real" && opts.Clock != "manual" {
		return nil, fmt.Errorf("clock %q: must be real or manual", opts.Clock)
	}
	if opts.TimeScale < clock.MinScale || opts.TimeScale > clock.MaxScale {
		return nil, fmt.Errorf("time scale %g: must be from %g to %g", opts.TimeScale, clock.MinScale, clock.MaxScale)
	}
	if opts.Worlds != WorldsAuto && opts.Worlds != WorldsExplicit {
		return nil, fmt.Errorf("worlds %q: must be %s or %s", opts.Worlds, WorldsAuto, WorldsExplicit)
	}
	if opts.Auth != "strict" && opts.Auth != "relaxed" {
		return nil, fmt.Errorf("auth %q: must be strict or relaxed", opts.Auth)
	}
	v, err := validate.NewValidator()
	if err != nil {
		return nil, err
	}
	h.validator = v
	name, data := "built-in demo fixtures", fixtures.Demo
	if opts.Fixtures != "" {
		name = opts.Fixtures
		if data, err = os.ReadFile(opts.Fixtures); err != nil {
			return nil, fmt.Errorf("fixtures: %w", err)
		}
	}
	if h.fixtures, err = v.LoadFixtures(name, data); err != nil {
		return nil, fmt.Errorf("fixtures %w", err)
	}
	if len(data) > 1<<20 {
		// Decoding a large fixture leaves garbage several times its size:
		// hand it back now rather than hold it until the scavenger does.
		data = nil
		debug.FreeOSMemory()
	}
	if h.scenarios, err = v.LoadScenarios(opts.Scenarios); err != nil {
		return nil, err
	}
	h.pool = delivery.NewPool(opts.Sender, opts.Workers, opts.QueueSize, opts.CallbackTimeout, opts.MaxPending)
	h.metrics = h.newMetrics()
	// Nothing is saved until the saved state, if any, is restored.
	h.mu.Lock()
	if opts.StateFile != "" {
		store, err := state.Open(opts.StateFile)
		if err != nil {
			h.mu.Unlock()
			h.abandon()
			return nil, err
		}
		h.keeper = state.NewKeeper(store, h.changes, h.log)
		h.keeper.Observe(h.metrics.Commit)
	}
	h.root, err = h.newWorld(worldSpec{Clock: opts.Clock, TimeScale: opts.TimeScale}, h.fixtures)
	if err != nil {
		err = fmt.Errorf("%s: %w", name, err)
	} else if h.keeper != nil {
		err = h.restore()
	}
	h.mu.Unlock()
	if err != nil {
		h.abandon()
		return nil, err
	}
	h.router = h.routes()
	go h.sweepEvery(min(opts.WorldTTL/4, time.Minute))
	go h.compileSchemas()
	attrs := []any{"fixtures", name, "devices", len(h.fixtures.Devices), "accounts", len(h.fixtures.Accounts),
		"scenarios", len(h.scenarios), "clock", opts.Clock, "auth", opts.Auth}
	if opts.Clock == "real" && opts.TimeScale != 1 {
		attrs = append(attrs, "timeScale", opts.TimeScale)
	}
	h.log.Info("loaded", attrs...)
	return h, nil
}

// compileSchemas compiles the schemas of the routes' bodies, which New
// leaves to their first use: this way they compile while the server starts
// listening, and a request waits only for one under way.
func (h *Server) compileSchemas() {
	var names []string
	for _, r := range thingspace.Routes() {
		for _, op := range r.Ops {
			names = append(names, op.Schema)
		}
	}
	for _, rt := range h.controlRoutes() {
		names = append(names, rt.schema)
	}
	names = slices.DeleteFunc(names, func(s string) bool { return s == "" })
	if err := h.validator.Compile(names...); err != nil {
		h.log.Error("schemas", "error", err)
	}
}

// Handler serves ThingSpace's paths and /_sim/, of the default world at
// the root and of world NAME under /w/NAME/.
func (h *Server) Handler() http.Handler { return http.HandlerFunc(h.serveHTTP) }

// Reset puts the default world back to its fixtures: devices, tokens,
// sessions, registrations, journals, fault rules and the manual clock.
// Scheduled steps and retries are dropped.
func (h *Server) Reset() { h.root.reset() }

// abandon stops what New started, when it fails.
func (h *Server) abandon() {
	if h.root != nil {
		h.root.close(context.Background())
	}
	_ = h.pool.Close(context.Background())
	if h.keeper != nil {
		_ = h.keeper.Close()
	}
}

// restore loads the state file: the default world, then the others it
// names; h.mu is held.
func (h *Server) restore() error {
	saved, err := h.keeper.Load()
	if err != nil {
		return err
	}
	root := saved[""]
	if root == nil {
		return nil
	}
	h.root.restore(root)
	for _, raw := range root.Worlds {
		var spec worldSpec
		if err := json.Unmarshal(raw, &spec); err != nil {
			return fmt.Errorf("state file %s: a world's record: %w (remove it to start from the fixtures)", h.opts.StateFile, err)
		}
		w, err := h.createWorld(spec)
		if err != nil {
			return fmt.Errorf("state file %s: world %s: %w (remove it to start from the fixtures)", h.opts.StateFile, spec.Name, err)
		}
		if st := saved[spec.Name]; st != nil {
			w.restore(st)
		}
	}
	return nil
}

// touched notes a change in w, for the keeper to save. It is called under
// w's domain or delivery lock: it takes none but its own.
func (h *Server) touched(w *world) {
	h.dirtyMu.Lock()
	h.dirty[w] = struct{}{}
	h.dirtyMu.Unlock()
	h.keeper.Changed()
}

// changes takes, for the keeper to save, what changed since the last call:
// the worlds removed (first, so that a world made again under the same
// name starts afresh), the records of the worlds made and removed (with
// the default world's changes), and the changes of the worlds touched; the
// work is in proportion to them, not to the number of worlds.
func (h *Server) changes() []state.World {
	h.dirtyMu.Lock()
	dirty := h.dirty
	h.dirty = map[*world]struct{}{}
	h.dirtyMu.Unlock()
	h.mu.Lock()
	gone, made := h.gone, h.made
	h.gone, h.made = nil, nil
	live := make([]*world, 0, len(dirty))
	for w := range dirty {
		if w != h.root && h.worlds[w.spec.Name] == w {
			live = append(live, w)
		}
	}
	h.mu.Unlock()

	out := make([]state.World, 0, len(gone)+len(live)+1)
	records := make([]change.Record, 0, len(gone)+len(made))
	for _, name := range gone {
		out = append(out, state.World{Name: name, Gone: true})
		records = append(records, change.Removed(state.KindWorld, name))
	}
	root := h.root.changes()
	root.Sets = append(root.Sets, change.Set{Records: append(records, made...)})
	out = append(out, root)
	for _, w := range live {
		out = append(out, w.changes())
	}
	return out
}

// Close stops the worlds' scheduled steps and callback delivery, waiting
// for attempts under way until ctx ends, and saves the state file:
// callbacks not delivered by then are kept in it. It closes the
// connections kept to listeners.
func (h *Server) Close(ctx context.Context) error {
	close(h.stopSweep)
	<-h.swept
	var err error
	for _, w := range h.allWorlds() {
		err = errors.Join(err, w.close(ctx))
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("callback workers still busy: %w", err)
	}
	err = errors.Join(err, h.pool.Close(ctx))
	if c, ok := h.opts.Sender.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
	if h.keeper != nil {
		err = errors.Join(err, h.keeper.Close())
	}
	return err
}
