package delivery

import (
	"slices"
	"time"
)

// The attempts waiting on the clock (a retry, or a restored callback not
// due yet) wait in one queue per dispatcher, earliest first, under one
// timer for the earliest: a callback waiting for its retry costs an entry,
// not a timer of its own, and giving up on it takes it out at once.

// waiting holds jobs in order of their due time, earliest first, from
// head on. A retry is due a retry interval after its attempt, so it
// nearly always goes last, and the callback given up on, the oldest, is
// nearly always the first: both cost O(1). A job due earlier than the last
// (a restored one) is put in its place.
type waiting struct {
	q    []*job
	head int
}

func (w *waiting) len() int { return len(w.q) - w.head }

// first is the earliest job; w is not empty.
func (w *waiting) first() *job { return w.q[w.head] }

func (w *waiting) push(j *job) {
	if w.len() == 0 || !j.due.Before(w.q[len(w.q)-1].due) {
		w.q = append(w.q, j)
		return
	}
	i, _ := slices.BinarySearchFunc(w.q[w.head:], j.due, func(e *job, due time.Time) int {
		if e.due.After(due) {
			return 1
		}
		return -1
	})
	w.q = slices.Insert(w.q, w.head+i, j)
}

// popFirst takes the earliest job out; w is not empty.
func (w *waiting) popFirst() *job {
	j := w.q[w.head]
	w.q[w.head] = nil
	w.head++
	if w.head == len(w.q) || (w.head >= 1024 && 2*w.head > len(w.q)) {
		n := copy(w.q, w.q[w.head:])
		clear(w.q[n:])
		w.q, w.head = w.q[:n], 0
	}
	return j
}

// remove takes j out, if it is there.
func (w *waiting) remove(j *job) {
	if w.len() == 0 {
		return
	}
	if w.first() == j {
		w.popFirst()
		return
	}
	from, _ := slices.BinarySearchFunc(w.q[w.head:], j.due, func(e *job, due time.Time) int {
		if e.due.Before(due) {
			return -1
		}
		return 1
	})
	for i := w.head + from; i < len(w.q) && w.q[i].due.Equal(j.due); i++ {
		if w.q[i] != j {
			continue
		}
		// The callbacks given up on are the oldest, near the front: the
		// jobs before j move up one, not the many after it down.
		if i-w.head < len(w.q)-i {
			copy(w.q[w.head+1:i+1], w.q[w.head:i])
			w.popFirst()
		} else {
			w.q = slices.Delete(w.q, i, i+1)
		}
		return
	}
}

// wait queues j once its due time has come on the clock, unless it is
// given up on meanwhile.
func (d *Dispatcher) wait(j *job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.waiting.push(j)
	d.arm()
}

// arm sets the alarm for the earliest waiting job; d.mu is held.
func (d *Dispatcher) arm() {
	if d.waiting.len() > 0 {
		d.alarm.Set(d.waiting.first().due)
	}
}

// due queues the earliest waiting job when its time has come, and sets
// the timer for the next: one job a call, so that on a manual clock each
// attempt is made, and awaited, before the next is queued, as when each
// had a timer of its own.
func (d *Dispatcher) due() {
	d.mu.Lock()
	d.alarm.Rang()
	var j *job
	if d.waiting.len() > 0 && !d.waiting.first().due.After(d.cfg.Clock.Now()) {
		j = d.waiting.popFirst()
	}
	d.arm()
	d.mu.Unlock()
	if j != nil {
		d.enqueue(j)
	}
}

// resetWaiting drops every waiting job and the alarm; d.mu is held.
func (d *Dispatcher) resetWaiting() {
	d.waiting = waiting{}
	d.alarm.Clear()
}
