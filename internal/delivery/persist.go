package delivery

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/wire"
)

// The callbacks not yet delivered, as a state file keeps them.

// KindPending is the kind of record of a callback not yet delivered.
const KindPending = "deliveries"

// Pending is a callback still to be delivered: its next attempt
// (CallbackCount) is due at Due.
type Pending struct {
	ID            uint64               `json:"id"`
	Account       string               `json:"account"`
	Service       string               `json:"service"`
	EID           string               `json:"eid"`
	Step          int                  `json:"step"`
	Message       wire.CallbackMessage `json:"message"`
	CallbackCount int                  `json:"callbackCount"`
	Due           time.Time            `json:"due"`
}

// pendingKey names a pending callback in a state file; keys sort as the
// callbacks were made.
func pendingKey(id uint64) string { return fmt.Sprintf("%016x", id) }

// markPending notes that a pending callback changed, when a state file
// keeps them; d.mu is held.
func (d *Dispatcher) markPending(id uint64) {
	if d.cfg.Changed != nil {
		d.track.Mark(KindPending, pendingKey(id))
	}
}

// Changes returns the pending callbacks made, retried or concluded since
// the last call.
func (d *Dispatcher) Changes() change.Set {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.track.Take(func(_, key string) (any, bool) {
		id, _ := strconv.ParseUint(key, 16, 64)
		j := d.pending[id]
		if j == nil {
			return nil, false
		}
		return Pending{ID: j.id, Account: j.rec.account, Service: j.rec.service, EID: j.rec.eid, Step: int(j.rec.step), Message: d.cfg.Log.message(j.rec),
			CallbackCount: j.count, Due: j.due}, true
	})
}

// Restore schedules the callbacks of a state file, oldest first, under
// their own ids.
func (d *Dispatcher) Restore(ps []Pending) {
	for _, p := range ps {
		if p.Service == "" { // saved before callbacks named their service
			p.Service = wire.ServiceDeviceProfile
		}
		d.schedule(&wire.Callback{Account: p.Account, Service: p.Service, EID: p.EID, Step: p.Step, Message: p.Message}, p.ID, p.CallbackCount, p.Due)
	}
}
