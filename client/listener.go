package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tssim/tssim/schemas"
)

// Result is what one callback said about one device.
type Result struct {
	RequestID     string
	EID           string
	Status        string
	EUICCStatus   string
	Code          string
	Description   string
	CallbackCount int
	// Final is false for a warning: the device was unreachable and the
	// outcome will follow in a later callback.
	Final bool
	// Succeeded is true for a final Success.
	Succeeded bool
	Message   DeviceProfileResponse
}

// Listener is an http.Handler for DeviceProfileResponse callbacks. It
// checks and acknowledges each one, drops duplicates (the same requestId,
// device, status and SM-SR status again, whatever its callbackCount, or
// anything after the device's final result), treats warnings as not final,
// and lets the application wait for the final result of every device of a
// request or read every result as it comes.
type Listener struct {
	schema   *jsonschema.Schema
	mu       sync.Mutex
	seen     map[dedupKey]bool
	final    map[string]map[string]Result
	expected map[string][]string
	log      []Result
	dropped  int
	changed  chan struct{}
}

// dedupKey is what makes two callbacks the same result: a retry
// (callbackCount 2, 3...) of one the listener took is a duplicate.
type dedupKey struct {
	requestID, eid, status, euiccStatus, code string
}

// ListenerOption configures a Listener.
type ListenerOption func(*Listener)

// ValidateCallbacks makes the listener check every callback against
// schemas/callback.json, the shape ThingSpace (and tssim) sends, and answer
// 400 naming the first problem to one that breaks it.
func ValidateCallbacks() ListenerOption {
	return func(l *Listener) { l.schema = callbackSchema() }
}

// callbackSchema compiles the embedded callback schema once; it is part of
// this program, so failing to compile it is a bug in the build.
var callbackSchema = sync.OnceValue(func() *jsonschema.Schema {
	s, err := schemas.Compile("callback.json")
	if err != nil {
		panic(err)
	}
	return s
})

// NewListener returns an empty listener.
func NewListener(opts ...ListenerOption) *Listener {
	l := &Listener{
		seen:     map[dedupKey]bool{},
		final:    map[string]map[string]Result{},
		expected: map[string][]string{},
		changed:  make(chan struct{}),
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

// maxCallbackBytes bounds a callback body.
const maxCallbackBytes = 1 << 20

// ServeHTTP acknowledges a valid callback with 200, and answers 400 (so that
// ThingSpace sends it again) to one it cannot read.
func (l *Listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "callbacks are POSTed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallbackBytes))
	if err != nil {
		http.Error(w, "reading the callback: "+err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	if l.schema != nil {
		if err := schemas.Check(l.schema, body); err != nil {
			http.Error(w, "callback: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	res, err := ParseCallback(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	l.Add(res)
	w.WriteHeader(http.StatusOK)
}

// ParseCallback reads and checks one DeviceProfileResponse.
func ParseCallback(body []byte) (Result, error) {
	var m DeviceProfileResponse
	if err := json.Unmarshal(body, &m); err != nil {
		return Result{}, fmt.Errorf("callback: not a DeviceProfileResponse: %w", err)
	}
	if f := m.FaultResponse; f != nil {
		if m.RequestID == "" || m.ID("eid") == "" {
			return Result{}, fmt.Errorf("callback: a faultResponse needs a requestId and an identifier of kind eid")
		}
		return Result{RequestID: m.RequestID, EID: m.ID("eid"), Status: m.Status, Code: f.FaultCode,
			Description: f.FaultString, CallbackCount: m.CallbackCount, Final: true, Message: m}, nil
	}
	p := m.DeviceResponse.DeviceProfileResponse
	res := Result{
		RequestID: m.RequestID, EID: m.ID("eid"), Status: m.Status, EUICCStatus: p.EUICCStatus,
		Code: p.EUICCStatusCode, Description: p.EUICCStatusDesc, CallbackCount: m.CallbackCount, Message: m,
	}
	switch {
	case res.RequestID == "":
		return Result{}, fmt.Errorf("callback: requestId is missing")
	case res.EID == "":
		return Result{}, fmt.Errorf("callback: no identifier of kind eid in deviceIds or deviceIdentifierCollection")
	case res.Status == "":
		return Result{}, fmt.Errorf("callback: status is missing")
	case res.CallbackCount < 1:
		return Result{}, fmt.Errorf("callback: callbackCount %d is not 1 or more", res.CallbackCount)
	}
	warning := strings.EqualFold(res.Status, "warning") || res.EUICCStatus == "EXECUTED_WITHWARNING"
	res.Final = !warning
	res.Succeeded = res.Final && (strings.EqualFold(res.Status, "success") || res.EUICCStatus == "EXECUTED_SUCCESS")
	return res, nil
}

// Add takes in one parsed callback. It reports false when the callback was
// a duplicate, or a result arriving after the device's final one.
func (l *Listener) Add(res Result) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := dedupKey{res.RequestID, res.EID, res.Status, res.EUICCStatus, res.Code}
	_, settled := l.final[res.RequestID][res.EID]
	if l.seen[key] || settled {
		l.dropped++
		return false
	}
	l.seen[key] = true
	if res.Final {
		if l.final[res.RequestID] == nil {
			l.final[res.RequestID] = map[string]Result{}
		}
		l.final[res.RequestID][res.EID] = res
	}
	l.log = append(l.log, res)
	close(l.changed)
	l.changed = make(chan struct{})
	return true
}

// Expect says which devices a request acted on, so Await knows when it is
// complete. A Client made WithListener calls it by itself.
func (l *Listener) Expect(requestID string, eids ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expected[requestID] = append(l.expected[requestID], eids...)
	close(l.changed)
	l.changed = make(chan struct{})
}

// Await waits for the final result of every device expected for
// requestID (one device when none was expected) and returns them by EID.
// When ctx ends first it returns the final results so far and ctx's error.
func (l *Listener) Await(ctx context.Context, requestID string) (map[string]Result, error) {
	for {
		l.mu.Lock()
		got := make(map[string]Result, len(l.final[requestID]))
		for eid, r := range l.final[requestID] {
			got[eid] = r
		}
		want := l.expected[requestID]
		changed := l.changed
		l.mu.Unlock()
		done := len(got) > 0
		for _, eid := range want {
			if _, ok := got[eid]; !ok {
				done = false
			}
		}
		if done {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, fmt.Errorf("waiting for the results of request %s: %d of %d devices final: %w", requestID, len(got), max(len(want), 1), ctx.Err())
		}
	}
}

// Results returns every result taken in so far (duplicates dropped), in the
// order they arrived.
func (l *Listener) Results() []Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Result(nil), l.log...)
}

// Dropped counts the callbacks ignored as duplicates or stale.
func (l *Listener) Dropped() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}

// Stream sends every result taken in, from the first, until ctx ends; the
// channel is closed then.
func (l *Listener) Stream(ctx context.Context) <-chan Result {
	ch := make(chan Result)
	go func() {
		defer close(ch)
		next := 0
		for {
			l.mu.Lock()
			pending := append([]Result(nil), l.log[next:]...)
			changed := l.changed
			l.mu.Unlock()
			for _, r := range pending {
				select {
				case ch <- r:
					next++
				case <-ctx.Done():
					return
				}
			}
			if len(pending) > 0 {
				continue
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}
