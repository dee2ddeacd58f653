package delivery

import (
	"container/heap"
	"time"
)

// The attempts waiting on the clock (a retry, or a restored callback not
// due yet) wait in one queue per dispatcher, earliest first, under one
// timer for the earliest: a callback waiting for its retry costs an entry,
// not a timer of its own, and giving up on it takes it out at once.

// waiting is a min-heap of jobs by due time, then by id; each job knows
// its index in it.
type waiting []*job

func (w waiting) Len() int { return len(w) }
func (w waiting) Less(i, j int) bool {
	if !w[i].due.Equal(w[j].due) {
		return w[i].due.Before(w[j].due)
	}
	return w[i].id < w[j].id
}
func (w waiting) Swap(i, j int) {
	w[i], w[j] = w[j], w[i]
	w[i].index, w[j].index = i, j
}
func (w *waiting) Push(x any) {
	j := x.(*job)
	j.index = len(*w)
	*w = append(*w, j)
}
func (w *waiting) Pop() any {
	old := *w
	j := old[len(old)-1]
	old[len(old)-1] = nil
	j.index = -1
	*w = old[:len(old)-1]
	return j
}

// wait queues j once its due time has come on the clock, unless it is
// given up on meanwhile.
func (d *Dispatcher) wait(j *job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	heap.Push(&d.waiting, j)
	d.arm()
}

// unwait takes j out of the waiting ones, if it is there; d.mu is held.
func (d *Dispatcher) unwait(j *job) {
	if j.index >= 0 && j.index < len(d.waiting) && d.waiting[j.index] == j {
		heap.Remove(&d.waiting, j.index)
	}
}

// arm sets the timer for the earliest waiting job, unless it is set for
// it already; d.mu is held.
func (d *Dispatcher) arm() {
	if len(d.waiting) == 0 {
		return
	}
	due := d.waiting[0].due
	if d.disarm != nil && !due.Before(d.armedFor) {
		return
	}
	if d.disarm != nil {
		d.disarm()
	}
	d.armedFor = due
	d.disarm = d.timers.AfterFunc(due.Sub(d.cfg.Clock.Now()), d.due)
}

// due queues the earliest waiting job when its time has come, and sets
// the timer for the next: one job a call, so that on a manual clock each
// attempt is made, and awaited, before the next is queued, as when each
// had a timer of its own.
func (d *Dispatcher) due() {
	d.mu.Lock()
	d.disarm = nil
	var j *job
	if len(d.waiting) > 0 && !d.waiting[0].due.After(d.cfg.Clock.Now()) {
		j = heap.Pop(&d.waiting).(*job)
	}
	d.arm()
	d.mu.Unlock()
	if j != nil {
		d.enqueue(j)
	}
}

// resetWaiting drops every waiting job and the timer; d.mu is held.
func (d *Dispatcher) resetWaiting() {
	for _, j := range d.waiting {
		j.index = -1
	}
	d.waiting = nil
	if d.disarm != nil {
		d.disarm()
		d.disarm = nil
	}
	d.armedFor = time.Time{}
}
