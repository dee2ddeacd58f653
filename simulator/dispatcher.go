package simulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Sender delivers one callback body to a listener and returns the HTTP
// status it answered. body is only valid until Send returns.
type Sender interface {
	Send(ctx context.Context, l Listener, body []byte) (status int, err error)
}

// DispatcherConfig sets how callbacks are delivered.
type DispatcherConfig struct {
	Clock   Clock
	Sender  Sender
	Journal *Journal
	Log     *slog.Logger
	// Resolve says where an account's callbacks go.
	Resolve func(account string) (Listener, bool)
	// Stale reports callbacks made before a reset, which are dropped.
	Stale func(Callback) bool
	// Workers deliver in parallel; Queue callbacks wait for a worker.
	Workers int
	Queue   int
	// Timeout bounds one attempt, in wall time.
	Timeout time.Duration
	// RetryInterval separates attempts, on the simulator's clock.
	RetryInterval time.Duration
}

// Dispatcher delivers callbacks through a bounded queue and a fixed pool of
// workers, retrying on the clock until the listener acknowledges with a 2xx
// or MaxCallbackThreshold attempts were made. A callback that finds the
// queue full counts as a failed attempt and is retried like one, so none is
// lost and none blocks the simulator.
type Dispatcher struct {
	cfg   DispatcherConfig
	queue chan *job
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once

	mu       sync.Mutex
	inflight int
	idle     chan struct{}
	nextID   uint64
	changes  uint64
	// pending holds the next attempt of every callback not yet settled:
	// queued, under way or waiting for a retry.
	pending map[uint64]*job
}

// job is one attempt at a callback: the count-th, due at due. It does not
// change once made.
type job struct {
	id    uint64
	cb    Callback
	rec   *CallbackRecord
	count int
	due   time.Time
}

// PendingDelivery is a callback still to be delivered: its next attempt
// (CallbackCount) is due at Due.
type PendingDelivery struct {
	Account       string          `json:"account"`
	EID           string          `json:"eid"`
	Step          int             `json:"step"`
	Message       CallbackMessage `json:"message"`
	CallbackCount int             `json:"callbackCount"`
	Due           time.Time       `json:"due"`
}

// NewDispatcher starts the workers.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	d := &Dispatcher{cfg: cfg, queue: make(chan *job, cfg.Queue), done: make(chan struct{}), idle: make(chan struct{}),
		pending: map[uint64]*job{}}
	d.wg.Add(cfg.Workers)
	for range cfg.Workers {
		go d.work()
	}
	return d
}

// Send records a fresh callback and queues its first attempt. It does not
// call back into the Sim, which calls it under its lock.
func (d *Dispatcher) Send(c Callback) {
	d.schedule(c, 1, d.cfg.Clock.Now())
}

// Batch holds first attempts recorded by Hold until Release queues them.
type Batch struct{ jobs []*job }

// Hold records a fresh callback, pending from now on (and saved with the
// state), but queues its first attempt only at Release: a request's
// callbacks go out after its answer. Idle counts held attempts as under
// way.
func (d *Dispatcher) Hold(b *Batch, c Callback) {
	j := d.record(c, 1, d.cfg.Clock.Now())
	d.begin()
	b.jobs = append(b.jobs, j)
}

// Release queues the attempts b holds.
func (d *Dispatcher) Release(b *Batch) {
	for _, j := range b.jobs {
		d.push(j)
	}
	b.jobs = nil
}

// schedule records a callback whose attempt count is due at due, and queues
// it then.
func (d *Dispatcher) schedule(c Callback, count int, due time.Time) {
	j := d.record(c, count, due)
	if wait := due.Sub(d.cfg.Clock.Now()); wait > 0 {
		d.cfg.Clock.AfterFunc(wait, func() { d.retry(j) })
		return
	}
	d.enqueue(j)
}

// record journals a callback and adds it to the pending ones.
func (d *Dispatcher) record(c Callback, count int, due time.Time) *job {
	rec := d.cfg.Journal.AddCallback(c, d.cfg.Clock.Now())
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextID++
	j := &job{id: d.nextID, cb: c, rec: rec, count: count, due: due}
	d.pending[j.id] = j
	d.changes++
	return j
}

// retry queues an attempt that waited on the clock, unless a reset made it
// stale.
func (d *Dispatcher) retry(j *job) {
	if d.cfg.Stale(j.cb) {
		d.forget(j)
		return
	}
	d.enqueue(j)
}

func (d *Dispatcher) forget(j *job) {
	d.mu.Lock()
	delete(d.pending, j.id)
	d.changes++
	d.mu.Unlock()
}

// DropStale forgets the callbacks of generations before gen (a reset); the
// attempts already scheduled for them find them stale and do nothing.
func (d *Dispatcher) DropStale(gen uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, j := range d.pending {
		if j.cb.gen != gen {
			delete(d.pending, id)
		}
	}
	d.changes++
}

// Changes counts changes of the pending callbacks, for whoever saves them.
func (d *Dispatcher) Changes() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changes
}

// Pending returns the callbacks still to be delivered.
func (d *Dispatcher) Pending() []PendingDelivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]PendingDelivery, 0, len(d.pending))
	for _, j := range d.pending {
		out = append(out, PendingDelivery{Account: j.cb.Account, EID: j.cb.EID, Step: j.cb.Step, Message: j.cb.Message,
			CallbackCount: j.count, Due: j.due})
	}
	slices.SortFunc(out, func(a, b PendingDelivery) int { return a.Due.Compare(b.Due) })
	return out
}

// Restore schedules callbacks saved by Pending.
func (d *Dispatcher) Restore(ps []PendingDelivery, gen uint64) {
	for _, p := range ps {
		d.schedule(Callback{Account: p.Account, EID: p.EID, Step: p.Step, Message: p.Message, gen: gen}, p.CallbackCount, p.Due)
	}
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
	select {
	case d.queue <- j:
	default:
		d.end()
		d.settle(j, Attempt{CallbackCount: j.count, Time: d.cfg.Clock.Now(), Error: "callback queue full"})
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
		close(d.idle)
		d.idle = make(chan struct{})
	}
}

// Idle waits until no attempt is queued or under way, or ctx ends.
func (d *Dispatcher) Idle(ctx context.Context) error {
	for {
		d.mu.Lock()
		n, idle := d.inflight, d.idle
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

// Close stops the workers once their current attempts end, or when ctx does.
// Callbacks still queued or waiting for a retry are not sent.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.once.Do(func() { close(d.done) })
	idle := make(chan struct{})
	go func() { d.wg.Wait(); close(idle) }()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *Dispatcher) work() {
	defer d.wg.Done()
	var body []byte // reused from one callback to the next
	for {
		select {
		case <-d.done:
			return
		case j := <-d.queue:
			d.attempt(j, &body)
			d.end()
		}
	}
}

// attempt makes one delivery, writing the body into *buf, and decides what
// follows.
func (d *Dispatcher) attempt(j *job, buf *[]byte) {
	if d.cfg.Stale(j.cb) {
		d.forget(j)
		return
	}
	msg := j.cb.Message
	msg.CallbackCount = j.count
	a := Attempt{CallbackCount: j.count, Time: d.cfg.Clock.Now()}
	l, ok := d.cfg.Resolve(j.cb.Account)
	if !ok {
		a.Error = "no DeviceProfileService listener registered for account " + j.cb.Account
		d.settleWith(j, a, msg)
		return
	}
	msg.Username, msg.Password = l.Username, l.Password
	a.URL = l.URL
	body := msg.appendJSON((*buf)[:0])
	*buf = body
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.Timeout)
	start := time.Now()
	var err error
	a.StatusCode, err = d.cfg.Sender.Send(ctx, l, body)
	cancel()
	a.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %s", d.cfg.Timeout)
	}
	if err != nil {
		a.Error = err.Error()
	} else if a.StatusCode < 200 || a.StatusCode > 299 {
		a.Error = fmt.Sprintf("listener answered %d", a.StatusCode)
	}
	d.settleWith(j, a, msg)
}

func (d *Dispatcher) settle(j *job, a Attempt) {
	msg := j.cb.Message
	msg.CallbackCount = j.count
	d.settleWith(j, a, msg)
}

// settleWith records an attempt and schedules the retry when it failed.
// The retry is scheduled before the attempt is recorded, so whoever waits
// for the record can advance the clock to it at once.
func (d *Dispatcher) settleWith(j *job, a Attempt, msg CallbackMessage) {
	state := DeliveryDelivered
	if a.Error != "" {
		state = DeliveryFailed
		if j.count < MaxCallbackThreshold {
			state = DeliveryPending
			next := &job{id: j.id, cb: j.cb, rec: j.rec, count: j.count + 1, due: d.cfg.Clock.Now().Add(d.cfg.RetryInterval)}
			d.mu.Lock()
			if _, ok := d.pending[j.id]; ok { // else a reset dropped it
				d.pending[j.id] = next
				d.changes++
			}
			d.mu.Unlock()
			d.cfg.Clock.AfterFunc(d.cfg.RetryInterval, func() { d.retry(next) })
		}
	}
	if state != DeliveryPending {
		d.forget(j)
	}
	d.cfg.Journal.AddAttempt(j.rec, a, state, msg)
	level := slog.LevelInfo
	if a.Error != "" {
		level = slog.LevelWarn
	}
	logAttrs(d.cfg.Log, level, "callback",
		slog.String("requestId", msg.RequestID), slog.String("eid", j.cb.EID), slog.Int("attempt", j.count),
		slog.String("status", msg.Status), slog.String("url", a.URL), slog.Int("listenerStatus", a.StatusCode),
		slog.Float64("latencyMs", a.LatencyMS), slog.String("error", a.Error), slog.String("delivery", state))
}
