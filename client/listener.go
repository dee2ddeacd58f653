package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tssim/tssim/schemas"
)

// Result is what one callback said about one device (or, for the v2
// device list, about its request).
type Result struct {
	RequestID string
	// EID is the device's EID when the callback names it.
	EID string
	// DeviceIDs are every identifier the callback gives the device: those
	// the request named it by, then those of its result.
	DeviceIDs []DeviceID
	// Service is the callback service the callback came to:
	// ServiceDeviceProfile or ServiceCarrier, told by its deviceResponse,
	// or for a faultResponse by the request's expectation; "" when
	// neither tells.
	Service string
	// Response is the member of deviceResponse that carries the result
	// (deviceProfileResponse, activateResponse, deviceListResponse...);
	// "" for a faultResponse.
	Response string
	// Action is the operation reported: a profile action's profileStatus
	// (delete, profile_suspend...) or a line change (activate...); "" for
	// the device list and a faultResponse.
	Action        string
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
	Message   Callback
}

// Device is the key the listener files the result under, and Await
// returns it by: the EID, or for a callback naming none the first
// identifier it names as kind:id; "" for a result about a request.
func (r Result) Device() string {
	if r.EID != "" {
		return r.EID
	}
	if len(r.DeviceIDs) > 0 {
		return idKey(r.DeviceIDs[0])
	}
	return ""
}

// Listener is an http.Handler for ThingSpace's callbacks: the
// DeviceProfileService ones (local and Global IoT profile actions, the v2
// device list) and the CarrierService ones (line changes), so that one
// URL may be registered for both. It checks and acknowledges each, drops
// duplicates (the same requestId, device, status and status code again,
// whatever its callbackCount, or anything after the device's final
// result), treats warnings as not final, and lets the application wait
// for the final result of every device of a request or read every result
// as it comes.
type Listener struct {
	validate bool
	mu       sync.Mutex
	seen     map[dedupKey]bool
	requests map[string]*request
	log      []Result
	dropped  int
	changed  chan struct{}
}

// request is what the listener knows of one request: the devices and
// service a client said it waits for, and the final results so far.
type request struct {
	service  string
	expected []Identifiers
	// final holds the final results by Result.Device; named holds every
	// identifier they give, as idKey, for matching expected devices.
	final map[string]Result
	named map[string]bool
	// logged are the places of its results in the listener's log.
	logged []int
}

// complete reports whether every expected device (at least one result
// when none was expected) has its final result.
func (r *request) complete() bool {
	if len(r.final) == 0 {
		return false
	}
	for _, ids := range r.expected {
		if !slices.ContainsFunc(ids, func(id DeviceID) bool { return r.named[idKey(id)] }) {
			return false
		}
	}
	return true
}

// dedupKey is what makes two callbacks the same result: a retry
// (callbackCount 2, 3...) of one the listener took is a duplicate.
type dedupKey struct {
	requestID, device, status, euiccStatus, code string
}

// idKey is an identifier as the listener compares them: the kind in lower
// case, msisdn as mdn.
func idKey(id DeviceID) string {
	kind := strings.ToLower(id.Kind)
	if kind == "msisdn" {
		kind = "mdn"
	}
	return kind + ":" + id.ID
}

// ListenerOption configures a Listener.
type ListenerOption func(*Listener)

// ValidateCallbacks makes the listener check every callback against the
// schema of its shape, as ThingSpace (and tssim) sends it:
// schemas/callback.json for a local profile action's,
// gio-callback.json, carrier-callback.json, device-list-callback.json for
// the others'; one that breaks it is answered 400 naming the first
// problem.
func ValidateCallbacks() ListenerOption {
	return func(l *Listener) { l.validate = true }
}

// callbackSchemas compiles the embedded callback schemas once; they are
// part of this program, so failing to compile one is a bug in the build.
var callbackSchemas = sync.OnceValue(func() map[string]*jsonschema.Schema {
	out := map[string]*jsonschema.Schema{}
	for _, name := range []string{schemaProfile, schemaGIO, schemaCarrier, schemaList} {
		s, err := schemas.Compile(name)
		if err != nil {
			panic(err)
		}
		out[name] = s
	}
	return out
})

// The schemas of the callbacks' shapes.
const (
	schemaProfile = "callback.json"
	schemaGIO     = "gio-callback.json"
	schemaCarrier = "carrier-callback.json"
	schemaList    = "device-list-callback.json"
)

// Members of deviceResponse the listener tells services apart by.
const (
	responseProfile = "deviceProfileResponse"
	responseList    = "deviceListResponse"
	responseUsage   = "usageResponse"
)

// NewListener returns an empty listener.
func NewListener(opts ...ListenerOption) *Listener {
	l := &Listener{
		seen:     map[dedupKey]bool{},
		requests: map[string]*request{},
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
	if l.validate {
		if err := schemas.Check(callbackSchemas()[schemaOf(body)], body); err != nil {
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

// schemaOf names the schema of a callback's shape, told by the members of
// its deviceResponse: the fault form, and what cannot be read, are held to
// the profile callback's.
func schemaOf(body []byte) string {
	var m struct {
		DeviceResponse map[string]json.RawMessage `json:"deviceResponse"`
	}
	_ = json.Unmarshal(body, &m)
	switch member, _ := responseMember(m.DeviceResponse); {
	case member == responseList:
		return schemaList
	case member == responseProfile:
		var p map[string]json.RawMessage
		if json.Unmarshal(m.DeviceResponse[member], &p) == nil && p["fallbackIccid"] != nil {
			return schemaGIO
		}
	case member != "":
		return schemaCarrier
	}
	return schemaProfile
}

// responseMember returns the member of deviceResponse that holds the
// result (usageResponse aside), and how many there are.
func responseMember(resp map[string]json.RawMessage) (string, int) {
	var member string
	n := 0
	for k := range resp {
		if k != responseUsage {
			member = k
			n++
		}
	}
	return member, n
}

// ParseCallback reads and checks one callback of a service the listener
// takes.
func ParseCallback(body []byte) (Result, error) {
	var m Callback
	if err := json.Unmarshal(body, &m); err != nil {
		return Result{}, fmt.Errorf("callback: not a ThingSpace callback: %w", err)
	}
	var raw struct {
		DeviceResponse map[string]json.RawMessage `json:"deviceResponse"`
	}
	_ = json.Unmarshal(body, &raw)
	res := Result{RequestID: m.RequestID, EID: m.ID("eid"), DeviceIDs: m.identifiers(), Status: m.Status, CallbackCount: m.CallbackCount, Message: m}
	member, members := responseMember(raw.DeviceResponse)
	switch {
	case res.RequestID == "":
		return Result{}, fmt.Errorf("callback: requestId is missing")
	case res.Status == "":
		return Result{}, fmt.Errorf("callback: status is missing")
	case res.CallbackCount < 1:
		return Result{}, fmt.Errorf("callback: callbackCount %d is not 1 or more", res.CallbackCount)
	case m.FaultResponse != nil && members > 0:
		return Result{}, fmt.Errorf("callback: both a deviceResponse and a faultResponse")
	case m.FaultResponse == nil && members != 1:
		return Result{}, fmt.Errorf("callback: deviceResponse holds %d results, want one: %s, %s or a line change's (activateResponse...)", members, responseProfile, responseList)
	}
	if f := m.FaultResponse; f != nil {
		if len(res.DeviceIDs) == 0 {
			return Result{}, fmt.Errorf("callback: a faultResponse needs deviceIds naming the device")
		}
		res.Code, res.Description, res.Final = f.FaultCode, f.FaultString, true
		return res, nil
	}
	res.Response = member
	p := m.DeviceResponse.DeviceProfileResponse
	switch action, line := m.DeviceResponse.Line(); {
	case member == responseList:
		if m.DeviceResponse.DeviceListResponse == nil {
			return Result{}, fmt.Errorf("callback: %s is null", member)
		}
		res.Service = ServiceDeviceProfile
	case len(res.DeviceIDs) == 0:
		return Result{}, fmt.Errorf("callback: no identifier of the device in deviceIds nor in %s", member)
	case member == responseProfile:
		if res.EID == "" {
			return Result{}, fmt.Errorf("callback: no identifier of kind eid in deviceIds or deviceIdentifierCollection")
		}
		res.Service, res.Action = ServiceDeviceProfile, p.ProfileStatus
		res.EUICCStatus, res.Code, res.Description = p.EUICCStatus, p.EUICCStatusCode, p.EUICCStatusDesc
	case line != nil:
		res.Service, res.Action = ServiceCarrier, action
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
	r := l.request(res.RequestID)
	if res.Service == "" {
		res.Service = r.service
	}
	device := res.Device()
	key := dedupKey{res.RequestID, device, res.Status, res.EUICCStatus, res.Code}
	_, settled := r.final[device]
	if l.seen[key] || settled {
		l.dropped++
		return false
	}
	l.seen[key] = true
	if res.Final {
		r.final[device] = res
		for _, id := range res.DeviceIDs {
			r.named[idKey(id)] = true
		}
	}
	r.logged = append(r.logged, len(l.log))
	l.log = append(l.log, res)
	l.changedLocked()
	return true
}

// request returns what the listener knows of a request, new when nothing;
// l.mu is held.
func (l *Listener) request(id string) *request {
	r := l.requests[id]
	if r == nil {
		r = &request{final: map[string]Result{}, named: map[string]bool{}}
		l.requests[id] = r
	}
	return r
}

// changedLocked wakes whoever waits on a change; l.mu is held.
func (l *Listener) changedLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// Expect says which devices a profile action acted on, by EID, so Await
// knows when it is complete.
func (l *Listener) Expect(requestID string, eids ...string) {
	devices := make([]Identifiers, len(eids))
	for i, eid := range eids {
		devices[i] = Identifiers{EID(eid)}
	}
	l.ExpectDevices(requestID, "", devices...)
}

// ExpectDevices says which devices a request acted on, each by the
// identifiers the request named it by (a result naming any of them is
// that device's), and the callback service its results go to (""
// when unknown): Await then knows when the request is complete. A Client
// made WithListener calls it by itself.
func (l *Listener) ExpectDevices(requestID, service string, devices ...Identifiers) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.request(requestID)
	if service != "" {
		r.service = service
		// Results may come before the answer that says what they are for
		// (ThingSpace sends the first callbacks as soon as it answered):
		// those that could not tell their service get it now.
		for k, res := range r.final {
			if res.Service == "" {
				res.Service = service
				r.final[k] = res
			}
		}
		for _, i := range r.logged {
			if l.log[i].Service == "" {
				l.log[i].Service = service
			}
		}
	}
	r.expected = append(r.expected, devices...)
	l.changedLocked()
}

// Await waits for the final result of every device expected for
// requestID (one result when none was expected) and returns them by
// Result.Device: the EID of a device whose callbacks name it. When ctx
// ends first it returns the final results so far and ctx's error.
func (l *Listener) Await(ctx context.Context, requestID string) (map[string]Result, error) {
	for {
		l.mu.Lock()
		var got map[string]Result
		done, want := false, 0
		if r := l.requests[requestID]; r != nil {
			got, done, want = maps.Clone(r.final), r.complete(), len(r.expected)
		}
		changed := l.changed
		l.mu.Unlock()
		if done {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, fmt.Errorf("waiting for the results of request %s: %d of %d devices final: %w", requestID, len(got), max(want, 1), ctx.Err())
		}
	}
}

// FinalOf returns the final result of the device of a request that ids
// name (any of them), if it came.
func (l *Listener) FinalOf(requestID string, ids ...DeviceID) (Result, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.requests[requestID]
	if r == nil {
		return Result{}, false
	}
	for _, res := range r.final {
		for _, id := range res.DeviceIDs {
			if slices.ContainsFunc(ids, func(want DeviceID) bool { return idKey(want) == idKey(id) }) {
				return res, true
			}
		}
	}
	return Result{}, false
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
