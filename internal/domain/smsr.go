package domain

import (
	"fmt"

	"github.com/tssim/tssim/internal/wire"
)

// Profile actions, as the last element of their ThingSpace path.
const (
	ActionDelete          = "delete"
	ActionEnable          = "enable"
	ActionDisable         = "disable"
	ActionDownloadEnable  = "download_enable"
	ActionDownloadDisable = "download_disable"
)

// ProfileKind is the SM-SR's profile action of that name, run by the
// rules of SGP.02 and reported to DeviceProfileService.
func ProfileKind(action string) *Kind {
	return &Kind{
		Name:     action,
		Service:  wire.ServiceDeviceProfile,
		Rules:    func(d *Device, iccid string) *Refusal { return rules(d, action, iccid) },
		Apply:    func(d *Device, r Result) { apply(d, action, r.Target) },
		Response: profileResponse,
	}
}

// Refusal is the SM-SR's failure of an action, with its GSMA SGP.02
// subject/reason code; it comes back to the listener as a failure callback.
type Refusal struct {
	Code string
	Desc string
}

func (r *Refusal) Error() string { return r.Code + " " + r.Desc }

// SGP.02 refusals, as an open-source SM-SR reports them.
var (
	refuseUnknownProfile = func(iccid string) *Refusal {
		return &Refusal{"8.2.1/3.9", fmt.Sprintf("Profile %s is not on this eUICC", iccid)}
	}
	refuseInstalling = func(iccid string) *Refusal {
		return &Refusal{"8.2.1/1.2", fmt.Sprintf("Profile %s is still being installed", iccid)}
	}
	refuseBusy = func(requestID string) *Refusal {
		return &Refusal{"1.2/4.4", fmt.Sprintf("Another profile change (request %s) is pending on this eUICC", requestID)}
	}
	refuseFallback = func(iccid string) *Refusal {
		return &Refusal{"8.2.3/3.8", fmt.Sprintf("Profile %s holds the fall-back attribute (the bootstrap profile) and cannot be deleted or disabled", iccid)}
	}
	refuseNotEnabled = func(iccid string) *Refusal {
		return &Refusal{"8.2.1/3.5", fmt.Sprintf("Profile %s is not enabled", iccid)}
	}
	refuseExists = func(iccid string) *Refusal {
		return &Refusal{"8.2.1/3.3", fmt.Sprintf("Profile %s is already on this eUICC", iccid)}
	}
)

// refuse returns why k is refused on d for target before any scenario
// runs, or nil when it is accepted: another action pending on d, or k's
// rules. It does not change d.
func refuse(d *Device, k *Kind, target string) *Refusal {
	if d.Pending != nil {
		return refuseBusy(d.Pending.RequestID)
	}
	if k.Rules == nil {
		return nil
	}
	return k.Rules(d, target)
}

// rules are the profile rules of SGP.02, the device's own pending action
// aside.
func rules(d *Device, action, iccid string) *Refusal {
	i := d.profile(iccid)
	switch action {
	case ActionDownloadEnable, ActionDownloadDisable:
		if i >= 0 {
			return refuseExists(iccid)
		}
		return nil
	}
	if i < 0 {
		return refuseUnknownProfile(iccid)
	}
	p := d.Profiles[i]
	switch {
	case p.Status == StatusInstalling:
		return refuseInstalling(iccid)
	case p.Type == ProfileBootstrap && (action == ActionDelete || action == ActionDisable):
		return refuseFallback(iccid)
	case action == ActionDisable && p.Status != StatusEnabled:
		return refuseNotEnabled(iccid)
	}
	return nil
}

// apply carries out a profile action the SM-SR reported as done, its rules
// checked. An enabled profile that is deleted or disabled hands over to the
// bootstrap profile; enabling a profile disables the one enabled before.
func apply(d *Device, action, iccid string) {
	switch action {
	case ActionDelete:
		i := d.profile(iccid)
		wasEnabled := d.Profiles[i].Status == StatusEnabled
		d.Profiles = append(d.Profiles[:i], d.Profiles[i+1:]...)
		if wasEnabled {
			d.enableOnly(d.Bootstrap())
		}
	case ActionDisable:
		d.enableOnly(d.Bootstrap())
	case ActionEnable:
		d.enableOnly(iccid)
	case ActionDownloadEnable:
		d.Profiles = append(d.Profiles, Profile{ICCID: iccid, Type: ProfileLocal, Status: StatusDisabled})
		d.enableOnly(iccid)
	case ActionDownloadDisable:
		d.Profiles = append(d.Profiles, Profile{ICCID: iccid, Type: ProfileLocal, Status: StatusDisabled})
	}
}

// profileResponse is the SM-SR's DeviceProfileResponse: the device as the
// step left it.
func profileResponse(r Result) any {
	d, st := r.Device, r.Step
	cred := wire.Credential{}
	if d.MDN != "" {
		cred = wire.Credential{Username: d.MDN + "@vzw4g.com", Password: d.MDN}
	}
	return &wire.DeviceResponse{
		UsageResponse: []struct{}{},
		DeviceProfileResponse: wire.DeviceProfileResponse{
			DeviceIdentifierCollection: d.identifiers(),
			IPAddress:                  d.IPAddress,
			State:                      d.State,
			ServicePlan:                d.ServicePlan,
			DeviceCredential:           cred,
			SMSROID:                    r.SMSROID,
			ProfileStatus:              r.Kind.Name,
			EUICCStatus:                st.EUICCStatus,
			EUICCStatusCode:            st.EUICCStatusCode,
			EUICCStatusDesc:            st.EUICCStatusDesc,
		},
	}
}

// Bootstrap returns the ICCID of the bootstrap (fall-back) profile.
func (d *Device) Bootstrap() string {
	for _, p := range d.Profiles {
		if p.Type == ProfileBootstrap {
			return p.ICCID
		}
	}
	return ""
}

// enableOnly enables the profile iccid and disables every other one.
func (d *Device) enableOnly(iccid string) {
	for i := range d.Profiles {
		if d.Profiles[i].Status == StatusInstalling {
			continue
		}
		if d.Profiles[i].ICCID == iccid {
			d.Profiles[i].Status = StatusEnabled
		} else {
			d.Profiles[i].Status = StatusDisabled
		}
	}
}
