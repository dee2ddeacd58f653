package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Sender delivers one callback body to a listener and returns the HTTP
// status it answered.
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
	queue chan job
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once

	mu       sync.Mutex
	inflight int
	idle     chan struct{}
}

type job struct {
	cb    Callback
	rec   *CallbackRecord
	count int
}

// NewDispatcher starts the workers.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	d := &Dispatcher{cfg: cfg, queue: make(chan job, cfg.Queue), done: make(chan struct{}), idle: make(chan struct{})}
	d.wg.Add(cfg.Workers)
	for range cfg.Workers {
		go d.work()
	}
	return d
}

// Send records a callback and queues its first attempt.
func (d *Dispatcher) Send(c Callback) {
	if d.cfg.Stale(c) {
		return
	}
	rec := d.cfg.Journal.AddCallback(c, d.cfg.Clock.Now())
	d.enqueue(job{cb: c, rec: rec, count: 1})
}

func (d *Dispatcher) enqueue(j job) {
	if d.cfg.Stale(j.cb) {
		return
	}
	select {
	case <-d.done:
		return
	default:
	}
	d.begin()
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
	for {
		select {
		case <-d.done:
			return
		case j := <-d.queue:
			d.attempt(j)
			d.end()
		}
	}
}

// attempt makes one delivery and decides what follows.
func (d *Dispatcher) attempt(j job) {
	if d.cfg.Stale(j.cb) {
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
	body, err := json.Marshal(msg)
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.Timeout)
	start := time.Now()
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

func (d *Dispatcher) settle(j job, a Attempt) {
	msg := j.cb.Message
	msg.CallbackCount = j.count
	d.settleWith(j, a, msg)
}

// settleWith records an attempt and schedules the retry when it failed.
// The retry is scheduled before the attempt is recorded, so whoever waits
// for the record can advance the clock to it at once.
func (d *Dispatcher) settleWith(j job, a Attempt, msg CallbackMessage) {
	state := DeliveryDelivered
	if a.Error != "" {
		state = DeliveryFailed
		if j.count < MaxCallbackThreshold {
			state = DeliveryPending
			next := job{cb: j.cb, rec: j.rec, count: j.count + 1}
			d.cfg.Clock.AfterFunc(d.cfg.RetryInterval, func() { d.enqueue(next) })
		}
	}
	d.cfg.Journal.AddAttempt(j.rec, a, state, msg)
	level := slog.LevelInfo
	if a.Error != "" {
		level = slog.LevelWarn
	}
	d.cfg.Log.Log(context.Background(), level, "callback",
		"requestId", msg.RequestID, "eid", j.cb.EID, "attempt", j.count, "status", msg.Status,
		"url", a.URL, "listenerStatus", a.StatusCode, "latencyMs", a.LatencyMS, "error", a.Error, "delivery", state)
}
