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
	// first holds the first attempt, which most callbacks stop at,
	// without a slice of its own.
	first [1]Attempt
}

// Log keeps the last callbacks with their attempts, and lets a caller wait
// for attempts to be made.
type Log struct {
	mu      sync.Mutex
	records bounded.List[*Record]
	seq     int
	// changed is closed at the next change when a waiter holds it
	// (watched); changes nobody waits for leave it be.
	changed chan struct{}
	watched bool
}

// NewLog returns a log keeping at most limit callbacks.
func NewLog(limit int) *Log {
	return &Log{records: bounded.New[*Record](limit), changed: make(chan struct{})}
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
func (l *Log) add(c *wire.Callback, now time.Time) *Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	r := &Record{
		Seq: l.seq, RequestID: c.Message.RequestID, EID: c.EID, Account: c.Account, Service: c.Service, Step: c.Step,
		Status: c.Message.Status, Created: now, State: StatePending, Message: c.Message,
	}
	r.Attempts = r.first[:0]
	l.records.Append(r)
	l.notify()
	return r
}

// message is the message of r without the credentials an attempt puts in
// it (the listener's of that moment).
func (l *Log) message(r *Record) wire.CallbackMessage {
	l.mu.Lock()
	msg := r.Message
	l.mu.Unlock()
	msg.Username, msg.Password = "", ""
	return msg
}

// attempted records a delivery attempt and the record's new state.
func (l *Log) attempted(r *Record, a Attempt, state string, msg wire.CallbackMessage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r.Attempts = append(r.Attempts, a)
	r.State = state
	r.Message = msg
	l.notify()
}

// gaveUp records that a callback was given up on.
func (l *Log) gaveUp(r *Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r.State = StateGivenUp
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

func (f Filter) match(r *Record) bool {
	return (f.RequestID == "" || r.RequestID == f.RequestID) && (f.EID == "" || r.EID == f.EID)
}

// Records returns copies of a page of the matching records, and the Seq to
// give as After for the next page (0 when this one is the last).
func (l *Log) Records(f Filter) (page []Record, next int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	page = []Record{}
	for _, r := range l.records.All() {
		if r.Seq <= f.After || !f.match(r) {
			continue
		}
		if f.Limit > 0 && len(page) == f.Limit {
			return page, page[len(page)-1].Seq
		}
		c := *r
		c.Attempts = slices.Clone(r.Attempts) // [] before the first attempt, not null
		page = append(page, c)
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
		for _, r := range l.records.All() {
			if f.match(r) && len(r.Attempts) > 0 {
				tried++
				total += len(r.Attempts)
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
