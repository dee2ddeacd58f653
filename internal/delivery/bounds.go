package delivery

import "time"

// What bounds the memory of callbacks a listener does not take:
// Config.MaxPending, and the counts that say what became of them.

// Stats count callbacks by what became of them.
type Stats struct {
	Pending   int    `json:"pending"`
	Delivered uint64 `json:"delivered"`
	Failed    uint64 `json:"failed"`
	GivenUp   uint64 `json:"givenUp"`
	// QueueFull counts the attempts that found every worker busy and the
	// queue full: each was retried like a failed one.
	QueueFull uint64 `json:"queueFull"`
}

// oldest takes the oldest pending callback out of the pending ones, with
// its retry timer; d.mu is held.
func (d *Dispatcher) oldest() *job {
	for len(d.order) > 0 {
		id := d.order[0]
		d.order = d.order[1:]
		if j, ok := d.pending[id]; ok {
			delete(d.pending, id)
			d.track.Mark(KindPending, pendingKey(id))
			if cancel, ok := d.retries[id]; ok {
				cancel()
				delete(d.retries, id)
			}
			return j
		}
	}
	return nil
}

// compactOrder drops the ids of concluded callbacks from order once they
// outnumber the pending ones; d.mu is held.
func (d *Dispatcher) compactOrder() {
	if len(d.order) <= 2*len(d.pending)+1024 {
		return
	}
	kept := make([]uint64, 0, 2*len(d.pending))
	for _, id := range d.order {
		if _, ok := d.pending[id]; ok {
			kept = append(kept, id)
		}
	}
	d.order = kept
}

// giveUp records a callback given up on, and says so in a log line at most
// every 10 seconds, with the count since the last.
func (d *Dispatcher) giveUp(j *job) {
	d.cfg.Log.gaveUp(j.rec)
	d.mu.Lock()
	d.stats.GivenUp++
	d.unlogged++
	n := d.unlogged
	due := time.Since(d.loggedAt) >= 10*time.Second
	if due {
		d.unlogged, d.loggedAt = 0, time.Now()
	}
	d.mu.Unlock()
	if due {
		d.cfg.Logger.Warn("callbacks given up on: more than --max-pending waited for delivery",
			"givenUp", n, "maxPending", d.cfg.MaxPending)
	}
}

// Stats returns the counts of callbacks so far.
func (d *Dispatcher) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.stats
	st.Pending = len(d.pending)
	return st
}
