package domain

import (
	"time"

	"github.com/tssim/tssim/internal/wire"
)

// The steps of actions due later than at once wait in one queue per world,
// earliest first (in the order they were scheduled when due together),
// under one alarm for the earliest: a step waiting costs an entry, where a
// timer, its closures and an entry in the timers' map each cost an
// allocation or more, for every device of every request.

type laterStep struct {
	at  time.Time
	seq uint64
	a   *deviceAction
	i   int
}

// steps is a binary heap of laterSteps.
type steps struct {
	h   []laterStep
	seq uint64
}

func (q *steps) less(i, j int) bool {
	if q.h[i].at.Equal(q.h[j].at) {
		return q.h[i].seq < q.h[j].seq
	}
	return q.h[i].at.Before(q.h[j].at)
}

func (q *steps) push(a *deviceAction, i int, at time.Time) {
	q.seq++
	q.h = append(q.h, laterStep{at: at, seq: q.seq, a: a, i: i})
	for j := len(q.h) - 1; j > 0; {
		parent := (j - 1) / 2
		if !q.less(j, parent) {
			break
		}
		q.h[j], q.h[parent] = q.h[parent], q.h[j]
		j = parent
	}
}

// pop takes the earliest step out; q is not empty.
func (q *steps) pop() laterStep {
	first, n := q.h[0], len(q.h)-1
	q.h[0] = q.h[n]
	q.h[n] = laterStep{}
	q.h = q.h[:n]
	for j := 0; ; {
		least := j
		for _, c := range [2]int{2*j + 1, 2*j + 2} {
			if c < n && q.less(c, least) {
				least = c
			}
		}
		if least == j {
			return first
		}
		q.h[j], q.h[least] = q.h[least], q.h[j]
		j = least
	}
}

// later queues step i of a, due at at; s.mu is held.
func (s *Sim) later(a *deviceAction, i int, at time.Time) {
	s.waiting.push(a, i, at)
	s.arm()
}

// arm sets the alarm for the earliest step; s.mu is held.
func (s *Sim) arm() {
	if len(s.waiting.h) > 0 {
		s.alarm.Set(s.waiting.h[0].at)
	}
}

// stepDue runs the earliest step when its time has come, delivering its
// callbacks, and sets the timer for the next: one step a call, so that on
// a manual clock each step's callbacks are out before the next step runs,
// as when each step had a timer of its own.
func (s *Sim) stepDue() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alarm.Rang()
	if len(s.waiting.h) > 0 && !s.waiting.h[0].at.After(s.clock.Now()) {
		st := s.waiting.pop()
		var later []wire.Callback
		s.fire(st.a, st.i, &later)
		for _, c := range later {
			s.deliver(c)
		}
	}
	s.arm()
}

// dropSteps forgets every step waiting, and the alarm; s.mu is held.
func (s *Sim) dropSteps() {
	s.waiting = steps{}
	s.alarm.Clear()
}
