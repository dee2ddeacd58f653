package main

import (
	"testing"
	"time"
)

// await returns once the count is reached, whoever adds, and the count so
// far when the time is up first.
func TestProgressAwaitsItsCount(t *testing.T) {
	var p progress
	if got := p.await(0, time.Minute); got != 0 {
		t.Fatalf("nothing counted: %d", got)
	}
	go func() {
		for range 3 {
			p.add()
		}
	}()
	if got := p.await(3, time.Minute); got != 3 {
		t.Fatalf("after 3 adds: %d", got)
	}
	if got := p.await(4, time.Millisecond); got != 3 {
		t.Fatalf("waiting for a 4th that never comes: %d", got)
	}
}
