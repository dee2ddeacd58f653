// Package clock is tssim's only source of time: a real clock, optionally
// scaled, and a manual one that moves only when told, so that "a warning,
// then success ten minutes later" runs in microseconds.
package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the simulator's only source of time: scenario steps, callback
// retries and session expiry are all measured on it.
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

// Horizon is the latest time a world's clock may be moved to: state files
// and journals write times in RFC 3339, whose years end at 9999, and a
// clock past that could not be saved.
var Horizon = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)

// The scales a real clock takes: a thousandth of a millisecond per
// simulated second at the fast end would reach the Horizon within weeks.
const (
	MinScale = 0.0001
	MaxScale = 10000.0
)

// Real follows the wall clock, optionally faster or slower: with a scale
// of 0.01 a five-minute delay passes in three seconds.
type Real struct {
	start time.Time
	// base is the simulated time at start.
	base  time.Time
	scale float64
}

// NewReal returns a clock whose durations last scale times as long in
// wall time. A scale of 0 or less is taken as 1.
func NewReal(scale float64) *Real {
	if scale <= 0 {
		scale = 1
	}
	now := time.Now()
	return &Real{start: now, base: now, scale: scale}
}

// Resume makes a scaled clock go on from t, where it stood when tssim
// stopped, instead of from the wall clock: what was due in a simulated
// minute still is. The unscaled clock is the wall clock and stays so. Call
// it before the clock is shared.
func (c *Real) Resume(t time.Time) {
	if c.scale != 1 {
		c.start, c.base = time.Now(), t
	}
}

// Now returns the simulated time: where it started plus the scaled time
// elapsed since.
func (c *Real) Now() time.Time {
	if c.scale == 1 {
		return time.Now()
	}
	return c.base.Add(time.Duration(float64(time.Since(c.start)) / c.scale))
}

// AfterFunc schedules f after d simulated time.
func (c *Real) AfterFunc(d time.Duration, f func()) Timer {
	return time.AfterFunc(time.Duration(float64(d)*c.scale), f)
}

// Epoch is where a manual clock starts, so that runs are repeatable.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Manual moves only when Advance is called. Calls due at once (d <= 0)
// still run immediately, each in its own goroutine; but while Advance runs
// the calls that fall due, they join them, and run after the calls due at
// the same time that were made before them.
type Manual struct {
	mu        sync.Mutex
	now       time.Time
	timers    timerHeap
	seq       uint64
	advancing bool
}

// NewManual returns a manual clock standing at Epoch.
func NewManual() *Manual {
	return &Manual{now: Epoch}
}

// Now returns the clock's current time.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f for when the clock has been advanced by d.
func (c *Manual) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{clock: c, at: c.now.Add(max(d, 0)), seq: c.seq, f: f, index: -1}
	if d <= 0 && !c.advancing {
		go f()
		return t
	}
	heap.Push(&c.timers, t)
	return t
}

// Advance moves the clock forward by d and runs, in order of their due time,
// every call that falls due, one after the other; Advance returns once all of
// them have run, so the caller sees their effects. When await is not nil it
// is called before the clock moves and after each call, to wait for the work
// a call started elsewhere (such as a callback delivery) to finish: what that
// work schedules then lands at the right time.
func (c *Manual) Advance(d time.Duration, await func()) time.Time {
	if await == nil {
		await = func() {}
	}
	await()
	c.mu.Lock()
	c.advancing = true
	defer func() {
		c.mu.Lock()
		c.advancing = false
		c.mu.Unlock()
	}()
	target := c.now.Add(d)
	for len(c.timers) > 0 && !c.timers[0].at.After(target) {
		t := heap.Pop(&c.timers).(*manualTimer)
		c.now = t.at
		c.mu.Unlock()
		t.f()
		await()
		c.mu.Lock()
	}
	c.now = target
	c.mu.Unlock()
	return target
}

// Set puts the clock back at t and drops every scheduled call.
func (c *Manual) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	for _, tm := range c.timers {
		tm.index = -1
	}
	c.timers = nil
}

type manualTimer struct {
	clock *Manual
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

// Timers starts calls on a clock for one owner, and Stop cancels every one
// of them not yet run and waits for those running: after Stop, none of the
// owner's calls changes anything.
type Timers struct {
	clock Clock
	// run is held for reading by each call while it runs, and for writing
	// by Stop.
	run     sync.RWMutex
	stopped bool

	mu   sync.Mutex
	next uint64
	live map[uint64]Timer
}

// NewTimers returns an owner's set of calls on c.
func NewTimers(c Clock) *Timers { return &Timers{clock: c, live: map[uint64]Timer{}} }

// AfterFunc runs f once d has passed on the clock, unless Stop came first
// or cancel is called.
func (t *Timers) AfterFunc(d time.Duration, f func()) (cancel func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next++
	id := t.next
	t.live[id] = t.clock.AfterFunc(d, func() {
		if !t.forget(id) {
			return
		}
		t.run.RLock()
		defer t.run.RUnlock()
		if !t.stopped {
			f()
		}
	})
	return func() {
		t.mu.Lock()
		tm := t.live[id]
		t.mu.Unlock()
		if tm != nil && t.forget(id) {
			tm.Stop()
		}
	}
}

// forget takes a call out of the live ones; it reports false when it was
// out already (cancelled, or run).
func (t *Timers) forget(id uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.live[id]
	delete(t.live, id)
	return ok
}

// Stop cancels the calls not yet run and waits for those running.
func (t *Timers) Stop() {
	t.run.Lock()
	t.stopped = true
	t.run.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, tm := range t.live {
		tm.Stop()
		delete(t.live, id)
	}
}

// Alarm is one call on Timers for the earliest of the times its owner
// waits for: a queue of calls due later keeps one timer, set again for
// its new earliest. Its owner guards it with a lock of its own, the lock
// the call takes first.
type Alarm struct {
	timers *Timers
	f      func()
	at     time.Time
	cancel func()
}

// NewAlarm returns an alarm calling f on timers' clock.
func NewAlarm(timers *Timers, f func()) Alarm { return Alarm{timers: timers, f: f} }

// Set makes the alarm go off at at, unless it is set for at or earlier.
func (a *Alarm) Set(at time.Time) {
	if a.cancel != nil && !at.Before(a.at) {
		return
	}
	a.Clear()
	a.at = at
	a.cancel = a.timers.AfterFunc(at.Sub(a.timers.clock.Now()), a.f)
}

// Rang notes that the alarm went off: the call calls it first.
func (a *Alarm) Rang() { a.cancel = nil }

// Clear cancels the alarm.
func (a *Alarm) Clear() {
	if a.cancel != nil {
		a.cancel()
		a.cancel = nil
	}
}
