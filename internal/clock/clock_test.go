package clock

import (
	"slices"
	"sync"
	"testing"
	"time"
)

func TestManualClockRunsDueCallsInOrder(t *testing.T) {
	c := NewManual()
	var mu sync.Mutex
	var got []string
	record := func(s string) func() {
		return func() { mu.Lock(); got = append(got, s); mu.Unlock() }
	}
	c.AfterFunc(10*time.Minute, record("10m"))
	c.AfterFunc(time.Minute, record("1m"))
	stopped := c.AfterFunc(5*time.Minute, record("5m"))
	c.AfterFunc(time.Minute, record("1m-second"))
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should report true once")
	}
	c.Advance(59*time.Second, nil)
	if len(got) != 0 {
		t.Fatalf("ran early: %v", got)
	}
	c.Advance(time.Second, nil)
	if want := []string{"1m", "1m-second"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// A call scheduled by a call runs in the same Advance when due.
	c.AfterFunc(time.Minute, func() { c.AfterFunc(time.Minute, record("chained")) })
	c.Advance(time.Hour, nil)
	if want := []string{"1m", "1m-second", "chained", "10m"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if now := c.Now(); !now.Equal(Epoch.Add(time.Hour + time.Minute)) {
		t.Errorf("now %v", now)
	}
}

func TestManualClockSetDropsTimers(t *testing.T) {
	c := NewManual()
	ran := false
	c.AfterFunc(time.Minute, func() { ran = true })
	c.Set(Epoch)
	c.Advance(time.Hour, nil)
	if ran {
		t.Error("a dropped timer ran")
	}
}

func TestRealClockScale(t *testing.T) {
	c := NewReal(0.001)
	done := make(chan struct{})
	start := time.Now()
	c.AfterFunc(time.Minute, func() { close(done) })
	<-done
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("a scaled minute took %s", el)
	}
}

func TestTimersStopCancelsWhatHasNotRun(t *testing.T) {
	c := NewManual()
	ts := NewTimers(c)
	ran := make(chan string, 2)
	ts.AfterFunc(time.Minute, func() { ran <- "before" })
	c.Advance(time.Minute, nil)
	ts.AfterFunc(time.Minute, func() { ran <- "after" })
	ts.Stop()
	ts.AfterFunc(0, func() { ran <- "after stop" })
	c.Advance(time.Hour, nil)
	close(ran)
	var got []string
	for s := range ran {
		got = append(got, s)
	}
	if !slices.Equal(got, []string{"before"}) {
		t.Errorf("ran %v, want only the call due before Stop", got)
	}
}

// A scaled clock resumes where it stood; the unscaled one is the wall clock.
func TestRealResumes(t *testing.T) {
	then := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	fast := NewReal(0.01)
	fast.Resume(then)
	if got := fast.Now(); got.Before(then) || got.After(then.Add(time.Hour)) {
		t.Errorf("a scaled clock resumed at %v reads %v", then, got)
	}
	wall := NewReal(1)
	wall.Resume(then)
	if got := wall.Now(); got.Year() == 2030 {
		t.Errorf("the unscaled clock resumed away from the wall clock: %v", got)
	}
}

func TestTimersCancel(t *testing.T) {
	c := NewManual()
	ts := NewTimers(c)
	ran := 0
	cancel := ts.AfterFunc(time.Minute, func() { ran++ })
	cancel()
	cancel()
	c.Advance(time.Hour, nil)
	if ran != 0 {
		t.Errorf("a cancelled call ran %d times", ran)
	}
}

// A call due at once, made by a call that Advance runs, runs within that
// Advance, after it and in the order made.
func TestManualClockRunsCallsMadeWhileAdvancing(t *testing.T) {
	c := NewManual()
	var order []string
	c.AfterFunc(time.Second, func() {
		order = append(order, "first")
		c.AfterFunc(0, func() { order = append(order, "made by first") })
	})
	c.AfterFunc(time.Second, func() { order = append(order, "second") })
	c.Advance(time.Minute, nil)
	if want := []string{"first", "second", "made by first"}; !slices.Equal(order, want) {
		t.Errorf("ran %v, want %v", order, want)
	}
}

// A call that panics while Advance runs it leaves the clock as it was
// before the advance: a call due at once runs at once again.
func TestManualClockAfterAPanickingCall(t *testing.T) {
	c := NewManual()
	c.AfterFunc(time.Second, func() { panic("a bug") })
	func() {
		defer func() { _ = recover() }()
		c.Advance(time.Minute, nil)
	}()
	ran := make(chan struct{})
	c.AfterFunc(0, func() { close(ran) })
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("a call due at once waits for an advance")
	}
}

// An alarm goes off once, at the earliest time it was set for since it
// last went off; a later time leaves it be, and Clear cancels it.
func TestAlarmGoesOffAtTheEarliest(t *testing.T) {
	c := NewManual()
	start := c.Now()
	var rang []time.Duration
	var a Alarm
	a = NewAlarm(NewTimers(c), func() {
		a.Rang()
		rang = append(rang, c.Now().Sub(start))
	})
	a.Set(start.Add(10 * time.Minute))
	a.Set(start.Add(20 * time.Minute))
	a.Set(start.Add(5 * time.Minute))
	c.Advance(30*time.Minute, nil)
	if len(rang) != 1 || rang[0] != 5*time.Minute {
		t.Errorf("rang at %v, want once at 5m", rang)
	}
	a.Set(c.Now().Add(time.Minute))
	a.Clear()
	c.Advance(time.Hour, nil)
	if len(rang) != 1 {
		t.Errorf("a cleared alarm rang: %v", rang)
	}
}
