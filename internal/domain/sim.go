// Package domain is the simulated ThingSpace and SM-SR: devices and their
// profiles, accounts, OAuth tokens, sessions, callback registrations, the
// SM-SR's rules and the scenarios that script its answers. It knows nothing
// of HTTP nor of delivery: operations return values, or a *tserr.Error
// carrying ThingSpace's code, and the callbacks a profile action produces
// are data.
//
// The files follow the jobs: auth.go (tokens, sessions, lockouts),
// registrations.go (callback listeners), devices.go, actions.go (profile
// actions and scenario stepping), requests.go (what each request came
// to), list.go (the device lists), smsr.go (SGP.02's rules), scenario.go,
// snapshot.go (what a state file keeps).
package domain

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/wire"
)

// Sim is the simulated world. Its methods are safe for concurrent use.
type Sim struct {
	clock           clock.Clock
	timers          *clock.Timers
	relaxed         bool
	fixtures        *Fixtures
	scenarios       map[string]*Scenario
	defaultScenario string
	registry        *Registry
	deliver         func(wire.Callback)
	kinds           map[string]*Kind
	maxRequests     int

	mu sync.Mutex
	// gen counts resets: a step scheduled before one does nothing.
	gen uint64
	// devices are the world's own devices: those changed or added since
	// the fixtures (mutable copies a fixture device first). The others
	// are the fixtures', shared by every world: device finds either.
	devices map[string]*Device
	// ids finds the world's own devices by IMEI, MDN or ICCID (byid.go).
	ids      *idIndex
	accounts map[string]*Account
	users    map[string]*userState
	// strangers counts the failed logins of names that are no user's.
	strangers map[string]int
	clients   map[string]string
	tokens    map[string]*accessToken
	byClient  map[string]*accessToken
	sessions  map[string]*session
	// byUser has each user's session tokens, oldest first (and some
	// forgotten since, dropped when the list is next cut).
	byUser      map[string][]string
	maxSessions int
	// sweepAt is the number of sessions and tokens that triggers the next
	// sweep of the expired ones.
	sweepAt int
	// actions are those with steps still to run, by key.
	actions map[string]*deviceAction
	// requests are the last maxRequests requests, for their status
	// (requests.go).
	requests requestLog
	// nextNumber is the Number of the next device added.
	nextNumber int64
	// track remembers the records changed, for whoever saves them.
	track change.Tracker
	// lastIDs, lastResponse and refused are the last device identifiers,
	// profile response and refusal made, which actions and callbacks that
	// say the same share (actions.go).
	lastIDs      []wire.DeviceID
	lastResponse *wire.DeviceResponse
	refused      *Scenario
	// waiting holds the steps due later, under alarm (steps.go).
	waiting steps
	alarm   clock.Alarm
}

// Config is what a Sim starts from.
type Config struct {
	Clock           clock.Clock
	Relaxed         bool
	Fixtures        *Fixtures
	Scenarios       map[string]*Scenario
	DefaultScenario string
	// Registry keeps the callback registrations, for delivery to read.
	Registry *Registry
	// Kinds are the actions a state file may name, by name.
	Kinds map[string]*Kind
	// MaxSessions bounds the sessions of one user (default 1,000): past
	// it, the oldest is forgotten.
	MaxSessions int
	// Requests is how many requests the world remembers the status of,
	// the oldest forgotten first (0: DefaultRequests).
	Requests int
	// Deliver takes the callbacks of the steps that run later than their
	// request, on the clock. It is called under the Sim's lock, so that a
	// snapshot never holds a step run without its callbacks: it must not
	// block nor call back into the Sim.
	Deliver func(wire.Callback)
	// Changed, when set, is called at every change of state, under the
	// Sim's lock (it must not block); Changes then says what changed.
	Changed func()
}

// DefaultMaxSessions is Config.MaxSessions unless set.
const DefaultMaxSessions = 1000

// New builds the world from cfg.Fixtures.
func New(cfg Config) (*Sim, error) {
	if _, ok := cfg.Scenarios[cfg.DefaultScenario]; !ok {
		return nil, fmt.Errorf("default scenario %q: no such scenario (known: %v)", cfg.DefaultScenario, slices.Sorted(maps.Keys(cfg.Scenarios)))
	}
	s := &Sim{
		clock: cfg.Clock, timers: clock.NewTimers(cfg.Clock), relaxed: cfg.Relaxed, fixtures: cfg.Fixtures,
		scenarios: cfg.Scenarios, defaultScenario: cfg.DefaultScenario, registry: cfg.Registry, deliver: cfg.Deliver, kinds: cfg.Kinds,
		maxSessions: cmp.Or(cfg.MaxSessions, DefaultMaxSessions), maxRequests: cmp.Or(cfg.Requests, DefaultRequests),
	}
	s.alarm = clock.NewAlarm(s.timers, s.stepDue)
	cfg.Fixtures.number()
	// Indexed before the world serves, not in its first request: 50 ms
	// for 400,000 devices.
	cfg.Fixtures.index()
	if err := s.checkScenarioNames(); err != nil {
		return nil, err
	}
	s.Reset()
	if cfg.Changed != nil {
		s.track.Track(cfg.Changed)
	}
	return s, nil
}

func (s *Sim) checkScenarioNames() error {
	for _, a := range s.fixtures.Accounts {
		if _, ok := s.scenarios[a.Scenario]; a.Scenario != "" && !ok {
			return fmt.Errorf("account %s: unknown scenario %q", a.Name, a.Scenario)
		}
	}
	for _, d := range s.fixtures.Devices {
		if _, ok := s.scenarios[d.Scenario]; d.Scenario != "" && !ok {
			return fmt.Errorf("device %s: unknown scenario %q", d.EID, d.Scenario)
		}
	}
	return nil
}

// Reset puts the world back to the fixtures: devices, accounts, users,
// tokens, sessions, registrations and requests. Steps still scheduled
// from before do nothing when they fall due.
func (s *Sim) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.dropSteps()
	f := s.fixtures
	s.devices = map[string]*Device{}
	s.ids = nil
	s.accounts = map[string]*Account{}
	for _, a := range f.Accounts {
		s.accounts[a.Name] = &a
	}
	s.users = map[string]*userState{}
	s.strangers = map[string]int{}
	for _, u := range f.Users {
		us := &userState{User: u, accounts: map[string]bool{}}
		for _, a := range u.Accounts {
			us.accounts[a] = true
		}
		s.users[u.Username] = us
	}
	s.clients = map[string]string{}
	for _, c := range f.Clients {
		s.clients[c.AppKey] = c.AppSecret
	}
	s.tokens = map[string]*accessToken{}
	s.byClient = map[string]*accessToken{}
	s.sessions = map[string]*session{}
	s.byUser = map[string][]string{}
	s.sweepAt = minSweep
	s.registry.reset()
	s.actions = map[string]*deviceAction{}
	s.requests = requestLog{byID: map[string]*requestState{}}
	s.nextNumber = int64(len(f.Devices)) + 1
	s.track.MarkReset()
}

// Close stops the steps scheduled on the clock and waits for those
// running: after Close, nothing changes the world by itself.
func (s *Sim) Close() { s.timers.Stop() }

// mutable returns the device to change, copied from the fixtures first,
// and marks it changed; s.mu is held.
func (s *Sim) mutable(eid string) *Device {
	s.track.Mark(KindDevice, eid)
	if d := s.devices[eid]; d != nil {
		s.touch(eid)
		return d
	}
	d := s.fixtures.device(eid)
	if d != nil {
		d = d.clone()
		s.devices[eid] = d
		s.touch(eid)
	}
	return d
}

// device returns the device with that EID, the world's own or the
// fixtures', or nil; s.mu is held. It must not be changed: see mutable.
func (s *Sim) device(eid string) *Device {
	if d := s.devices[eid]; d != nil {
		return d
	}
	return s.fixtures.device(eid)
}
