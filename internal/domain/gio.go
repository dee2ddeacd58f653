package domain

import (
	"fmt"

	"github.com/tssim/tssim/internal/wire"
)

// The Global IoT Orchestration (GIO) eSIM actions, Verizon's
// ManagingEsimProfiles API, on the same devices and clock as the SM-SR's
// profile actions (smsr.go). Their rules are those the Global IoT pages
// state: download, download_enable and enable need a connected device;
// one profile is enabled at a time; delete takes a disabled profile that
// is not the fall-back; profile_suspend and profile_resume act on one
// profile, device_suspend and device_resume on every profile of the
// device, and a profile suspended on its own stays suspended when its
// device resumes. Where the pages are silent the choices are tssim's, and
// each is said where it is made.

// GIO actions, as the last element of their ThingSpace path: the word a
// callback's profileStatus carries.
const (
	GIOActivate       = "activate"
	GIODeactivate     = "deactivate"
	GIOEnable         = "enable"
	GIODownload       = "download"
	GIODownloadEnable = "download_enable"
	GIODelete         = "delete"
	GIOProfileSuspend = "profile_suspend"
	GIOProfileResume  = "profile_resume"
	GIODeviceSuspend  = "device_suspend"
	GIODeviceResume   = "device_resume"
	GIOSetFallback    = "setfallbackattribute"
)

// maxProfiles is how many profiles an eUICC holds at most: a Global IoT
// download onto a full one is refused, which bounds what requests can
// add to a device.
const maxProfiles = 10

// GIOKind is the Global IoT action of that name (one of the GIO* words),
// named "gio_" and the word in the journal and a state file, reported to
// DeviceProfileService: ThingSpace names no service for these callbacks,
// so they go where the local-profile results go.
func GIOKind(action string) *Kind {
	g, ok := gioActions[action]
	if !ok {
		panic("domain: no Global IoT action " + action)
	}
	return &Kind{
		Name:     "gio_" + action,
		Service:  wire.ServiceDeviceProfile,
		Rules:    g.rules,
		Apply:    func(d *Device, r Result) { g.apply(d, r.Target) },
		Response: func(r Result) any { return gioResponse(action, r) },
	}
}

type gioAction struct {
	rules func(d *Device, iccid string) *Refusal
	apply func(d *Device, iccid string)
}

// The rules and changes of each action. iccid is the one the request
// names with the device, "" when none: activate, deactivate and
// setfallbackattribute then act on the enabled profile, download and
// download_enable on a profile whose ICCID tssim assigns, as Verizon
// assigns a Global profile's.
var gioActions = map[string]gioAction{
	GIOActivate: {
		rules: targetRules,
		apply: func(d *Device, iccid string) { d.Profiles[d.profile(d.target(iccid))].Deactivated = false },
	},
	GIODeactivate: {
		rules: func(d *Device, iccid string) *Refusal {
			p, r := d.gioProfile(d.target(iccid))
			if r == nil && p.Deactivated {
				r = refuseAlreadyDeactivated(p.ICCID)
			}
			return r
		},
		apply: func(d *Device, iccid string) { d.Profiles[d.profile(d.target(iccid))].Deactivated = true },
	},
	GIOEnable: {
		rules: func(d *Device, iccid string) *Refusal {
			p, r := d.gioProfile(iccid)
			switch {
			case r != nil:
			case p.Deactivated:
				r = refuseDeactivated(iccid)
			case p.Suspended || d.ProfilesSuspended:
				r = refuseSuspended(iccid)
			default:
				r = d.connected()
			}
			return r
		},
		apply: func(d *Device, iccid string) { d.enableOnly(iccid) },
	},
	GIODownload:       {rules: downloadRules, apply: func(d *Device, iccid string) { d.download(iccid) }},
	GIODownloadEnable: {rules: downloadRules, apply: func(d *Device, iccid string) { d.enableOnly(d.download(iccid)) }},
	GIODelete: {
		rules: func(d *Device, iccid string) *Refusal {
			p, r := d.gioProfile(iccid)
			switch {
			case r != nil:
			case p.Type == ProfileBootstrap:
				r = refuseFallback(iccid)
			case p.Fallback:
				r = refuseMarkedFallback(iccid)
			case p.Status == StatusEnabled:
				r = refuseEnabled(iccid)
			}
			return r
		},
		apply: func(d *Device, iccid string) {
			i := d.profile(iccid)
			d.Profiles = append(d.Profiles[:i], d.Profiles[i+1:]...)
		},
	},
	GIOProfileSuspend: {
		rules: func(d *Device, iccid string) *Refusal {
			p, r := d.gioProfile(iccid)
			switch {
			case r != nil:
			case p.Suspended || d.ProfilesSuspended:
				r = refuseAlreadySuspended
			case p.Deactivated:
				r = refuseDeactivated(iccid)
			}
			return r
		},
		apply: func(d *Device, iccid string) { d.Profiles[d.profile(iccid)].Suspended = true },
	},
	GIOProfileResume: {
		rules: func(d *Device, iccid string) *Refusal {
			p, r := d.gioProfile(iccid)
			switch {
			case r != nil:
			case d.ProfilesSuspended:
				r = refuseWithDevice(iccid)
			case !p.Suspended:
				r = refuseAlreadyResumed
			}
			return r
		},
		apply: func(d *Device, iccid string) { d.Profiles[d.profile(iccid)].Suspended = false },
	},
	GIODeviceSuspend: {
		rules: func(d *Device, _ string) *Refusal {
			if d.ProfilesSuspended {
				return refuseDeviceSuspended(d.EID)
			}
			return nil
		},
		apply: func(d *Device, _ string) { d.ProfilesSuspended = true },
	},
	GIODeviceResume: {
		rules: func(d *Device, _ string) *Refusal {
			if !d.ProfilesSuspended {
				return refuseDeviceResumed(d.EID)
			}
			return nil
		},
		apply: func(d *Device, _ string) { d.ProfilesSuspended = false },
	},
	GIOSetFallback: {
		rules: targetRules,
		apply: func(d *Device, iccid string) {
			t := d.target(iccid)
			for i := range d.Profiles {
				d.Profiles[i].Fallback = d.Profiles[i].ICCID == t
			}
		},
	},
}

// Refusals of the Global IoT actions. The two texts ThingSpace documents
// ("Profile is already suspended", "Profile is already resumed") are its
// own; the others, and every GIO.* code, are tssim's, since ThingSpace
// documents no code for these callbacks. Conditions SGP.02 has a code for
// (an unknown profile, one being installed, the bootstrap) keep the
// SM-SR's refusal.
var (
	refuseAlreadySuspended   = &Refusal{"GIO.Profile.AlreadySuspended", "Profile is already suspended"}
	refuseAlreadyResumed     = &Refusal{"GIO.Profile.AlreadyResumed", "Profile is already resumed"}
	refuseSuspended          = refusal("GIO.Profile.Suspended", "Profile %s is suspended: resume it first")
	refuseWithDevice         = refusal("GIO.Profile.DeviceSuspended", "Profile %s is suspended with its device: device_resume resumes it")
	refuseDeactivated        = refusal("GIO.Profile.Deactivated", "Profile %s is deactivated: activate it first")
	refuseAlreadyDeactivated = refusal("GIO.Profile.AlreadyDeactivated", "Profile %s is already deactivated")
	refuseEnabled            = refusal("GIO.Profile.Enabled", "Profile %s is enabled: disable it first")
	refuseMarkedFallback     = refusal("GIO.Profile.Fallback", "Profile %s holds the fall-back attribute and cannot be deleted: set it on another profile first")
	refuseFull               = &Refusal{"GIO.Device.Full", fmt.Sprintf("The eUICC holds %d profiles, the most it can: delete one first", maxProfiles)}
	refuseDeviceSuspended    = refusal("GIO.Device.AlreadySuspended", "Device %s is already suspended")
	refuseDeviceResumed      = refusal("GIO.Device.AlreadyResumed", "Device %s is already resumed")
)

// refusal returns the refusal of that code for one profile or device, its
// ICCID or EID in place of format's %s.
func refusal(code, format string) func(string) *Refusal {
	return func(id string) *Refusal { return &Refusal{code, fmt.Sprintf(format, id)} }
}

// refuseNotConnected is the refusal of a device whose enabled profile,
// iccid, cannot reach the network, and why.
func refuseNotConnected(eid, iccid, why string) *Refusal {
	return &Refusal{"GIO.Device.NotConnected", fmt.Sprintf("Device %s is not connected: its enabled profile %s is %s", eid, iccid, why)}
}

// target is the profile an action naming iccid acts on: that one, or the
// enabled profile when the request names none.
func (d *Device) target(iccid string) string {
	if iccid == "" {
		return d.Enabled()
	}
	return iccid
}

// targetRules are those of an action that takes any profile on the eUICC,
// once installed.
func targetRules(d *Device, iccid string) *Refusal {
	_, r := d.gioProfile(d.target(iccid))
	return r
}

// gioProfile returns the profile iccid, or why no Global IoT action can
// take it: it is not on the eUICC, or is still being installed.
func (d *Device) gioProfile(iccid string) (Profile, *Refusal) {
	i := d.profile(iccid)
	if i < 0 {
		return Profile{}, refuseUnknownProfile(iccid)
	}
	if d.Profiles[i].Status == StatusInstalling {
		return Profile{}, refuseInstalling(iccid)
	}
	return d.Profiles[i], nil
}

// connected returns why d cannot reach the network, or nil: the pages ask
// for a device powered on and connected, and its line is Active (Kind's
// States), so what can stop it is its enabled profile.
func (d *Device) connected() *Refusal {
	i := d.profile(d.Enabled())
	switch {
	case i < 0:
		return refuseNotConnected(d.EID, "(none)", "missing")
	case d.Profiles[i].Suspended || d.ProfilesSuspended:
		return refuseNotConnected(d.EID, d.Profiles[i].ICCID, "suspended")
	case d.Profiles[i].Deactivated:
		return refuseNotConnected(d.EID, d.Profiles[i].ICCID, "deactivated")
	}
	return nil
}

// downloadRules are download's and download_enable's: a profile not on the
// eUICC yet, room for it, and a connected device.
func downloadRules(d *Device, iccid string) *Refusal {
	switch {
	case iccid != "" && d.profile(iccid) >= 0:
		return refuseExists(iccid)
	case len(d.Profiles) >= maxProfiles:
		return refuseFull
	}
	return d.connected()
}

// download adds the profile iccid, disabled, or one with an ICCID of
// tssim's when iccid is "", and returns its ICCID.
func (d *Device) download(iccid string) string {
	if iccid == "" {
		iccid = d.newICCID()
	}
	d.Profiles = append(d.Profiles, Profile{ICCID: iccid, Type: ProfileLocal, Status: StatusDisabled})
	return iccid
}

// newICCID returns an ICCID that is on no profile of d: 891480 (Verizon's
// issuer number), the last 12 digits of the EID, and two digits more.
// maxProfiles keeps the two digits enough.
func (d *Device) newICCID() string {
	for n := 0; ; n++ {
		iccid := fmt.Sprintf("891480%s%02d", d.EID[max(0, len(d.EID)-12):], n)
		if d.profile(iccid) < 0 {
			return iccid
		}
	}
}

// fallbackProfile returns the ICCID of the profile a device falls back
// to: the one setfallbackattribute marked, else the bootstrap.
func (d *Device) fallbackProfile() string {
	for _, p := range d.Profiles {
		if p.Fallback {
			return p.ICCID
		}
	}
	return d.Bootstrap()
}

// GIOResponse is the deviceResponse of a Global IoT callback
// (schemas/gio-callback.json). ThingSpace documents none: it mirrors the
// local actions' DeviceProfileResponse.
type GIOResponse struct {
	DeviceProfileResponse GIOProfileResponse `json:"deviceProfileResponse"`
}

// GIOProfileResponse is the device as the step left it.
type GIOProfileResponse struct {
	DeviceIdentifierCollection []wire.DeviceID `json:"deviceIdentifierCollection"`
	State                      string          `json:"state"`
	ServicePlan                string          `json:"servicePlan"`
	// ProfileStatus is the action: profile_suspend, enable...
	ProfileStatus string `json:"profileStatus"`
	// ICCID is the profile acted on; "" for device_suspend and
	// device_resume, and for a download whose ICCID is not assigned yet.
	ICCID           string `json:"iccid,omitempty"`
	FallbackICCID   string `json:"fallbackIccid"`
	EUICCStatus     string `json:"euiccStatus"`
	EUICCStatusCode string `json:"euiccStatusCode"`
	EUICCStatusDesc string `json:"euiccStatusDesc"`
	// Profiles are device_suspend's and device_resume's results for each
	// profile, where ThingSpace sends one callback a profile: the
	// callback machinery sends one a device and step.
	Profiles []GIOProfileResult `json:"profiles,omitempty"`
}

// GIOProfileResult is what device_suspend or device_resume did to one
// profile.
type GIOProfileResult struct {
	ICCID       string `json:"iccid"`
	Status      string `json:"status"`
	Description string `json:"description"`
}

func gioResponse(action string, r Result) any {
	d, st := r.Device, r.Step
	out := GIOProfileResponse{
		DeviceIdentifierCollection: d.identifiers(),
		State:                      d.State,
		ServicePlan:                d.ServicePlan,
		ProfileStatus:              action,
		FallbackICCID:              d.fallbackProfile(),
		EUICCStatus:                st.EUICCStatus,
		EUICCStatusCode:            st.EUICCStatusCode,
		EUICCStatusDesc:            st.EUICCStatusDesc,
	}
	switch action {
	case GIODeviceSuspend, GIODeviceResume:
		if st.Result != ResultPending {
			out.Profiles = profileResults(d, action, st)
		}
	case GIODownload, GIODownloadEnable:
		out.ICCID = r.Target
		if r.Target == "" && st.Result == ResultSuccess && len(d.Profiles) > 0 {
			// Apply has just added it, last.
			out.ICCID = d.Profiles[len(d.Profiles)-1].ICCID
		}
	default:
		out.ICCID = d.target(r.Target)
	}
	return &GIOResponse{out}
}

// Outcomes of one profile in device_suspend's and device_resume's results.
const (
	profileDone   = "Success"
	profileFailed = "Failed"
)

// profileResults says what a device-wide action's final step did to each
// profile of d (those being installed aside): on success d is as the
// action left it, on failure as it found it.
func profileResults(d *Device, action string, st Step) []GIOProfileResult {
	out := make([]GIOProfileResult, 0, len(d.Profiles))
	for _, p := range d.Profiles {
		if p.Status == StatusInstalling {
			continue
		}
		status, desc := profileFailed, st.EUICCStatusDesc
		switch {
		case action == GIODeviceSuspend && (p.Suspended || st.Result == ResultFailure && d.ProfilesSuspended):
			desc = refuseAlreadySuspended.Desc
		case action == GIODeviceResume && p.Suspended:
			desc = fmt.Sprintf("Profile %s was suspended on its own and stays suspended: profile_resume resumes it", p.ICCID)
		case action == GIODeviceResume && st.Result == ResultFailure && !d.ProfilesSuspended:
			desc = refuseAlreadyResumed.Desc
		case st.Result == ResultSuccess && action == GIODeviceSuspend:
			status, desc = profileDone, "Profile is suspended"
		case st.Result == ResultSuccess:
			status, desc = profileDone, "Profile is resumed"
		}
		out = append(out, GIOProfileResult{ICCID: p.ICCID, Status: status, Description: desc})
	}
	return out
}
