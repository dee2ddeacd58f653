package main

import (
	"sync"
	"time"
)

// progress counts what has come (callbacks, worlds heard from), and lets a
// goroutine wait for the count to reach a figure. The zero value counts
// from 0.
type progress struct {
	mu sync.Mutex
	n  int
	// changed is closed at the next add, when someone waits.
	changed chan struct{}
}

// add counts one more.
func (p *progress) add() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.changed != nil {
		close(p.changed)
		p.changed = nil
	}
}

// await waits until the count reaches n, or within has passed, and returns
// the count.
func (p *progress) await(n int, within time.Duration) int {
	deadline := time.After(within)
	for {
		p.mu.Lock()
		got := p.n
		if p.changed == nil {
			p.changed = make(chan struct{})
		}
		changed := p.changed
		p.mu.Unlock()
		if got >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline:
			return got
		}
	}
}
