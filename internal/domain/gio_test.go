package domain

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/internal/wire"
)

// at returns a change to the profile iccid of a device.
func at(iccid string, f func(*Profile)) func(*Device) {
	return func(d *Device) { f(&d.Profiles[d.profile(iccid)]) }
}

func suspended(p *Profile)   { p.Suspended = true }
func deactivated(p *Profile) { p.Deactivated = true }
func fallback(p *Profile)    { p.Fallback = true }

func deviceSuspended(d *Device) { d.ProfilesSuspended = true }

// full fills the eUICC up to maxProfiles.
func full(d *Device) {
	for i := len(d.Profiles); i < maxProfiles; i++ {
		d.Profiles = append(d.Profiles, Profile{ICCID: fmt.Sprint("x", i), Type: ProfileLocal, Status: StatusDisabled})
	}
}

// setStatuses sets the status of the first profiles, in the order of
// testDevice's.
func setStatuses(s ...string) func(*Device) {
	return func(d *Device) {
		for i, st := range s {
			d.Profiles[i].Status = st
		}
	}
}

func add(p Profile) func(*Device) {
	return func(d *Device) { d.Profiles = append(d.Profiles, p) }
}

func remove(iccid string) func(*Device) {
	return func(d *Device) {
		d.Profiles = append(d.Profiles[:d.profile(iccid)], d.Profiles[d.profile(iccid)+1:]...)
	}
}

func both(fs ...func(*Device)) func(*Device) {
	return func(d *Device) {
		for _, f := range fs {
			f(d)
		}
	}
}

// The rules of every Global IoT action, on testDevice (boot: the
// bootstrap, disabled; on: enabled; off: disabled; new: being installed)
// after setup: the refusal's code, or what the action changes.
func TestGIORules(t *testing.T) {
	tests := []struct {
		name    string
		action  string
		iccid   string
		setup   func(*Device)
		refusal string // the code, "" when accepted
		change  func(*Device)
	}{
		{"activate reactivates the named profile", GIOActivate, "off", at("off", deactivated), "", at("off", func(p *Profile) { p.Deactivated = false })},
		{"activate without an ICCID: the enabled profile", GIOActivate, "", at("on", deactivated), "", at("on", func(p *Profile) { p.Deactivated = false })},
		{"activate an active profile changes nothing", GIOActivate, "off", nil, "", nil},
		{"activate an unknown ICCID", GIOActivate, "nope", nil, "8.2.1/3.9", nil},
		{"activate a profile being installed", GIOActivate, "new", nil, "8.2.1/1.2", nil},

		{"deactivate the named profile", GIODeactivate, "off", nil, "", at("off", deactivated)},
		{"deactivate without an ICCID: the enabled profile", GIODeactivate, "", nil, "", at("on", deactivated)},
		{"deactivate a deactivated profile", GIODeactivate, "off", at("off", deactivated), "GIO.Profile.AlreadyDeactivated", nil},

		{"enable disables every other profile", GIOEnable, "off", nil, "", setStatuses(StatusDisabled, StatusDisabled, StatusEnabled)},
		{"enable the enabled profile changes nothing", GIOEnable, "on", nil, "", nil},
		{"enable a deactivated profile", GIOEnable, "off", at("off", deactivated), "GIO.Profile.Deactivated", nil},
		{"enable a suspended profile", GIOEnable, "off", at("off", suspended), "GIO.Profile.Suspended", nil},
		{"enable on a suspended device", GIOEnable, "off", deviceSuspended, "GIO.Profile.Suspended", nil},
		{"enable when the enabled profile is suspended", GIOEnable, "off", at("on", suspended), "GIO.Device.NotConnected", nil},
		{"enable when the enabled profile is deactivated", GIOEnable, "off", at("on", deactivated), "GIO.Device.NotConnected", nil},
		{"enable an unknown ICCID", GIOEnable, "nope", nil, "8.2.1/3.9", nil},

		{"download_enable enables the new profile", GIODownloadEnable, "dl", nil, "",
			both(setStatuses(StatusDisabled, StatusDisabled), add(Profile{ICCID: "dl", Type: ProfileLocal, Status: StatusEnabled}))},
		{"download_enable a profile already there", GIODownloadEnable, "off", nil, "8.2.1/3.3", nil},
		{"download_enable onto a full eUICC", GIODownloadEnable, "dl", full, "GIO.Device.Full", nil},
		{"download_enable on a device not connected", GIODownloadEnable, "dl", deviceSuspended, "GIO.Device.NotConnected", nil},
		{"download leaves the new profile disabled", GIODownload, "dl", nil, "", add(Profile{ICCID: "dl", Type: ProfileLocal, Status: StatusDisabled})},
		{"download on a device whose enabled profile is deactivated", GIODownload, "dl", at("on", deactivated), "GIO.Device.NotConnected", nil},

		{"delete a disabled profile", GIODelete, "off", nil, "", remove("off")},
		{"delete a suspended, disabled profile", GIODelete, "off", at("off", suspended), "", remove("off")},
		{"delete the enabled profile: disable it first", GIODelete, "on", nil, "GIO.Profile.Enabled", nil},
		{"delete the bootstrap", GIODelete, "boot", nil, "8.2.3/3.8", nil},
		{"delete the profile marked to fall back to", GIODelete, "off", at("off", fallback), "GIO.Profile.Fallback", nil},
		{"delete a profile being installed", GIODelete, "new", nil, "8.2.1/1.2", nil},
		{"delete while another action is pending", GIODelete, "off", func(d *Device) { d.Pending = &Pending{RequestID: "r0"} }, "1.2/4.4", nil},

		{"profile_suspend", GIOProfileSuspend, "off", nil, "", at("off", suspended)},
		{"profile_suspend a suspended profile", GIOProfileSuspend, "off", at("off", suspended), "GIO.Profile.AlreadySuspended", nil},
		{"profile_suspend on a suspended device", GIOProfileSuspend, "off", deviceSuspended, "GIO.Profile.AlreadySuspended", nil},
		{"profile_suspend a deactivated profile", GIOProfileSuspend, "off", at("off", deactivated), "GIO.Profile.Deactivated", nil},
		{"profile_resume", GIOProfileResume, "off", at("off", suspended), "", at("off", func(p *Profile) { p.Suspended = false })},
		{"profile_resume a profile not suspended", GIOProfileResume, "off", nil, "GIO.Profile.AlreadyResumed", nil},
		{"profile_resume on a suspended device", GIOProfileResume, "off", both(deviceSuspended, at("off", suspended)), "GIO.Profile.DeviceSuspended", nil},

		{"device_suspend", GIODeviceSuspend, "", nil, "", deviceSuspended},
		{"device_suspend a suspended device", GIODeviceSuspend, "", deviceSuspended, "GIO.Device.AlreadySuspended", nil},
		{"device_resume keeps a profile suspended on its own", GIODeviceResume, "", both(deviceSuspended, at("off", suspended)), "",
			func(d *Device) { d.ProfilesSuspended = false }},
		{"device_resume a device not suspended", GIODeviceResume, "", at("off", suspended), "GIO.Device.AlreadyResumed", nil},

		{"setfallbackattribute moves the mark", GIOSetFallback, "off", at("on", fallback), "", both(at("on", func(p *Profile) { p.Fallback = false }), at("off", fallback))},
		{"setfallbackattribute without an ICCID: the enabled profile", GIOSetFallback, "", nil, "", at("on", fallback)},
		{"setfallbackattribute on an unknown ICCID", GIOSetFallback, "nope", nil, "8.2.1/3.9", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, want := testDevice(), testDevice()
			if tt.setup != nil {
				tt.setup(d)
				tt.setup(want)
			}
			k := GIOKind(tt.action)
			r := refuse(d, k, tt.iccid)
			if r == nil && tt.refusal != "" || r != nil && r.Code != tt.refusal {
				t.Fatalf("refusal %v, want %q", r, tt.refusal)
			}
			if r == nil {
				k.Apply(d, Result{Device: d, Kind: k, Target: tt.iccid})
				if tt.change != nil {
					tt.change(want)
				}
			}
			if diff := cmp.Diff(want, d); diff != "" {
				t.Errorf("device after (-want +got):\n%s", diff)
			}
		})
	}
}

// ThingSpace's own words for the two refusals it documents.
func TestGIODocumentedRefusals(t *testing.T) {
	d := testDevice()
	if r := GIOKind(GIOProfileResume).Rules(d, "off"); r == nil || r.Desc != "Profile is already resumed" {
		t.Errorf("profile_resume: %v", r)
	}
	at("off", suspended)(d)
	if r := GIOKind(GIOProfileSuspend).Rules(d, "off"); r == nil || r.Desc != "Profile is already suspended" {
		t.Errorf("profile_suspend: %v", r)
	}
}

// A download that names no ICCID gets one of tssim's, unique on the
// eUICC, which the callback of the step that succeeds reports.
func TestGIODownloadAssignsAnICCID(t *testing.T) {
	d := &Device{EID: "89049032000001000000000000005001", State: StateActive, Profiles: []Profile{
		{ICCID: "11245055053268336901", Type: ProfileBootstrap, Status: StatusEnabled},
	}}
	k := GIOKind(GIODownloadEnable)
	seen := map[string]bool{}
	for range 3 {
		if r := k.Rules(d, ""); r != nil {
			t.Fatal(r)
		}
		k.Apply(d, Result{Device: d, Kind: k})
		got := k.Response(Result{Device: d, Kind: k, Step: Step{Result: ResultSuccess}}).(*GIOResponse).DeviceProfileResponse.ICCID
		if !regexp.MustCompile(`^[0-9]{19,20}$`).MatchString(got) || seen[got] || got != d.Enabled() {
			t.Fatalf("assigned %q (enabled %q, seen %v)", got, d.Enabled(), seen)
		}
		seen[got] = true
	}
	if n := len(d.Profiles); n != 4 {
		t.Errorf("%d profiles, want 4", n)
	}
}

func resultsOf(t *testing.T, cb wire.Callback) []GIOProfileResult {
	t.Helper()
	r, ok := cb.Message.DeviceResponse.(*GIOResponse)
	if !ok {
		t.Fatalf("deviceResponse %T", cb.Message.DeviceResponse)
	}
	return r.DeviceProfileResponse.Profiles
}

// device_suspend and device_resume run their scenario on the clock like
// any action; their final callback tells each profile's result, and a
// profile suspended on its own stays suspended when the device resumes.
func TestGIODeviceSuspendAndResumeOnTheClock(t *testing.T) {
	w := newWorld(t)
	if _, due, err := w.sim.StartAction(&Principal{}, GIOKind(GIOProfileSuspend), request("off"), "now"); err != nil || statuses(due)[0] != "Success" {
		t.Fatalf("profile_suspend: %v %v", due, err)
	}
	const (
		suspendedNow = "Profile is suspended"
		resumedNow   = "Profile is resumed"
		already      = "Profile is already suspended"
		stays        = "Profile off was suspended on its own and stays suspended: profile_resume resumes it"
	)
	for _, tt := range []struct {
		action, scenario string
		// status of the last callback, and its results for boot, on and
		// off; suspended is the device after.
		status    string
		results   [3]string
		ok        [3]bool
		suspended bool
	}{
		{GIODeviceSuspend, "late", "Success", [3]string{suspendedNow, suspendedNow, already}, [3]bool{true, true, false}, true},
		{GIODeviceSuspend, "now", "Failed", [3]string{already, already, already}, [3]bool{}, true},
		{GIODeviceResume, "now", "Success", [3]string{resumedNow, resumedNow, stays}, [3]bool{true, true, false}, false},
		{GIODeviceResume, "fail", "Failed", [3]string{"Profile is already resumed", "Profile is already resumed", stays}, [3]bool{}, false},
	} {
		r := request("")
		r.Devices[0].DeviceIDs = r.Devices[0].DeviceIDs[:1]
		w.mu.Lock()
		w.later = nil
		w.mu.Unlock()
		_, due, err := w.sim.StartAction(&Principal{}, GIOKind(tt.action), r, tt.scenario)
		if err != nil {
			t.Fatal(err)
		}
		if tt.scenario == "late" {
			if len(due) != 1 || due[0].Message.Status != "Warning" || resultsOf(t, due[0]) != nil {
				t.Fatalf("%s at once: %+v", tt.action, due)
			}
		}
		w.clock.Advance(time.Hour, nil)
		w.mu.Lock()
		last := append(due, w.later...)[len(due)+len(w.later)-1]
		w.mu.Unlock()
		want := make([]GIOProfileResult, 3)
		for i, iccid := range []string{"boot", "on", "off"} {
			want[i] = GIOProfileResult{ICCID: iccid, Status: "Failed", Description: tt.results[i]}
			if tt.ok[i] {
				want[i].Status = "Success"
			}
		}
		if diff := cmp.Diff(want, resultsOf(t, last)); last.Message.Status != tt.status || diff != "" {
			t.Errorf("%s on %s: %s, results (-want +got):\n%s", tt.action, tt.scenario, last.Message.Status, diff)
		}
		if d, _ := w.sim.Device("e"); d.ProfilesSuspended != tt.suspended || !d.Profiles[d.profile("off")].Suspended {
			t.Errorf("after %s on %s: %+v", tt.action, tt.scenario, d)
		}
	}
}

// Every action's callback names the action, the profile acted on and the
// device as the step left it.
func TestGIOResponse(t *testing.T) {
	for _, tt := range []struct {
		action, target, iccid string
	}{
		{GIOEnable, "off", "off"},
		{GIODeactivate, "", "on"},
		{GIODeviceSuspend, "", ""},
		{GIODownload, "", ""},
	} {
		d := testDevice()
		d.State, d.ServicePlan = StateActive, "RP1"
		k := GIOKind(tt.action)
		got := k.Response(Result{Device: d, Kind: k, Target: tt.target, Step: Step{Result: ResultPending, Status: "Warning", EUICCStatus: "EXECUTED_WITHWARNING"}}).(*GIOResponse).DeviceProfileResponse
		want := GIOProfileResponse{
			DeviceIdentifierCollection: []wire.DeviceID{{Kind: "iccid", ID: "on"}, {Kind: "eid", ID: "e"}},
			State:                      StateActive, ServicePlan: "RP1", ProfileStatus: tt.action, ICCID: tt.iccid, FallbackICCID: "boot",
			EUICCStatus: "EXECUTED_WITHWARNING",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.action, diff)
		}
	}
}
