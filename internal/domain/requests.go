package domain

import (
	"cmp"
	"slices"
	"strings"

	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
)

// A request's status: what each device of an accepted request has come
// to, for GET …/accounts/{accountName}/requests/{requestId}/status (v1 and
// v2). A device is Pending until its scenario runs a step whose result is
// not pending (the step of its final callback, sent or not), then Success
// or Failure as that step says; a device refused by the SM-SR's rules is
// a Failure at once, as its callback says.

// Statuses of a request and of each of its devices, in the words of the
// SDKs' RequestStatus enum. ThingSpace's page says "Failed" where the SDKs
// say "Failure"; Verizon's Go SDK refuses any value but these three.
const (
	RequestPending = "Pending"
	RequestSuccess = "Success"
	RequestFailure = "Failure"
)

// DefaultRequests is how many requests a world remembers the status of
// when Config.Requests does not say.
const DefaultRequests = 10_000

// MaxRequestDevices is how many devices of one request its status names
// one by one (the v2 answer's subrequests hold at most 100); the others
// are only counted, so that a request of 10,000 devices costs no more to
// remember than one of 100.
const MaxRequestDevices = 100

// Codes of tssim's own: ThingSpace documents none for these.
const (
	// CodeRequestNotFound answers a requestId that is unknown, forgotten
	// (the oldest past Config.Requests), or another account's: the three
	// are not told apart.
	CodeRequestNotFound = "UnifiedWebService.REQUEST_FAILED.Request.NotFound"
	// CodeRequestNotSingle answers the v1 status of a request that did not
	// name exactly one device: v1 serves single-device requests only.
	CodeRequestNotSingle = "UnifiedWebService.INPUT_INVALID.Request.MultipleDevices"
)

// outcome is what one device of a request has come to.
type outcome uint8

const (
	pending outcome = iota
	succeeded
	failed
	outcomes
)

var outcomeWords = [outcomes]string{RequestPending, RequestSuccess, RequestFailure}

// requestState is one accepted request, as its status tells it.
type requestState struct {
	// key names it in a state file (RequestKey), and ends with its
	// requestId.
	key     string
	seq     uint64
	account string
	// devices are its first MaxRequestDevices devices, each named by the
	// identifier the request named it by (its EID when the request gave
	// one); rest counts the outcomes of the others.
	devices []requestDevice
	rest    [outcomes]int
}

type requestDevice struct {
	id      wire.DeviceID
	outcome outcome
}

// id is the request's requestId.
func (r *requestState) id() string { return idOfKey(r.key) }

// counts is how many of the request's devices came to each outcome.
func (r *requestState) counts() [outcomes]int {
	c := r.rest
	for _, d := range r.devices {
		c[d.outcome]++
	}
	return c
}

// status is the request's overall status: Pending while any device is,
// then Success when every one succeeded, else Failure.
func (r *requestState) status() string {
	switch c := r.counts(); {
	case c[pending] > 0:
		return RequestPending
	case c[failed] > 0:
		return RequestFailure
	}
	return RequestSuccess
}

// requestLog is the world's last requests: at most Sim.maxRequests of
// them, the oldest forgotten first.
type requestLog struct {
	byID map[string]*requestState
	// order holds their keys, oldest first.
	order []string
	seq   uint64
}

// add remembers r and tells forgot the key of each request forgotten to
// make room for it.
func (l *requestLog) add(r *requestState, limit int, forgot func(key string)) {
	l.byID[r.id()] = r
	l.order = append(l.order, r.key)
	l.seq = max(l.seq, r.seq+1)
	for len(l.order) > limit {
		forgot(l.order[0])
		delete(l.byID, idOfKey(l.order[0]))
		// Slicing off the front, append reallocates with the live ids only:
		// the array stays within twice the limit.
		l.order = l.order[1:]
	}
}

// remember adds the request whose key is key, made with its number
// s.requests.seq, every device of it pending; s.mu is held.
func (s *Sim) remember(key, account string, devices []requestDevice, others int) {
	r := &requestState{key: key, seq: s.requests.seq, account: account, devices: devices}
	r.rest[pending] = others
	s.track.Mark(KindRequest, key)
	s.requests.add(r, s.maxRequests, s.forgetRequest)
}

// forgetRequest notes a request forgotten; s.mu is held.
func (s *Sim) forgetRequest(key string) { s.track.Mark(KindRequest, key) }

// rememberActions adds the request of an action, one device per action;
// s.mu is held.
func (s *Sim) rememberActions(key, account string, acts []*deviceAction) {
	named := make([]requestDevice, min(len(acts), MaxRequestDevices))
	for i := range named {
		named[i].id = namedBy(acts[i].deviceIDs, s.device(acts[i].eid))
	}
	s.remember(key, account, named, len(acts)-len(named))
}

// namedBy is the identifier a request named device d by, its EID when it
// gave one (the device's own string then, which the request's record
// shares rather than holding a copy of it).
func namedBy(ids []wire.DeviceID, d *Device) wire.DeviceID {
	for _, id := range ids {
		if strings.EqualFold(id.Kind, "eid") && id.ID == d.EID {
			return wire.DeviceID{Kind: "eid", ID: d.EID}
		}
	}
	for _, id := range ids {
		if k := strings.ToLower(id.Kind); d.has(k, id.ID) {
			return wire.DeviceID{Kind: k, ID: id.ID}
		}
	}
	return ids[0]
}

// settle notes what the device of action a came to, once its scenario
// ran a step whose result is not pending; s.mu is held.
func (s *Sim) settle(a *deviceAction, result string) {
	r := s.requests.byID[a.requestID]
	if r == nil {
		return
	}
	o := failed
	if result == ResultSuccess {
		o = succeeded
	}
	if a.index < len(r.devices) {
		r.devices[a.index].outcome = o
	} else if r.rest[pending] > 0 {
		r.rest[pending]--
		r.rest[o]++
	}
	s.track.Mark(KindRequest, r.key)
}

// RequestStatus is a request's status: overall, and of each of its first
// MaxRequestDevices devices.
type RequestStatus struct {
	RequestID string
	Status    string
	Devices   []DeviceStatus
	// Count is how many devices the request named.
	Count int
}

// DeviceStatus is one device of a request: the identifier the request
// named it by, and its status.
type DeviceStatus struct {
	ID     wire.DeviceID
	Status string
}

// RequestStatus returns the status of a request of account that p may
// act on.
func (s *Sim) RequestStatus(p *Principal, account, requestID string) (*RequestStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.accountFor(p, account); err != nil {
		return nil, err
	}
	r := s.requests.byID[requestID]
	if r == nil || r.account != account {
		return nil, tserr.BadRequest(CodeRequestNotFound, "requestId: request %s of account %s was not found", requestID, account)
	}
	out := &RequestStatus{RequestID: r.id(), Status: r.status(), Devices: make([]DeviceStatus, len(r.devices)), Count: len(r.devices)}
	for i, d := range r.devices {
		out.Devices[i] = DeviceStatus{ID: d.id, Status: outcomeWords[d.outcome]}
	}
	for _, n := range r.rest {
		out.Count += n
	}
	return out, nil
}

// SavedRequest is a request's status as a state file keeps it.
type SavedRequest struct {
	RequestID string               `json:"requestId"`
	Seq       uint64               `json:"seq"`
	Account   string               `json:"account"`
	Devices   []SavedRequestDevice `json:"devices"`
	// Pending, Succeeded and Failed count the devices past Devices.
	Pending   int `json:"pending,omitempty"`
	Succeeded int `json:"succeeded,omitempty"`
	Failed    int `json:"failed,omitempty"`
}

// SavedRequestDevice is one device of a saved request.
type SavedRequestDevice struct {
	wire.DeviceID
	Status string `json:"status"`
}

func (r *requestState) saved() SavedRequest {
	out := SavedRequest{RequestID: r.id(), Seq: r.seq, Account: r.account, Devices: make([]SavedRequestDevice, len(r.devices)),
		Pending: r.rest[pending], Succeeded: r.rest[succeeded], Failed: r.rest[failed]}
	for i, d := range r.devices {
		out.Devices[i] = SavedRequestDevice{DeviceID: d.id, Status: outcomeWords[d.outcome]}
	}
	return out
}

// restoreRequests lays saved requests over the world, oldest first, within
// the world's bound; s.mu is held.
func (s *Sim) restoreRequests(saved []SavedRequest) {
	slices.SortFunc(saved, func(a, b SavedRequest) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, sr := range saved {
		key := RequestKey(sr.Seq, sr.RequestID)
		r := &requestState{key: key, seq: sr.Seq, account: sr.Account, devices: make([]requestDevice, len(sr.Devices))}
		r.rest = [outcomes]int{sr.Pending, sr.Succeeded, sr.Failed}
		for i, d := range sr.Devices {
			r.devices[i] = requestDevice{id: d.DeviceID, outcome: outcome(max(slices.Index(outcomeWords[:], d.Status), 0))}
		}
		s.requests.add(r, s.maxRequests, s.forgetRequest)
	}
}
