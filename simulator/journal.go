package simulator

import (
	"sync"
	"time"

	"github.com/tssim/tssim/internal/bounded"
	"github.com/tssim/tssim/internal/tserr"
)

// RequestRecord is one API request as the request journal keeps it.
type RequestRecord struct {
	Time       time.Time         `json:"time"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	Status     int               `json:"status"`
	ErrorCode  string            `json:"errorCode,omitempty"`
	RequestID  string            `json:"requestId,omitempty"`
	Scenario   string            `json:"scenario,omitempty"`
	Violations []tserr.Violation `json:"violations,omitempty"`
}

// requestJournal keeps the last requests, for GET /_sim/requests.
type requestJournal struct {
	mu      sync.Mutex
	records bounded.List[RequestRecord]
}

func newRequestJournal(limit int) *requestJournal {
	return &requestJournal{records: bounded.New[RequestRecord](limit)}
}

func (j *requestJournal) add(r RequestRecord) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.records.Append(r)
}

// all returns the recorded requests, oldest first.
func (j *requestJournal) all() []RequestRecord {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]RequestRecord(nil), j.records.All()...)
}

func (j *requestJournal) reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.records.Reset()
}
