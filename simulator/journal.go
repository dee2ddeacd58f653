package simulator

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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
	// EIDs are the devices a device action names, the first 10 of them
	// (thingspace.StartAction notes them); EIDsOmitted counts the others.
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

// maxJournalText bounds each string a journal record keeps that a client
// wrote (the path, the scenario asked for, a violation's pointer and
// message), so that --journal-size bounds the journal's bytes whatever the
// input: 10,000 records of at most about 16 KiB each.
const maxJournalText = 512

// cut returns s, or a copy of its first n bytes (a whole rune) and how
// many were cut: never a slice holding a long string of the client's
// alive.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return strings.Clone(s[:i]) + fmt.Sprintf("…(%d more bytes)", len(s)-i)
}

// knownMethods are the methods a journal record names without a copy.
var knownMethods = map[string]string{}

func init() {
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"} {
		knownMethods[m] = m
	}
}

// ownPath returns a request's path as the journal may keep it: the
// route's own string when the path is that of a route without variables,
// the path itself when the request line is short, else a copy, since the
// path is a slice of the line.
func ownPath(r *http.Request, rt *route, path string) string {
	if rt != nil && rt.path == path {
		return rt.path
	}
	if len(r.RequestURI) <= maxJournalText {
		return path
	}
	return strings.Clone(path)
}

// ownMethod returns the method as a string of its own: the server parses
// it as a slice of the request line, which a kept method would keep whole,
// path and all.
func ownMethod(m string) string {
	if k, ok := knownMethods[m]; ok {
		return k
	}
	return cut(m, 16)
}

// add records a request. The server parses a request's method and path as
// slices of its request line, query string and all: the record keeps the
// method as a string of its own, and the path (a request's ownPath).
func (j *requestJournal) add(r requestRecord) {
	r.Method = ownMethod(r.Method)
	r.Path, r.Scenario = cut(r.Path, maxJournalText), cut(r.Scenario, maxJournalText)
	for i, v := range r.Violations {
		r.Violations[i].Pointer, r.Violations[i].Message = cut(v.Pointer, maxJournalText), cut(v.Message, maxJournalText)
	}
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
