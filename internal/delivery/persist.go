package delivery

import (
	"slices"
	"time"

	"github.com/tssim/tssim/internal/wire"
)

// The callbacks not yet delivered, as a state file keeps them.

// Pending is a callback still to be delivered: its next attempt
// (CallbackCount) is due at Due.
type Pending struct {
	Account       string               `json:"account"`
	EID           string               `json:"eid"`
	Step          int                  `json:"step"`
	Message       wire.CallbackMessage `json:"message"`
	CallbackCount int                  `json:"callbackCount"`
	Due           time.Time            `json:"due"`
}

// Changes counts changes of the pending callbacks, for whoever saves them.
func (d *Dispatcher) Changes() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changes
}

// Pending returns the callbacks still to be delivered, soonest first.
func (d *Dispatcher) Pending() []Pending {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Pending, 0, len(d.pending))
	for _, j := range d.pending {
		out = append(out, Pending{Account: j.cb.Account, EID: j.cb.EID, Step: j.cb.Step, Message: j.cb.Message,
			CallbackCount: j.count, Due: j.due})
	}
	slices.SortFunc(out, func(a, b Pending) int { return a.Due.Compare(b.Due) })
	return out
}

// Restore schedules callbacks saved by Pending.
func (d *Dispatcher) Restore(ps []Pending) {
	for _, p := range ps {
		d.schedule(wire.Callback{Account: p.Account, EID: p.EID, Step: p.Step, Message: p.Message}, p.CallbackCount, p.Due)
	}
}
