package simulator

import (
	"sync"
	"time"

	"github.com/tssim/tssim/internal/bounded"
	"github.com/tssim/tssim/internal/tserr"
)

// requestRecord is one API request as GET /_sim/requests shows it.
type requestRecord struct {
	Seq       int       `json:"seq"`
	Time      time.Time `json:"time"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Status    int       `json:"status"`
	ErrorCode string    `json:"errorCode,omitempty"`
	RequestID string    `json:"requestId,omitempty"`
	// EIDs are the devices a profile action names, the first
	// maxJournalEIDs of them; EIDsOmitted counts the others.
	EIDs        []string `json:"eids,omitempty"`
	EIDsOmitted int      `json:"eidsOmitted,omitempty"`
	Scenario    string   `json:"scenario,omitempty"`
	// Fault is the fault the request got, and who asked for it.
	Fault      string            `json:"fault,omitempty"`
	Violations []tserr.Violation `json:"violations,omitempty"`
	// ViolationsOmitted counts the violations past the first
	// maxJournalViolations, which the journal does not keep.
	ViolationsOmitted int `json:"violationsOmitted,omitempty"`
}

// maxJournalEIDs bounds the devices one record names.
const maxJournalEIDs = 10

// maxJournalViolations bounds the violations one record keeps: a body of
// 10,000 bad devices has 20,000, and the journal keeps 100,000 records.
const maxJournalViolations = 10

// requestJournal keeps the last requests, for GET /_sim/requests.
type requestJournal struct {
	mu      sync.Mutex
	records bounded.List[requestRecord]
	seq     int
}

func newRequestJournal(limit int) *requestJournal {
	return &requestJournal{records: bounded.New[requestRecord](limit)}
}

func (j *requestJournal) add(r requestRecord) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	r.Seq = j.seq
	j.records.Append(r)
}

// page returns the recorded requests after the one numbered after, oldest
// first, at most limit, and the Seq to give as after for the next page (0
// when this one is the last).
func (j *requestJournal) page(after, limit int) ([]requestRecord, int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := []requestRecord{}
	for _, r := range j.records.All() {
		if r.Seq <= after {
			continue
		}
		if len(out) == limit {
			return out, out[len(out)-1].Seq
		}
		out = append(out, r)
	}
	return out, 0
}

// latest is the Seq of the last request recorded.
func (j *requestJournal) latest() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.seq
}

func (j *requestJournal) reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.records.Reset()
}
