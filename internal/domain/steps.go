package domain

import (
	"container/heap"
	"time"

	"github.com/tssim/tssim/internal/wire"
)

// The steps of actions due later than at once wait in one queue per world,
// earliest first (in the order they were scheduled when due together),
// under one alarm for the earliest: a step waiting costs an entry, where
// each had a timer, three closures and an entry in the timers' map, for
// every device of every request.

type laterStep struct {
	at  time.Time
	seq uint64
	a   *deviceAction
	i   int
}

// steps is a heap of laterSteps (container/heap), earliest first.
type steps struct {
	h   []*laterStep
	seq uint64
}

func (q *steps) Len() int { return len(q.h) }
func (q *steps) Less(i, j int) bool {
	if q.h[i].at.Equal(q.h[j].at) {
		return q.h[i].seq < q.h[j].seq
	}
	return q.h[i].at.Before(q.h[j].at)
}
func (q *steps) Swap(i, j int) { q.h[i], q.h[j] = q.h[j], q.h[i] }
func (q *steps) Push(x any)    { q.h = append(q.h, x.(*laterStep)) }
func (q *steps) Pop() any {
	st := q.h[len(q.h)-1]
	q.h[len(q.h)-1] = nil
	q.h = q.h[:len(q.h)-1]
	return st
}

func (q *steps) push(a *deviceAction, i int, at time.Time) {
	q.seq++
	heap.Push(q, &laterStep{at: at, seq: q.seq, a: a, i: i})
}

// pop takes the earliest step out; q is not empty.
func (q *steps) pop() *laterStep { return heap.Pop(q).(*laterStep) }

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
