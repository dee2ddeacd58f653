package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/tssim/tssim/internal/logline"
	"github.com/tssim/tssim/internal/wire"
)

// One attempt at a callback: a worker of the Pool takes it from the queue,
// encodes the body, sends it, and concludes what follows (done, or a
// retry).

// message is the callback as attempt j sends it.
func (d *Dispatcher) message(j *job) wire.CallbackMessage {
	msg := d.cfg.Log.message(j.rec)
	msg.CallbackCount = j.count
	return msg
}

// deadline is the context of a worker's attempts: the time the one under
// way must end by, and nothing to cancel. A worker keeps one for all its
// attempts, where a context with a timeout cost a timer and four
// allocations an attempt; a Sender ends by its Deadline.
type deadline struct{ at time.Time }

func (c *deadline) Deadline() (time.Time, bool) { return c.at, true }
func (*deadline) Done() <-chan struct{}         { return nil }
func (*deadline) Err() error                    { return nil }
func (*deadline) Value(any) any                 { return nil }

// attempt makes one delivery, encoding the body into buf, and decides what
// follows; ctx is the worker's, its deadline set here.
func (d *Dispatcher) attempt(j *job, buf *bytes.Buffer, enc *json.Encoder, ctx *deadline) {
	if d.gone(j) {
		return
	}
	msg := d.message(j)
	a := Attempt{CallbackCount: j.count, Time: d.cfg.Clock.Now()}
	t, ok := d.cfg.Resolve(j.rec.account, j.rec.service)
	if !ok {
		var n int
		var due bool
		a.Error, n, due = d.noListener(j.rec.account, j.rec.service)
		state := d.settle(j, a, msg)
		if due {
			logline.Write(d.cfg.Logger, slog.LevelWarn, "callbacks not sent: no listener registered",
				slog.Int("attempts", n), slog.String("account", j.rec.account), slog.String("service", j.rec.service),
				slog.String("requestId", msg.RequestID), slog.String("eid", j.rec.eid), slog.Int("attempt", j.count), slog.String("delivery", state))
		}
		return
	}
	if d.cfg.Durable != nil {
		ctx, cancel := context.WithTimeout(context.Background(), d.cfg.Pool.timeout)
		err := d.cfg.Durable(ctx)
		cancel()
		if err != nil {
			a.Error = "the state that made the callback is not saved: " + err.Error()
			d.conclude(j, a, msg)
			return
		}
	}
	msg.Username, msg.Password = t.Username, t.Password
	a.URL = redactURL(t.URL)
	buf.Reset()
	if err := enc.Encode(&msg); err != nil {
		a.Error = "encoding the callback: " + err.Error()
		d.conclude(j, a, msg)
		return
	}
	start := time.Now()
	ctx.at = start.Add(d.cfg.Pool.timeout)
	var err error
	a.StatusCode, err = d.cfg.Pool.sender.Send(ctx, t, buf.Bytes())
	a.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %s", d.cfg.Pool.timeout)
	}
	if err != nil {
		a.Error = err.Error()
	} else if a.StatusCode < 200 || a.StatusCode > 299 {
		a.Error = fmt.Sprintf("listener answered %d", a.StatusCode)
	}
	d.conclude(j, a, msg)
}

// unrouted is what the attempts that found no listener for one account and
// service share: their error text, one string however many attempts keep
// it, and the throttle of the log lines summing them up.
type unrouted struct {
	text string
	throttle
}

// noListener counts an attempt that found nowhere to go, and returns its
// error, and whether a log line is due with the count it sums up, for its
// account and service (of the last 64 met).
func (d *Dispatcher) noListener(account, service string) (text string, n int, due bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := [2]string{account, service}
	u := d.unrouted[k]
	if u == nil {
		if d.unrouted == nil || len(d.unrouted) == 64 {
			d.unrouted = map[[2]string]*unrouted{}
		}
		u = &unrouted{text: "no " + service + " listener registered for account " + account}
		d.unrouted[k] = u
	}
	n, due = u.note()
	return u.text, n, due
}

// conclude settles an attempt, and logs it.
func (d *Dispatcher) conclude(j *job, a Attempt, msg wire.CallbackMessage) {
	state := d.settle(j, a, msg)
	level := slog.LevelInfo
	if a.Error != "" {
		level = slog.LevelWarn
	}
	logline.Write(d.cfg.Logger, level, "callback",
		slog.String("requestId", msg.RequestID), slog.String("service", j.rec.service), slog.String("eid", j.rec.eid), slog.Int("attempt", j.count),
		slog.String("status", msg.Status), slog.String("url", a.URL), slog.Int("listenerStatus", a.StatusCode),
		slog.Float64("latencyMs", a.LatencyMS), slog.String("error", a.Error), slog.String("delivery", state))
}

// settle records an attempt and schedules the retry when it failed, and
// returns the callback's state. The retry is scheduled before the attempt
// is recorded, so whoever waits for the record can advance the clock to it
// at once.
func (d *Dispatcher) settle(j *job, a Attempt, msg wire.CallbackMessage) string {
	state := StateDelivered
	if a.Error != "" {
		state = StateFailed
		if j.count < wire.MaxCallbackThreshold {
			state = StatePending
			next := &job{id: j.id, rec: j.rec, count: j.count + 1,
				due: d.cfg.Clock.Now().Add(d.cfg.RetryInterval)}
			d.mu.Lock()
			live := d.pending[j.id] == j // else a reset or the pool's bound dropped it
			if live {
				d.pending[j.id] = next
				d.markPending(j.id)
			}
			d.mu.Unlock()
			if live {
				d.wait(next)
			} else {
				state = StateGivenUp
			}
		}
	}
	if state != StatePending {
		d.forget(j)
		d.mu.Lock()
		switch state {
		case StateDelivered:
			d.stats.Delivered++
		case StateFailed:
			d.stats.Failed++
		}
		d.mu.Unlock()
	}
	// The log and /_sim/callbacks show the body as sent, but for the
	// listener's password.
	if msg.Password != "" {
		msg.Password = redacted
	}
	// Observed before the log has it: whoever waits for the attempt finds
	// it counted. A callback dropped while its attempt was under way (by
	// a reset, or by the pool's bound, which giveUp observed) is observed
	// no more.
	if d.cfg.Observer != nil && state != StateGivenUp {
		d.cfg.Observer.Concluded(j.rec.service, state, a)
	}
	d.cfg.Log.attempted(j.rec, a, state, msg)
	return state
}

// redacted stands in for a secret in logs and in the attempt log.
const redacted = "xxxxx"

// redactURL hides the password of a URL with credentials.
func redactURL(raw string) string {
	if !strings.Contains(raw, "@") {
		return raw // no credentials: no parse on every attempt
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
