package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"
)

// Pool is the workers that make the attempts of every Dispatcher sharing
// it: one bounded queue, a fixed number of workers and one Sender, so that
// many simulated worlds cost no more goroutines than one.
type Pool struct {
	sender  Sender
	timeout time.Duration
	queue   chan task
	done    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once

	// maxPending bounds the callbacks not yet delivered of all the
	// dispatchers together (0: no bound); total counts them.
	maxPending int
	total      atomic.Int64
	mu         sync.Mutex
	members    map[*Dispatcher]struct{}
}

// task is one attempt of one dispatcher's callback.
type task struct {
	d *Dispatcher
	j *job
}

// NewPool starts workers sending with sender; up to queue attempts wait for
// a worker, and each may take timeout (wall time). Its dispatchers keep
// maxPending callbacks not yet delivered in all (0: no bound). Close stops
// the workers.
func NewPool(sender Sender, workers, queue int, timeout time.Duration, maxPending int) *Pool {
	p := &Pool{sender: sender, timeout: timeout, queue: make(chan task, queue), done: make(chan struct{}),
		maxPending: maxPending, members: map[*Dispatcher]struct{}{}}
	p.wg.Add(workers)
	for range workers {
		go p.work()
	}
	return p
}

func (p *Pool) work() {
	defer p.wg.Done()
	var body bytes.Buffer // reused from one callback to the next
	enc := json.NewEncoder(&body)
	for {
		select {
		case <-p.done:
			return
		case t := <-p.queue:
			select {
			case <-t.d.done: // its dispatcher closed: the callback stays pending
			default:
				t.d.attempt(t.j, &body, enc)
			}
			t.d.end()
		}
	}
}

// offer queues an attempt, or reports false when the queue is full.
func (p *Pool) offer(t task) bool {
	select {
	case p.queue <- t:
		return true
	default:
		return false
	}
}

// Close stops the workers once their current attempts end, or when ctx
// does. Close the dispatchers first.
func (p *Pool) Close(ctx context.Context) error {
	p.once.Do(func() { close(p.done) })
	stopped := make(chan struct{})
	go func() { p.wg.Wait(); close(stopped) }()
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
