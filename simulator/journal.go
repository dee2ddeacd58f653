package simulator

import (
	"context"
	"sync"
	"time"
)

// RequestRecord is one API request as the request journal keeps it.
type RequestRecord struct {
	Time       time.Time   `json:"time"`
	Method     string      `json:"method"`
	Path       string      `json:"path"`
	Status     int         `json:"status"`
	ErrorCode  string      `json:"errorCode,omitempty"`
	RequestID  string      `json:"requestId,omitempty"`
	Scenario   string      `json:"scenario,omitempty"`
	Violations []Violation `json:"violations,omitempty"`
}

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
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// CallbackRecord is one callback message and every attempt to deliver it.
type CallbackRecord struct {
	Seq       int             `json:"seq"`
	RequestID string          `json:"requestId"`
	EID       string          `json:"eid"`
	Account   string          `json:"account"`
	Step      int             `json:"step"`
	Status    string          `json:"status"`
	Created   time.Time       `json:"created"`
	State     string          `json:"state"`
	Attempts  []Attempt       `json:"attempts"`
	Message   CallbackMessage `json:"message"`
}

// Journal keeps the last requests and callbacks, and lets a caller wait for
// callbacks to be recorded. It holds at most limit entries of each kind,
// dropping the oldest.
type Journal struct {
	limit int

	mu        sync.Mutex
	requests  []RequestRecord
	callbacks []*CallbackRecord
	seq       int
	// changed is closed at the next change when a waiter holds it
	// (watched); changes nobody waits for leave it be.
	changed chan struct{}
	watched bool
}

// NewJournal returns a journal keeping at most limit entries of each kind.
func NewJournal(limit int) *Journal {
	return &Journal{limit: limit, changed: make(chan struct{})}
}

// Reset empties the journal.
func (j *Journal) Reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.requests, j.callbacks = nil, nil
	j.notify()
}

// notify wakes every waiter; j.mu is held.
func (j *Journal) notify() {
	if j.watched {
		close(j.changed)
		j.changed, j.watched = make(chan struct{}), false
	}
}

// AddRequest records one API request.
func (j *Journal) AddRequest(r RequestRecord) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.requests = appendBounded(j.requests, r, j.limit)
}

// Requests returns the recorded requests, oldest first.
func (j *Journal) Requests() []RequestRecord {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]RequestRecord(nil), last(j.requests, j.limit)...)
}

// AddCallback records a callback about to be delivered and returns its record.
func (j *Journal) AddCallback(c Callback, now time.Time) *CallbackRecord {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	r := &CallbackRecord{
		Seq: j.seq, RequestID: c.Message.RequestID, EID: c.EID, Account: c.Account, Step: c.Step,
		Status: c.Message.Status, Created: now, State: DeliveryPending, Attempts: []Attempt{}, Message: c.Message,
	}
	j.callbacks = appendBounded(j.callbacks, r, j.limit)
	j.notify()
	return r
}

// AddAttempt records a delivery attempt and the record's new state.
func (j *Journal) AddAttempt(r *CallbackRecord, a Attempt, state string, msg CallbackMessage) {
	j.mu.Lock()
	defer j.mu.Unlock()
	r.Attempts = append(r.Attempts, a)
	r.State = state
	r.Message = msg
	j.notify()
}

// CallbackFilter selects callback records; empty fields match all.
type CallbackFilter struct {
	RequestID string
	EID       string
}

func (f CallbackFilter) match(r *CallbackRecord) bool {
	return (f.RequestID == "" || r.RequestID == f.RequestID) && (f.EID == "" || r.EID == f.EID)
}

// Callbacks returns copies of the matching records, oldest first.
func (j *Journal) Callbacks(f CallbackFilter) []CallbackRecord {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := []CallbackRecord{}
	for _, r := range last(j.callbacks, j.limit) {
		if f.match(r) {
			c := *r
			c.Attempts = append([]Attempt(nil), r.Attempts...)
			out = append(out, c)
		}
	}
	return out
}

// WaitCallbacks waits until at least min matching callbacks have had an
// attempt and, together, at least attempts attempts, or until ctx ends; it
// returns the matching records either way.
func (j *Journal) WaitCallbacks(ctx context.Context, f CallbackFilter, min, attempts int) []CallbackRecord {
	for {
		j.mu.Lock()
		tried, total := 0, 0
		for _, r := range last(j.callbacks, j.limit) {
			if f.match(r) && len(r.Attempts) > 0 {
				tried++
				total += len(r.Attempts)
			}
		}
		changed := j.changed
		j.watched = true
		j.mu.Unlock()
		if tried >= min && total >= attempts {
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return j.Callbacks(f)
		}
	}
	return j.Callbacks(f)
}

// appendBounded appends v, keeping at most the last limit entries visible
// through last. The slice may hold up to twice limit before the oldest are
// dropped, so that an append costs O(1) amortized even when the journal is
// full.
func appendBounded[T any](s []T, v T, limit int) []T {
	s = append(s, v)
	if limit > 0 && len(s) >= 2*limit {
		n := copy(s, s[len(s)-limit:])
		clear(s[n:])
		s = s[:n]
	}
	return s
}

// last returns the last limit entries of s.
func last[T any](s []T, limit int) []T {
	if limit > 0 && len(s) > limit {
		return s[len(s)-limit:]
	}
	return s
}
