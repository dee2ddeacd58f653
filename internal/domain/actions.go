package domain

import (
	"slices"
	"strconv"
	"time"

	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
)

// ScenarioHeader names the scenario of every device of one request.
const ScenarioHeader = "X-Tssim-Scenario"

// MaxDevices is how many devices one request may name.
const MaxDevices = 10000

type deviceAction struct {
	// key names the action in a state file: its requestId and index,
	// the device's place in the request.
	key       string
	requestID string
	index     int
	kind      *Kind
	account   string
	eid       string
	iccid     string
	smsrOID   string
	params    map[string]string
	deviceIDs []wire.DeviceID
	scenario  *Scenario
	// device is the device as an older state file saved it with the
	// action (nil for an action of this run, whose device is a record of
	// the file's own, there for the action's whole life).
	device *Device
	done   bool
	gen    uint64
	// started is when the request was accepted; fired counts the steps
	// run so far.
	started time.Time
	fired   int
}

// StartAction accepts an action of kind k for every device of req, or
// refuses the whole request with a *tserr.Error. scenario, when not empty,
// overrides every device's scenario. Each device's scenario then runs on
// the clock: StartAction returns the callbacks of the steps due at once,
// for the caller to send once it has answered; later steps' callbacks go
// to Config.Deliver.
func (s *Sim) StartAction(p *Principal, k *Kind, req *wire.ActionRequest, scenario string) (string, []wire.Callback, error) {
	if len(req.Devices) > MaxDevices {
		return "", nil, tserr.BadRequest(tserr.CodeMaxRequests, "/devices: %d devices exceed the limit of %d per request", len(req.Devices), MaxDevices)
	}
	if err := s.knownScenario(ScenarioHeader, scenario); err != nil {
		return "", nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key, acts, err := s.accept(p, k, req)
	if err != nil {
		return "", nil, err
	}
	s.rememberActions(key, s.accounts[req.AccountName].Name, acts)
	now := s.clock.Now()
	for _, a := range acts {
		d := s.device(a.eid)
		if r := refuse(d, k, a.iccid); r != nil {
			a.scenario = s.refusal(r)
			continue
		}
		var from string
		a.scenario, from = s.scenarioFor(d, scenario)
		d = s.mutable(a.eid)
		d.Pending = &Pending{RequestID: a.requestID, Action: k.Name, ICCID: a.iccid, Scenario: a.scenario.Name, ScenarioFrom: from, Since: now}
	}
	due := make([]wire.Callback, 0, len(acts))
	for _, a := range acts {
		s.actions[a.key] = a
		s.track.Mark(KindAction, a.key)
		s.schedule(a, &due)
		s.noteNextStep(a)
	}
	return idOfKey(key), due, nil
}

// accept checks the account and every device of a request, and makes its
// key and one action per device, each keyed by the request's key and its
// index; s.mu is held.
func (s *Sim) accept(p *Principal, k *Kind, req *wire.ActionRequest) (string, []*deviceAction, error) {
	if err := s.accountFor(p, req.AccountName); err != nil {
		return "", nil, err
	}
	// The first device's key is made with the request's, which is its
	// head.
	key0 := newRequestKey(s.requests.seq, "/0")
	requestKey := key0[:len(key0)-2]
	requestID := idOfKey(requestKey)
	now := s.clock.Now()
	// The account's own strings where the request's are the same: every
	// callback of the request keeps them.
	account, smsrOID := s.accounts[req.AccountName], req.SMSROID
	if smsrOID == account.SMSROID {
		smsrOID = account.SMSROID
	}
	acts := make([]*deviceAction, len(req.Devices))
	for i, dev := range req.Devices {
		d, named := s.find(dev.DeviceIDs)
		if d == nil || d.Account != req.AccountName {
			return "", nil, tserr.BadRequest(tserr.CodeDeviceNotFound, "/devices/%d: device %s was not found in account %s", i, named, req.AccountName)
		}
		if !k.allows(d.State) {
			return "", nil, tserr.BadRequest(tserr.CodeDeviceStateInvalid, "/devices/%d: device %s is %s: %s needs %s", i, named, d.State, k.Name, k.needs())
		}
		key := key0
		if i > 0 {
			key = requestKey + "/" + strconv.Itoa(i)
		}
		ids := s.shareIDs(d, dev.DeviceIDs)
		acts[i] = &deviceAction{
			key: key, requestID: requestID, index: i, kind: k, account: account.Name, eid: d.EID, iccid: iccidOf(ids),
			smsrOID: smsrOID, params: req.Params, deviceIDs: ids, gen: s.gen, started: now,
		}
	}
	return requestKey, acts, nil
}

// schedule runs the steps of a that are due, adding their callbacks to
// due; the later ones run on the clock, their callbacks delivered then.
// s.mu is held.
func (s *Sim) schedule(a *deviceAction, due *[]wire.Callback) {
	now := s.clock.Now()
	for i := a.fired; i < len(a.scenario.Steps); i++ {
		wait := a.started.Add(time.Duration(a.scenario.Steps[i].After)).Sub(now)
		if wait <= 0 {
			s.fire(a, i, due)
			continue
		}
		s.later(a, i, now.Add(wait))
	}
}

// scenarioFor picks a device's scenario, and says where it came from: the
// request's, the device's, the account's, the default, first match wins.
func (s *Sim) scenarioFor(d *Device, requested string) (*Scenario, string) {
	for _, c := range []struct{ name, from string }{{requested, FromHeader}, {d.Scenario, FromDevice}, {s.accounts[d.Account].Scenario, FromAccount}} {
		if sc, ok := s.scenarios[c.name]; ok {
			return sc, c.from
		}
	}
	return s.scenarios[s.defaultScenario], FromDefault
}

// noteNextStep sets, on the device waiting on a, when a's next step is
// due; s.mu is held.
func (s *Sim) noteNextStep(a *deviceAction) {
	d := s.devices[a.eid]
	if d == nil || d.Pending == nil || d.Pending.RequestID != a.requestID || a.fired >= len(a.scenario.Steps) {
		return
	}
	at := a.started.Add(time.Duration(a.scenario.Steps[a.fired].After))
	d.Pending.NextStepAt = &at
	s.track.Mark(KindDevice, a.eid)
}

// fire runs step i of an action and adds its callbacks to out: it ends
// the action when the step ends it, applying the change when the step
// reports success. s.mu is held.
func (s *Sim) fire(a *deviceAction, i int, out *[]wire.Callback) {
	st := a.scenario.Steps[i]
	if a.gen != s.gen || i < a.fired {
		return
	}
	a.fired = i + 1
	if a.fired == len(a.scenario.Steps) {
		delete(s.actions, a.key)
	}
	s.track.Mark(KindAction, a.key)
	d := s.device(a.eid)
	if !a.done && st.Result != ResultPending {
		a.done = true
		if d != nil && d.Pending != nil && d.Pending.RequestID == a.requestID {
			d = s.mutable(a.eid)
			d.Pending = nil
			if st.Result == ResultSuccess {
				if r := refuse(d, a.kind, a.iccid); r != nil {
					st = s.refusal(r).Steps[0]
				} else if a.kind.Apply != nil {
					a.kind.Apply(d, a.result(d, st))
				}
			}
		}
		s.settle(a, st.Result)
	}
	if d == nil {
		d = a.device
	}
	s.noteNextStep(a)
	msg := s.newMessage(a, d, st)
	for range st.sends() {
		*out = append(*out, wire.Callback{Account: a.account, Service: a.kind.Service, EID: a.eid, Step: i, Message: msg})
	}
}

// newMessage builds the callback for one step of an action on device d:
// the operation's deviceResponse, or ThingSpace's faultResponse when the
// step has a faultcode; s.mu is held.
func (s *Sim) newMessage(a *deviceAction, d *Device, st Step) wire.CallbackMessage {
	msg := wire.CallbackMessage{
		RequestID:            a.requestID,
		DeviceIDs:            a.deviceIDs,
		Status:               st.Status,
		MaxCallbackThreshold: wire.MaxCallbackThreshold,
	}
	if st.FaultCode != "" {
		msg.FaultResponse = &wire.FaultResponse{FaultCode: st.FaultCode, FaultString: st.FaultString}
		return msg
	}
	msg.DeviceResponse = s.share(a.kind.Response(a.result(d, st)))
	return msg
}

// share returns the last profile response made in place of resp when the
// two say the same, so that the callbacks about a device left as it was
// (refused again and again, say) hold one response between them, not one
// each; s.mu is held.
func (s *Sim) share(resp any) any {
	r, ok := resp.(*wire.DeviceResponse)
	if !ok {
		return resp
	}
	if last := s.lastResponse; last != nil && sameProfile(&last.DeviceProfileResponse, &r.DeviceProfileResponse) {
		return last
	}
	s.lastResponse = r
	return r
}

func sameProfile(a, b *wire.DeviceProfileResponse) bool {
	return slices.Equal(a.DeviceIdentifierCollection, b.DeviceIdentifierCollection) &&
		a.IPAddress == b.IPAddress && a.State == b.State && a.ServicePlan == b.ServicePlan &&
		a.DeviceCredential == b.DeviceCredential && a.SMSROID == b.SMSROID && a.ProfileStatus == b.ProfileStatus &&
		a.EUICCStatus == b.EUICCStatus && a.EUICCStatusCode == b.EUICCStatusCode && a.EUICCStatusDesc == b.EUICCStatusDesc
}

// shareIDs returns the identifiers a request names device d by, as an
// action keeps them for every callback it makes: those of the last action
// when they are the same, else ids, sharing d's strings; s.mu is held.
func (s *Sim) shareIDs(d *Device, ids []wire.DeviceID) []wire.DeviceID {
	if slices.Equal(ids, s.lastIDs) {
		return s.lastIDs
	}
	d.own(ids)
	s.lastIDs = ids
	return ids
}

// refusal is the scenario of an action refused by r: the last refusal's
// when r is the same, so that the callbacks of a device refused again and
// again share its text; s.mu is held.
func (s *Sim) refusal(r *Refusal) *Scenario {
	if last := s.refused; last != nil && last.Steps[0].EUICCStatusCode == r.Code && last.Steps[0].EUICCStatusDesc == r.Desc {
		return last
	}
	s.refused = refusalScenario(r)
	return s.refused
}

// result is what step st of a tells of device d.
func (a *deviceAction) result(d *Device, st Step) Result {
	return Result{Device: d, Kind: a.kind, Target: a.iccid, SMSROID: a.smsrOID, Params: a.params, At: a.started.Add(time.Duration(st.After)), Step: st}
}
