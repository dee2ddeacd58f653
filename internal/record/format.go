// Package record is `tssim record`: a proxy between a client and
// ThingSpace (or anything that speaks its API) that forwards every call and
// every callback and writes down what it saw, secrets replaced, as one JSON
// value a line (schemas/recording.json). internal/drift replays a recording
// against tssim and reports where the two differ.
package record

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/tssim/tssim/schemas"
)

// Version is the version of the recording format this package writes and
// reads.
const Version = 1

// The types of the lines of a recording: a header first, then the
// exchanges and callbacks as they completed, and an end line when the
// recorder stopped cleanly.
const (
	TypeHeader   = "recording"
	TypeExchange = "exchange"
	TypeCallback = "callback"
	TypeEnd      = "end"
)

// Entry is one line of a recording. Which fields are set depends on Type;
// schemas/recording.json says which.
type Entry struct {
	Type string `json:"type"`
	// Seq numbers the requests and callbacks in the order they reached
	// the recorder (the header is 0); lines are written in the order they
	// completed, so a reader sorts by Seq.
	Seq int `json:"seq"`
	// At is when the request or callback reached the recorder (the
	// header's: when recording started), on the recorder's clock.
	At time.Time `json:"at"`

	// The header's.
	Version  int    `json:"version,omitempty"`
	Upstream string `json:"upstream,omitempty"`
	Clock    string `json:"clock,omitempty"`

	// An exchange's: the catalogue's name of its operation ("" for a path
	// no operation serves), the client's request, the upstream's answer
	// and how long the upstream took. Error says why there is no answer.
	Operation string   `json:"operation,omitempty"`
	Request   *Message `json:"request,omitempty"`
	Response  *Message `json:"response,omitempty"`
	Millis    float64  `json:"ms,omitempty"`
	Error     string   `json:"error,omitempty"`

	// A callback's: the service and account it was registered for (its
	// Request holds its body), where it was forwarded, and the client's
	// acknowledgement.
	Service     string   `json:"service,omitempty"`
	Account     string   `json:"account,omitempty"`
	ForwardedTo string   `json:"forwardedTo,omitempty"`
	Ack         *Message `json:"ack,omitempty"`

	// The end's: how many exchanges and callbacks were recorded.
	Exchanges int `json:"exchanges,omitempty"`
	Callbacks int `json:"callbacks,omitempty"`
}

// Message is a request, an answer or an acknowledgement, as recorded.
type Message struct {
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	Query  string `json:"query,omitempty"`
	Status int    `json:"status,omitempty"`
	// Headers are those that change what ThingSpace or tssim does
	// (RecordedHeaders), credentials replaced.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is a JSON body, Text any other; Omitted is the size of a body
	// too large to record (MaxRecordedBody).
	Body    json.RawMessage `json:"body,omitempty"`
	Text    string          `json:"text,omitempty"`
	Omitted int64           `json:"omitted,omitempty"`
	// Error says why a callback was not acknowledged.
	Error string `json:"error,omitempty"`
}

// Recording is a recording read back: its header, its exchanges and
// callbacks by Seq, and its end line if it has one.
type Recording struct {
	Header  Entry
	Entries []Entry
	End     *Entry
}

// Offset is how long after the start of the recording e happened.
func (r *Recording) Offset(e *Entry) time.Duration { return e.At.Sub(r.Header.At) }

// maxLine bounds one line of a recording when it is read: a recorded body
// is at most MaxRecordedBody, escaped.
const maxLine = 4*MaxRecordedBody + 1<<20

// Read reads a recording, each line checked against
// schemas/recording.json; an error names the line and the place in it.
// The whole recording is held in memory.
func Read(r io.Reader) (*Recording, error) {
	schema, err := schemas.Compile("recording.json")
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	rec := &Recording{}
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		e, err := decodeLine(schema, line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		switch {
		case n == 1 && e.Type != TypeHeader:
			return nil, fmt.Errorf("line 1: /type: %q, but a recording starts with its header (type %q)", e.Type, TypeHeader)
		case n > 1 && e.Type == TypeHeader:
			return nil, fmt.Errorf("line %d: /type: a second header", n)
		case rec.End != nil:
			return nil, fmt.Errorf("line %d: after the end line", n)
		}
		switch e.Type {
		case TypeHeader:
			if e.Version != Version {
				return nil, fmt.Errorf("line 1: /version: %d, but this tssim reads version %d", e.Version, Version)
			}
			rec.Header = *e
		case TypeEnd:
			rec.End = e
		default:
			rec.Entries = append(rec.Entries, *e)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", n+1, maxLine)
		}
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("empty: a recording starts with its header")
	}
	slices.SortStableFunc(rec.Entries, func(a, b Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	return rec, nil
}

// ReadFile reads the recording at path (Read); an error names the file.
func ReadFile(path string) (*Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rec, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rec, nil
}

func decodeLine(schema *jsonschema.Schema, line []byte) (*Entry, error) {
	if err := schemas.Check(schema, line); err != nil {
		return nil, err
	}
	var e Entry
	if err := json.Unmarshal(line, &e); err != nil {
		return nil, err
	}
	return &e, nil
}
