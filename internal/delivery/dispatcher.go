// Package delivery POSTs callbacks to listeners, the way ThingSpace does:
// through a bounded queue and a fixed pool of workers (a Pool, which many
// Dispatchers may share), retrying on the
// simulator's clock until a listener acknowledges with a 2xx or
// wire.MaxCallbackThreshold attempts were made, and recording every attempt
// in a Log. It knows nothing of the domain that produces the callbacks: a
// resolver says where an account's callbacks go.
package delivery

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/wire"
)

// Target is where an account's callbacks of one service go, and the credentials
// ThingSpace echoes in each.
type Target struct {
	URL      string
	Username string
	Password string
}

// Sender delivers one callback body to a listener and returns the HTTP
// status it answered. body is only valid until Send returns. ctx carries
// the time the attempt must end by (Deadline) and is never cancelled:
// Send ends by its deadline itself.
type Sender interface {
	Send(ctx context.Context, t Target, body []byte) (status int, err error)
}

// Config sets how callbacks are delivered.
type Config struct {
	Clock clock.Clock
	// Pool makes the attempts.
	Pool *Pool
	// Log records every callback and attempt.
	Log    *Log
	Logger *slog.Logger
	// Resolve says where an account's callbacks of a service go.
	Resolve func(account, service string) (Target, bool)
	// RetryInterval separates attempts, on the simulator's clock.
	RetryInterval time.Duration
	// Durable, when set, waits until the state that made a callback is
	// saved; an attempt is made only then, so that no listener learns of
	// a change a crash could undo.
	Durable func(context.Context) error
	// Changed, when set, is called at every change of the pending
	// callbacks (it must not block); Changes then says what changed.
	Changed func()
	// Observer, when set, learns what became of every attempt and of
	// every callback given up on, for metrics.
	Observer Observer
}

// Observer learns what becomes of callbacks. It is called on delivery's
// workers, and on the goroutine of a Send or Hold past the pool's bound,
// outside delivery's locks (but maybe under its caller's): it must be
// quick and must not block.
type Observer interface {
	// Concluded tells what an attempt at a callback of service led to:
	// StateDelivered, StatePending (a retry follows), StateFailed (the
	// last attempt failed) or StateGivenUp. a is the attempt; it is zero
	// for a callback the pool's bound gave up on before its next attempt.
	Concluded(service, state string, a Attempt)
}

// Dispatcher delivers callbacks. A callback that finds the queue full
// counts as a failed attempt and is retried like one, so none is lost and
// none blocks its sender.
type Dispatcher struct {
	cfg    Config
	timers *clock.Timers
	// done is closed by Close: attempts queued meanwhile are not made.
	done chan struct{}
	once sync.Once

	mu       sync.Mutex
	inflight int
	idle     chan struct{}
	nextID   uint64
	track    change.Tracker
	// pending holds the next attempt of every callback not yet concluded:
	// queued, under way or waiting for a retry; order has their ids,
	// oldest first (and ids of concluded ones, skipped when met).
	pending map[uint64]*job
	order   []uint64
	// waiting holds the attempts waiting on the clock, under alarm.
	waiting waiting
	alarm   clock.Alarm
	stats   Stats
	// count is len(pending), for the pool to read without d.mu; left
	// says that the pool no longer counts them.
	count atomic.Int64
	left  bool
	// givenUp counts the callbacks given up on, for the log lines that
	// sum them up.
	givenUp throttle
	// unrouted holds what the attempts that found no listener share, by
	// account and service (noListener).
	unrouted map[[2]string]*unrouted
}

// throttle sums up events of one kind in a log line at most every 10
// seconds: the first at once, then the count since the last line.
type throttle struct {
	n  int
	at time.Time
}

// note counts an event and says whether a line is due, with the count it
// sums up; d.mu is held.
func (t *throttle) note() (n int, due bool) {
	t.n++
	if time.Since(t.at) < 10*time.Second {
		return 0, false
	}
	n, t.n, t.at = t.n, 0, time.Now()
	return n, true
}

// job is one attempt at a callback: the count-th, due at due. It does not
// change once made.
type job struct {
	id uint64
	// rec is the callback's record, shared by its attempts: what it
	// names and its message.
	rec   *entry
	count int
	due   time.Time
}

// New returns a dispatcher making its attempts in cfg.Pool; Close stops it.
func New(cfg Config) *Dispatcher {
	d := &Dispatcher{cfg: cfg, timers: clock.NewTimers(cfg.Clock),
		done: make(chan struct{}), pending: map[uint64]*job{}}
	d.alarm = clock.NewAlarm(d.timers, d.due)
	if cfg.Changed != nil {
		d.track.Track(cfg.Changed)
	}
	cfg.Pool.join(d)
	return d
}

// Send records a callback and queues its first attempt. It does not block:
// the domain calls it for the steps its timers run.
func (d *Dispatcher) Send(c wire.Callback) {
	d.schedule(&c, 0, 1, d.cfg.Clock.Now())
}

// Batch is callbacks recorded by Hold, waiting for Release: the first
// one's job, then the others'.
type Batch struct {
	first *job
	more  []*job
}

// Len is how many callbacks b holds.
func (b Batch) Len() int {
	if b.first == nil {
		return 0
	}
	return 1 + len(b.more)
}

// Hold records callbacks, pending from now on (and saved with the state),
// but queues their first attempts only at Release: a request's callbacks
// go out after its answer. Idle counts held attempts as under way.
func (d *Dispatcher) Hold(cbs []wire.Callback) Batch {
	var b Batch
	for i := range cbs {
		j := d.record(&cbs[i], 0, 1, d.cfg.Clock.Now())
		d.begin()
		if b.first == nil {
			b.first = j
		} else {
			if b.more == nil {
				b.more = make([]*job, 0, len(cbs)-1)
			}
			b.more = append(b.more, j)
		}
	}
	return b
}

// Release queues the attempts b holds.
func (d *Dispatcher) Release(b Batch) {
	if b.first != nil {
		d.push(b.first)
	}
	for _, j := range b.more {
		d.push(j)
	}
}

// schedule records a callback whose attempt count is due at due, and queues
// it then.
func (d *Dispatcher) schedule(c *wire.Callback, id uint64, count int, due time.Time) {
	j := d.record(c, id, count, due)
	if due.After(d.cfg.Clock.Now()) {
		d.wait(j)
		return
	}
	d.enqueue(j)
}

// record logs a callback and adds it to the pending ones under id (0: a
// new one), giving up on the oldest of the dispatcher holding the most
// when the pool holds more than its maxPending.
func (d *Dispatcher) record(c *wire.Callback, id uint64, count int, due time.Time) *job {
	rec := d.cfg.Log.add(c, d.cfg.Clock.Now())
	d.mu.Lock()
	if id == 0 {
		d.nextID++
		id = d.nextID
	}
	d.nextID = max(d.nextID, id)
	j := &job{id: id, rec: rec, count: count, due: due}
	d.pending[j.id] = j
	d.counted(1)
	d.order = append(d.order, j.id)
	d.markPending(j.id)
	d.compactOrder()
	d.mu.Unlock()
	if most := d.cfg.Pool.over(); most != nil {
		most.giveUpOldest()
	}
	return j
}

// gone reports whether j is no longer to be attempted: a reset left it
// behind, or it was given up on. A job is pending until then, under its
// id, and no other job is the same callback's next attempt.
func (d *Dispatcher) gone(j *job) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pending[j.id] != j
}

// forget takes j out of the pending callbacks, unless it is gone.
func (d *Dispatcher) forget(j *job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pending[j.id] == j {
		delete(d.pending, j.id)
		d.counted(-1)
	}
	d.markPending(j.id)
}

// Reset forgets every callback not yet delivered, and empties the log;
// attempts already scheduled find their callbacks gone and do nothing.
func (d *Dispatcher) Reset() {
	d.mu.Lock()
	d.counted(-len(d.pending))
	clear(d.pending)
	d.order = nil
	d.resetWaiting()
	d.track.MarkReset()
	d.mu.Unlock()
	d.cfg.Log.reset()
}

func (d *Dispatcher) enqueue(j *job) {
	d.begin()
	d.push(j)
}

// push queues an attempt counted by begin.
func (d *Dispatcher) push(j *job) {
	select {
	case <-d.done:
		d.end()
		return
	default:
	}
	if !d.cfg.Pool.offer(task{d, j}) {
		d.end()
		d.mu.Lock()
		d.stats.QueueFull++
		d.mu.Unlock()
		d.conclude(j, Attempt{CallbackCount: j.count, Time: d.cfg.Clock.Now(), Error: "callback queue full"}, d.message(j))
	}
}

// begin counts a queued attempt; end counts it done.
func (d *Dispatcher) begin() {
	d.mu.Lock()
	d.inflight++
	d.mu.Unlock()
}

func (d *Dispatcher) end() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inflight--
	if d.inflight == 0 {
		if d.idle != nil {
			close(d.idle)
			d.idle = nil
		}
	}
}

// Idle waits until no attempt is queued or under way, or ctx ends.
func (d *Dispatcher) Idle(ctx context.Context) error {
	for {
		d.mu.Lock()
		n := d.inflight
		if n > 0 && d.idle == nil {
			d.idle = make(chan struct{})
		}
		idle := d.idle
		d.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops the retries waiting on the clock, then waits for the
// attempts under way to end, or for ctx to. Callbacks still queued or
// waiting for a retry stay pending: they are not sent.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.timers.Stop()
	d.once.Do(func() {
		close(d.done)
		d.cfg.Pool.leave(d)
	})
	return d.Idle(ctx)
}
