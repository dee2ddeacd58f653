package domain

import (
	"cmp"
	"fmt"
	"strconv"
	"time"

	"github.com/tssim/tssim/internal/wire"
)

// The line's service changes, as the last element of their ThingSpace
// path (…/devices/actions/activate and its siblings).
const (
	ActionActivate   = "activate"
	ActionDeactivate = "deactivate"
	ActionSuspend    = "suspend"
	ActionRestore    = "restore"
)

// ParamServicePlan names the plan an activate gives its lines, in
// wire.ActionRequest.Params.
const ParamServicePlan = "servicePlan"

// AutoResumeAfter is how long a suspended line stays so before it returns
// to Active on its own, as its suspend callback's autoResumeDate says.
// ThingSpace documents that such a date exists, not how far off: 90 days
// is tssim's choice. tssim reports the date and does not resume the line.
const AutoResumeAfter = 90 * 24 * time.Hour

// lines are the service changes of a line, by action: the states a device
// must be in for it (nil: Active) and what it does once the scenario
// reports success. The transitions are those of ThingSpace's doc page
// "About Device States": Active to Suspend or Deactive, Suspend to Active,
// Deactive to Active.
var lines = map[string]struct {
	from  []string
	apply func(*Device, Result)
}{
	ActionActivate:   {[]string{StateDeactive}, activateLine},
	ActionDeactivate: {nil, deactivateLine},
	ActionSuspend:    {nil, func(d *Device, _ Result) { d.State = StateSuspend }},
	ActionRestore:    {[]string{StateSuspend}, func(d *Device, _ Result) { d.State = StateActive }},
}

// LifecycleKind is the carrier's service change of that name (activate,
// deactivate, suspend, restore), reported to CarrierService. It panics on
// any other name: the catalogue is code.
func LifecycleKind(action string) *Kind {
	l, ok := lines[action]
	if !ok {
		panic("domain: no line action " + action)
	}
	key := action + "Response"
	return &Kind{
		Name:    action,
		Service: wire.ServiceCarrier,
		States:  l.from,
		Apply:   l.apply,
		Response: func(r Result) any {
			d := r.Device
			resp := &CarrierResponse{DeviceIDs: d.identifiers(), State: d.State, ServicePlan: d.ServicePlan, IPAddress: d.IPAddress}
			if action == ActionSuspend && r.Step.Result == ResultSuccess && d.State == StateSuspend {
				resp.AutoResumeDate = r.At.Add(AutoResumeAfter).UTC().Format(time.RFC3339)
			}
			return map[string]*CarrierResponse{key: resp}
		},
	}
}

// CarrierResponse is the line as a service change left it, in a
// CarrierService callback's deviceResponse under "<action>Response".
// ThingSpace documents no REST body for these callbacks: this shape is
// tssim's, the DeviceProfileResponse's envelope around the line's state
// (schemas/carrier-callback.json).
type CarrierResponse struct {
	// DeviceIDs are every identifier the device has now: IMEI, the
	// enabled profile's ICCID, MDN (none once deactivated), EID.
	DeviceIDs   []wire.DeviceID `json:"deviceIds"`
	State       string          `json:"state"`
	ServicePlan string          `json:"servicePlan"`
	IPAddress   string          `json:"ipAddress"`
	// AutoResumeDate is when a suspended line returns to Active on its
	// own (RFC 3339): in the callback of the step that suspended it.
	AutoResumeDate string `json:"autoResumeDate,omitempty"`
}

// activateLine gives a deactivated line service again, on the plan the
// request names, with an MDN and an IP address derived from the device
// (see lineNumber).
func activateLine(d *Device, r Result) {
	n := lineNumber(d)
	d.State = StateActive
	d.ServicePlan = cmp.Or(r.Params[ParamServicePlan], d.ServicePlan)
	d.MDN = fmt.Sprintf("5%09d", n)
	d.IPAddress = fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
}

// deactivateLine ends a line's service: it loses its MDN and IP address
// and keeps the rest (EID, IMEI, profiles, plan).
func deactivateLine(d *Device, _ Result) {
	d.State = StateDeactive
	d.MDN = ""
	d.IPAddress = ""
}

// lineNumber is what an activated line's MDN and IP address are made
// from: the last nine digits of the device's IMEI, or of its EID when it
// has none. A test thus knows them beforehand, two devices get the same
// ones only when those digits agree, and a generated device (internal/gen,
// whose IMEI ends in its index) gets back the very MDN and IP address it
// started with.
func lineNumber(d *Device) int {
	id := cmp.Or(d.IMEI, d.EID)
	n, _ := strconv.Atoi(id[max(0, len(id)-9):])
	return n
}
