package domain

import (
	"strings"
	"time"

	"github.com/tssim/tssim/internal/wire"
)

// Kind is one asynchronous operation on devices: the profile actions of
// the SM-SR, the line's service changes, the Global IoT actions. A request
// names devices; each device then runs its scenario on the clock, and the
// step that reports success applies the change. The catalogue of
// operations (internal/thingspace) declares one Kind per operation that
// acts on devices; every kind runs on the same machinery here.
type Kind struct {
	// Name names the action in the journal, on the device waiting for it,
	// in its callbacks' profileStatus and in a state file: unique.
	Name string
	// Service is the callback service its results go to.
	Service string
	// States are the service states a device must be in for a request to
	// be accepted (nil: Active only); a device in another state refuses
	// the whole request with DeviceState.Invalid.
	States []string
	// Rules returns why the action cannot be carried out on d for target
	// (the ICCID the request names with the device, "" when none), or nil.
	// Checked when the request is accepted, failing that device alone
	// through a failure callback, and again when the scenario reports
	// success, since the device may have been replaced meanwhile. Nil
	// accepts everything.
	Rules func(d *Device, target string) *Refusal
	// Apply carries out the action on d once the scenario reports success
	// and Rules pass; r is that step's Result (r.Device is d).
	Apply func(d *Device, r Result)
	// Response builds the deviceResponse of a callback.
	Response func(Result) any
}

// Result is what a callback tells of a device: the device as the step left
// it, and the step.
type Result struct {
	Device *Device
	Kind   *Kind
	// Target is the ICCID the request named with the device ("" when
	// none); SMSROID the request's SM-SR.
	Target  string
	SMSROID string
	// Params are the request's parameters for the kind
	// (wire.ActionRequest.Params).
	Params map[string]string
	// At is when the step ran, on the simulator's clock: the request's
	// time and the step's After, whenever the step actually ran.
	At   time.Time
	Step Step
}

// allows reports whether a device in state may take k.
func (k *Kind) allows(state string) bool {
	if k.States == nil {
		return state == StateActive
	}
	for _, s := range k.States {
		if s == state {
			return true
		}
	}
	return false
}

// identifiers lists d's identifiers as a callback names them: IMEI, the
// enabled profile's ICCID, MDN, EID, those it has.
func (d *Device) identifiers() []wire.DeviceID {
	all := [...]wire.DeviceID{{Kind: "imei", ID: d.IMEI}, {Kind: "iccid", ID: d.Enabled()}, {Kind: "mdn", ID: d.MDN}, {Kind: "eid", ID: d.EID}}
	n := 0
	for _, id := range all {
		if id.ID != "" {
			all[n] = id
			n++
		}
	}
	ids := make([]wire.DeviceID, n)
	copy(ids, all[:n])
	return ids
}

// needs says which service states k takes, for a refusal's message.
func (k *Kind) needs() string {
	if k.States == nil {
		return StateActive
	}
	return strings.Join(k.States, " or ")
}

// iccidOf returns the ICCID among a request's identifiers of one device.
func iccidOf(ids []wire.DeviceID) string {
	for _, id := range ids {
		if strings.EqualFold(id.Kind, "iccid") {
			return id.ID
		}
	}
	return ""
}

// find returns the device a request's identifiers name, and the identifier
// that named it (or the first, when none does): by EID when one is given,
// else by IMEI, MDN or the ICCID of a profile on it; s.mu is held.
func (s *Sim) find(ids []wire.DeviceID) (*Device, string) {
	for _, id := range ids {
		if strings.EqualFold(id.Kind, "eid") {
			return s.device(id.ID), id.ID
		}
	}
	for _, id := range ids {
		if d := s.deviceBy(strings.ToLower(id.Kind), id.ID); d != nil {
			return d, id.ID
		}
	}
	if len(ids) == 0 {
		return nil, "(no identifier)"
	}
	return nil, ids[0].ID
}

// own makes a request's identifiers of d share d's strings where they are
// the same: an action keeps its request's identifiers in every callback
// it makes, and strings the device holds anyway cost nothing more to keep.
func (d *Device) own(ids []wire.DeviceID) {
	for i := range ids {
		ids[i].ID = d.ownID(ids[i].ID)
	}
}

func (d *Device) ownID(id string) string {
	for _, own := range [...]string{d.EID, d.IMEI, d.MDN} {
		if own == id {
			return own
		}
	}
	if i := d.profile(id); i >= 0 {
		return d.Profiles[i].ICCID
	}
	return id
}
