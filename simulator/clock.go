package simulator

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the simulator's only source of time. Scenario steps, callback
// retries and session expiry are all measured on it, so a manual clock makes
// "a warning, then success ten minutes later" run in microseconds.
type Clock interface {
	Now() time.Time
	// AfterFunc runs f in its own goroutine once d has passed on this clock.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a scheduled call that can be cancelled.
type Timer interface {
	// Stop cancels the call; it reports whether the call had not run yet.
	Stop() bool
}

// RealClock follows the wall clock, optionally faster or slower: with a
// Scale of 0.01 a five-minute delay passes in three seconds.
type RealClock struct {
	start time.Time
	scale float64
}

// NewRealClock returns a clock whose durations last scale times as long in
// wall time. A scale of 0 or less is taken as 1.
func NewRealClock(scale float64) *RealClock {
	if scale <= 0 {
		scale = 1
	}
	return &RealClock{start: time.Now(), scale: scale}
}

// Now returns the simulated time: the start time plus the scaled elapsed time.
func (c *RealClock) Now() time.Time {
	if c.scale == 1 {
		return time.Now()
	}
	return c.start.Add(time.Duration(float64(time.Since(c.start)) / c.scale))
}

// AfterFunc schedules f after d simulated time.
func (c *RealClock) AfterFunc(d time.Duration, f func()) Timer {
	return time.AfterFunc(time.Duration(float64(d)*c.scale), f)
}

// ManualEpoch is where a manual clock starts, so that runs are repeatable.
var ManualEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// ManualClock moves only when Advance is called. Calls due at once (d <= 0)
// still run immediately, each in its own goroutine.
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers timerHeap
	seq    uint64
}

// NewManualClock returns a manual clock standing at ManualEpoch.
func NewManualClock() *ManualClock {
	return &ManualClock{now: ManualEpoch}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f for when the clock has been advanced by d.
func (c *ManualClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{clock: c, at: c.now.Add(d), seq: c.seq, f: f, index: -1}
	if d <= 0 {
		go f()
		return t
	}
	heap.Push(&c.timers, t)
	return t
}

// Advance moves the clock forward by d and runs, in order of their due time,
// every call that falls due, one after the other; Advance returns once all of
// them have run, so the caller sees their effects. When settle is not nil it
// is called before the clock moves and after each call, to wait for the work
// a call started elsewhere (such as a callback delivery) to finish: what that
// work schedules then lands at the right time.
func (c *ManualClock) Advance(d time.Duration, settle func()) time.Time {
	if settle == nil {
		settle = func() {}
	}
	settle()
	c.mu.Lock()
	target := c.now.Add(d)
	for len(c.timers) > 0 && !c.timers[0].at.After(target) {
		t := heap.Pop(&c.timers).(*manualTimer)
		c.now = t.at
		c.mu.Unlock()
		t.f()
		settle()
		c.mu.Lock()
	}
	c.now = target
	c.mu.Unlock()
	return target
}

// Set puts the clock back at t and drops every scheduled call.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	for _, tm := range c.timers {
		tm.index = -1
	}
	c.timers = nil
}

type manualTimer struct {
	clock *ManualClock
	at    time.Time
	seq   uint64
	f     func()
	index int
}

func (t *manualTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&c.timers, t.index)
	return true
}

type timerHeap []*manualTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*manualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
