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
// it: bounded queues, a fixed number of workers and one Sender, so that
// many simulated worlds cost no more goroutines than one. The queue is
// fair: each destination (a dispatcher's account and service, so one
// listener of one world) has a lane of its own, the workers take from the
// lanes in turn, and a lane may use at most a share of the workers and of
// the queue, so that a listener that hangs or reads one byte a second
// delays no other's callbacks.
type Pool struct {
	sender  Sender
	timeout time.Duration
	wg      sync.WaitGroup
	once    sync.Once

	// maxPending bounds the callbacks not yet delivered of all the
	// dispatchers together (0: no bound); total counts them.
	maxPending int
	total      atomic.Int64
	mu         sync.Mutex
	members    map[*Dispatcher]struct{}

	// sched guards the lanes; work is signalled when a lane becomes
	// ready or the pool stops.
	sched sync.Mutex
	work  *sync.Cond
	lanes map[laneKey]*lane
	// spare is a lane emptied lately, kept for the next destination: a
	// listener taking callbacks one at a time costs no lane each.
	spare *lane
	// ready are the lanes with attempts queued and a worker to spare,
	// taken in turn.
	ready []*lane
	// readyBuf is the start of the array ready takes from, when small.
	readyBuf []*lane
	queued   int
	// queueSize bounds the attempts queued in all lanes; laneWorkers,
	// one lane's attempts under way.
	queueSize, laneWorkers int
	stopped                bool
}

// laneKey names a destination: one listener of one world.
type laneKey struct {
	d                *Dispatcher
	account, service string
}

// lane is the attempts queued for one destination, oldest first, and how
// many of its attempts are under way.
type lane struct {
	key   laneKey
	tasks []task
	// buf is the start of the array tasks takes from, when it is small
	// enough to keep while the lane is empty.
	buf     []task
	running int
	isReady bool
	// sweepAt is the length at which the lane next drops the attempts of
	// callbacks given up on.
	sweepAt int
}

// minSweep is the length of a lane's first sweep.
const minSweep = 1024

// maxKeptTasks bounds the array an empty lane keeps.
const maxKeptTasks = 64

// task is one attempt of one dispatcher's callback.
type task struct {
	d *Dispatcher
	j *job
}

// NewPool starts workers sending with sender; up to queue attempts wait for
// a worker, and each may take timeout (wall time). Its dispatchers keep
// maxPending callbacks not yet delivered in all (0: no bound). One
// destination may use a quarter of the workers (at least one). Close stops
// the workers.
func NewPool(sender Sender, workers, queue int, timeout time.Duration, maxPending int) *Pool {
	p := &Pool{sender: sender, timeout: timeout,
		maxPending: maxPending, members: map[*Dispatcher]struct{}{}, lanes: map[laneKey]*lane{},
		queueSize: queue, laneWorkers: max(1, workers/4)}
	p.work = sync.NewCond(&p.sched)
	p.wg.Add(workers)
	for range workers {
		go p.worker()
	}
	return p
}

func (p *Pool) worker() {
	defer p.wg.Done()
	var body bytes.Buffer // reused from one callback to the next
	enc := json.NewEncoder(&body)
	ctx := &deadline{}
	for {
		l, t, ok := p.next()
		if !ok {
			return
		}
		select {
		case <-t.d.done: // its dispatcher closed: the callback stays pending
		default:
			t.d.attempt(t.j, &body, enc, ctx)
		}
		t.d.end()
		p.finished(l)
	}
}

// next waits for a ready lane and takes its oldest attempt, or reports
// false once the pool stops.
func (p *Pool) next() (*lane, task, bool) {
	p.sched.Lock()
	defer p.sched.Unlock()
	for len(p.ready) == 0 && !p.stopped {
		p.work.Wait()
	}
	if p.stopped {
		return nil, task{}, false
	}
	l := p.ready[0]
	p.ready[0] = nil
	p.ready = p.ready[1:]
	if len(p.ready) == 0 {
		p.ready = p.readyBuf[:0] // taken from its start again, not grown anew
	}
	l.isReady = false
	t := l.tasks[0]
	l.tasks[0] = task{}
	l.tasks = l.tasks[1:]
	p.queued--
	l.running++
	p.markReady(l)
	return l, t, true
}

// finished counts an attempt of l done; p.sched is not held.
func (p *Pool) finished(l *lane) {
	p.sched.Lock()
	defer p.sched.Unlock()
	l.running--
	if l.running == 0 && len(l.tasks) == 0 {
		delete(p.lanes, l.key)
		if !l.isReady {
			*l = lane{buf: l.buf}
			p.spare = l
		}
		return
	}
	p.markReady(l)
}

// markReady puts l at the back of the ready lanes when it has an attempt
// queued and a worker to spare; p.sched is held.
func (p *Pool) markReady(l *lane) {
	if l.isReady || len(l.tasks) == 0 || l.running >= p.laneWorkers {
		return
	}
	l.isReady = true
	p.ready = append(p.ready, l)
	if len(p.ready) == 1 && cap(p.ready) <= maxKeptTasks {
		p.readyBuf = p.ready[:0]
	}
	p.work.Signal()
}

// sweep drops from l the attempts of callbacks given up on or reset
// meanwhile, and sets its next sweep at twice what is left: the work is
// in proportion to the attempts queued. p.sched is held (and no
// dispatcher's lock, which gone takes).
func (p *Pool) sweep(l *lane) {
	kept := l.tasks[:0]
	for _, t := range l.tasks {
		if t.d.gone(t.j) {
			t.d.end()
			continue
		}
		kept = append(kept, t)
	}
	clear(l.tasks[len(kept):])
	p.queued -= len(l.tasks) - len(kept)
	l.tasks = kept
	l.sweepAt = max(minSweep, 2*len(kept))
}

// offer queues an attempt in its destination's lane, or reports false
// when the whole queue is full.
func (p *Pool) offer(t task) bool {
	k := laneKey{t.d, t.j.rec.account, t.j.rec.service}
	p.sched.Lock()
	defer p.sched.Unlock()
	l := p.lanes[k]
	if l == nil {
		if l = p.spare; l != nil {
			p.spare = nil
		} else {
			l = &lane{}
		}
		l.key, l.sweepAt = k, minSweep
		p.lanes[k] = l
	}
	if len(l.tasks) >= l.sweepAt {
		p.sweep(l)
	}
	if p.stopped || p.queued >= p.queueSize {
		if l.running == 0 && len(l.tasks) == 0 {
			delete(p.lanes, k)
		}
		return false
	}
	if len(l.tasks) == 0 {
		l.tasks = l.buf[:0]
	}
	l.tasks = append(l.tasks, t)
	if len(l.tasks) == 1 && cap(l.tasks) <= maxKeptTasks {
		l.buf = l.tasks[:0]
	}
	p.queued++
	p.markReady(l)
	return true
}

// Close stops the workers once their current attempts end, or when ctx
// does. Close the dispatchers first.
func (p *Pool) Close(ctx context.Context) error {
	p.once.Do(func() {
		p.sched.Lock()
		p.stopped = true
		p.work.Broadcast()
		p.sched.Unlock()
	})
	stopped := make(chan struct{})
	go func() { p.wg.Wait(); close(stopped) }()
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
