package delivery

// What bounds the memory of callbacks listeners do not take: the pool's
// maxPending, over all its dispatchers, and the counts that say what became
// of them.

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

// oldest takes the oldest pending callback out of the pending ones, and
// out of the waiting ones; d.mu is held.
func (d *Dispatcher) oldest() *job {
	for len(d.order) > 0 {
		id := d.order[0]
		d.order = d.order[1:]
		if j, ok := d.pending[id]; ok {
			delete(d.pending, id)
			d.counted(-1)
			d.markPending(id)
			d.waiting.remove(j)
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
	if d.cfg.Observer != nil {
		d.cfg.Observer.Concluded(j.rec.service, StateGivenUp, Attempt{})
	}
	d.cfg.Log.gaveUp(j.rec)
	d.mu.Lock()
	d.stats.GivenUp++
	n, due := d.givenUp.note()
	d.mu.Unlock()
	if due {
		d.cfg.Logger.Warn("callbacks given up on: more than --max-pending waited for delivery",
			"givenUp", n, "maxPending", d.cfg.Pool.maxPending)
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

// counted adds n to the callbacks d holds, and to the pool's while d is in
// it; d.mu is held.
func (d *Dispatcher) counted(n int) {
	d.count.Add(int64(n))
	if !d.left {
		d.cfg.Pool.total.Add(int64(n))
	}
}

// giveUpOldest gives up on d's oldest pending callback.
func (d *Dispatcher) giveUpOldest() {
	d.mu.Lock()
	j := d.oldest()
	d.mu.Unlock()
	if j != nil {
		d.giveUp(j)
	}
}

// Pending is how many callbacks wait for delivery in all the pool's
// dispatchers.
func (p *Pool) Pending() int { return int(p.total.Load()) }

func (p *Pool) join(d *Dispatcher) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.members[d] = struct{}{}
}

// leave takes a closed dispatcher out, with its callbacks: they are freed
// with it, or kept in a state file.
func (p *Pool) leave(d *Dispatcher) {
	p.mu.Lock()
	delete(p.members, d)
	p.mu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.left = true
	p.total.Add(-d.count.Load())
}

// over returns, when more than maxPending callbacks wait in all, the
// dispatcher that holds the most: a world whose listener is down gives up
// on its own callbacks, not on the other worlds'.
func (p *Pool) over() *Dispatcher {
	if p.maxPending <= 0 || p.total.Load() <= int64(p.maxPending) {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var most *Dispatcher
	for d := range p.members {
		if most == nil || d.count.Load() > most.count.Load() {
			most = d
		}
	}
	return most
}
