package delivery

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/tssim/tssim/internal/bounded"
	"github.com/tssim/tssim/internal/wire"
)

// Attempt is one delivery of a callback to a listener.
type Attempt struct {
	CallbackCount int       `json:"callbackCount"`
	Time          time.Time `json:"time"`
	URL           string    `json:"url,omitempty"`
	StatusCode    int       `json:"statusCode,omitempty"`
	Error         string    `json:"error,omitempty"`
	LatencyMS     float64   `json:"latencyMs"`
}

// Delivery states of a callback.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateFailed    = "failed"
	// StateGivenUp is a callback given up on before its last attempt:
	// more than the pool's maxPending were waiting.
	StateGivenUp = "given-up"
)

// Record is one callback message and every attempt to deliver it.
type Record struct {
	Seq       int                  `json:"seq"`
	RequestID string               `json:"requestId"`
	EID       string               `json:"eid"`
	Account   string               `json:"account"`
	Service   string               `json:"service"`
	Step      int                  `json:"step"`
	Status    string               `json:"status"`
	Created   time.Time            `json:"created"`
	State     string               `json:"state"`
	Attempts  []Attempt            `json:"attempts"`
	Message   wire.CallbackMessage `json:"message"`
}

// entry is a Record as the log keeps it, shared by the callback's
// attempts: its requestId and status are its message's, its state a byte,
// so that each callback waiting for delivery (up to the pool's
// maxPending) costs 320 bytes here where a Record would cost 384.
type entry struct {
	seq     int
	created time.Time
	eid     string
	account string
	service string
	step    int32
	// state is an index in states.
	state    uint8
	attempts []Attempt
	message  wire.CallbackMessage
	// first holds the first attempt, which most callbacks stop at,
	// without a slice of its own.
	first [1]Attempt
}

var states = [...]string{StatePending, StateDelivered, StateFailed, StateGivenUp}

func stateIndex(state string) uint8 { return uint8(slices.Index(states[:], state)) }

// record is a copy of e as a Record.
func (e *entry) record() Record {
	return Record{
		Seq: e.seq, RequestID: e.message.RequestID, EID: e.eid, Account: e.account, Service: e.service, Step: int(e.step),
		Status: e.message.Status, Created: e.created, State: states[e.state],
		Attempts: append([]Attempt{}, e.attempts...), // [] before the first attempt, not null
		Message:  e.message,
	}
}

// Log keeps the last callbacks with their attempts, and lets a caller wait
// for attempts to be made.
type Log struct {
	mu      sync.Mutex
	records bounded.List[*entry]
	seq     int
	// changed is closed at the next change when a waiter holds it
	// (watched); changes nobody waits for leave it be.
	changed chan struct{}
	watched bool
}

// NewLog returns a log keeping at most limit callbacks.
func NewLog(limit int) *Log {
	return &Log{records: bounded.New[*entry](limit), changed: make(chan struct{})}
}

// reset empties the log.
func (l *Log) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records.Reset()
	l.notify()
}

// notify wakes every waiter; l.mu is held.
func (l *Log) notify() {
	if l.watched {
		close(l.changed)
		l.changed, l.watched = make(chan struct{}), false
	}
}

// add records a callback about to be delivered.
func (l *Log) add(c *wire.Callback, now time.Time) *entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	e := &entry{seq: l.seq, created: now, eid: c.EID, account: c.Account, service: c.Service, step: int32(c.Step), message: c.Message}
	e.attempts = e.first[:0]
	l.records.Append(e)
	l.notify()
	return e
}

// message is the message of e without the credentials an attempt puts in
// it (the listener's of that moment).
func (l *Log) message(e *entry) wire.CallbackMessage {
	l.mu.Lock()
	msg := e.message
	l.mu.Unlock()
	msg.Username, msg.Password = "", ""
	return msg
}

// attempted records a delivery attempt and the callback's new state.
func (l *Log) attempted(e *entry, a Attempt, state string, msg wire.CallbackMessage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.attempts = append(e.attempts, a)
	e.state = stateIndex(state)
	e.message = msg
	l.notify()
}

// gaveUp records that a callback was given up on.
func (l *Log) gaveUp(e *entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.state = stateIndex(StateGivenUp)
	l.notify()
}

// Filter selects records; empty fields match all. A page holds the
// matching records after the one numbered After (Seq), oldest first, at
// most Limit of them (0: all).
type Filter struct {
	RequestID string
	EID       string
	After     int
	Limit     int
}

func (f Filter) match(e *entry) bool {
	return (f.RequestID == "" || e.message.RequestID == f.RequestID) && (f.EID == "" || e.eid == f.EID)
}

// Records returns copies of a page of the matching records, and the Seq to
// give as After for the next page (0 when this one is the last).
func (l *Log) Records(f Filter) (page []Record, next int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	page = []Record{}
	for _, e := range l.records.All() {
		if e.seq <= f.After || !f.match(e) {
			continue
		}
		if f.Limit > 0 && len(page) == f.Limit {
			return page, page[len(page)-1].Seq
		}
		page = append(page, e.record())
	}
	return page, 0
}

// Wait waits until at least min matching callbacks have had an attempt
// and, together, at least attempts attempts (counting every page), or until
// ctx ends; it returns the page of f either way.
func (l *Log) Wait(ctx context.Context, f Filter, min, attempts int) ([]Record, int) {
	for {
		l.mu.Lock()
		tried, total := 0, 0
		for _, e := range l.records.All() {
			if f.match(e) && len(e.attempts) > 0 {
				tried++
				total += len(e.attempts)
			}
		}
		changed := l.changed
		l.watched = true
		l.mu.Unlock()
		if tried >= min && total >= attempts {
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return l.Records(f)
		}
	}
	return l.Records(f)
}
