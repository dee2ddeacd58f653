package fault

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/tssim/tssim/internal/thingspace"
	"github.com/tssim/tssim/internal/tserr"
)

// Rule is a fault for the requests it matches: by route (one of
// thingspace.FaultNames(); "" is "*"), account and device, each "" for any. Times bounds how often
// it fires (0: always); Rate is the share of matching requests it fires on
// (0: all), drawn from Seed, so that a run is reproducible.
type Rule struct {
	ID      int     `json:"id"`
	Route   string  `json:"route,omitempty"`
	Account string  `json:"account,omitempty"`
	EID     string  `json:"eid,omitempty"`
	Times   int     `json:"times,omitempty"`
	Rate    float64 `json:"rate,omitempty"`
	Seed    uint64  `json:"seed,omitempty"`
	Fault
	// Matched counts the requests the rule matched; Fired, those it
	// faulted.
	Matched int `json:"matched"`
	Fired   int `json:"fired"`
}

// Request is what a rule matches: the route's name, and the account and
// devices the request names (when it names any).
type Request struct {
	Route   string
	Account string
	EIDs    []string
}

// Rules are the fault rules in force. The zero value has none.
type Rules struct {
	mu    sync.Mutex
	next  int
	rules []*rule
}

type rule struct {
	Rule
	rng *rand.Rand
}

// MaxRules bounds the rules in force in one world.
const MaxRules = 1000

// Add puts a rule in force, after those already there, and returns it with
// its id. It refuses a route the catalogue does not name (a 400 naming
// /route and the names it knows), and a rule beyond MaxRules (a 409).
func (rs *Rules) Add(r Rule) (Rule, error) {
	if r.Route == "*" {
		r.Route = ""
	}
	if known := thingspace.FaultNames(); r.Route != "" && !slices.Contains(known, r.Route) {
		v := tserr.Violation{Pointer: "/route", Code: tserr.CodeSimBadFault,
			Message: fmt.Sprintf("%q is not a route (known: %s)", r.Route, strings.Join(known, ", "))}
		return Rule{}, &tserr.Error{Status: 400, Kind: tserr.KindAPI, Code: v.Code, Message: v.String(), Violations: []tserr.Violation{v}}
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.rules) >= MaxRules {
		return Rule{}, tserr.New(409, tserr.CodeSimFaultLimit, "%d fault rules are in force, the limit: clear some with DELETE /_sim/faults/{id} or DELETE /_sim/faults", MaxRules)
	}
	rs.next++
	r.ID, r.Matched, r.Fired = rs.next, 0, 0
	rs.rules = append(rs.rules, &rule{Rule: r, rng: rand.New(rand.NewPCG(r.Seed, r.Seed))})
	return r, nil
}

// List returns the rules in force, with their counts.
func (rs *Rules) List() []Rule {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make([]Rule, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = r.Rule
	}
	return out
}

// Remove takes rule id out of force; it reports false when there was none.
func (rs *Rules) Remove(id int) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	n := len(rs.rules)
	rs.rules = slices.DeleteFunc(rs.rules, func(r *rule) bool { return r.ID == id })
	return len(rs.rules) < n
}

// Clear takes every rule out of force.
func (rs *Rules) Clear() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.rules = nil
}

// NeedsNames reports whether a rule matches by account or device, so that
// the caller must find them in the request.
func (rs *Rules) NeedsNames() bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return slices.ContainsFunc(rs.rules, func(r *rule) bool { return r.Account != "" || r.EID != "" })
}

// Match returns the fault of the first rule, in the order they were added,
// that matches req and fires, with its id.
func (rs *Rules) Match(req Request) (Fault, int, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, r := range rs.rules {
		if !r.matches(req) {
			continue
		}
		r.Matched++
		if r.Times > 0 && r.Fired >= r.Times {
			continue
		}
		if r.Rate > 0 && r.rng.Float64() >= r.Rate {
			continue
		}
		r.Fired++
		return r.Fault, r.ID, true
	}
	return Fault{}, 0, false
}

func (r *rule) matches(req Request) bool {
	return (r.Route == "" || r.Route == req.Route) &&
		(r.Account == "" || r.Account == req.Account) &&
		(r.EID == "" || slices.Contains(req.EIDs, r.EID))
}
