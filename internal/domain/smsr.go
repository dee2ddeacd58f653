package domain

import "fmt"

// Profile actions, as the last element of their ThingSpace path.
const (
	ActionDelete          = "delete"
	ActionEnable          = "enable"
	ActionDisable         = "disable"
	ActionDownloadEnable  = "download_enable"
	ActionDownloadDisable = "download_disable"
)

// Actions lists every profile action the simulator serves.
var Actions = []string{ActionDelete, ActionEnable, ActionDisable, ActionDownloadEnable, ActionDownloadDisable}

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

// Refuse returns why the SM-SR refuses action on the profile iccid of d,
// before any scenario runs, or nil when it accepts it. It does not change d.
func Refuse(d *Device, action, iccid string) *Refusal {
	if d.Pending != nil {
		return refuseBusy(d.Pending.RequestID)
	}
	return rules(d, action, iccid)
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

// Apply carries out an action the SM-SR reported as done. An enabled profile
// that is deleted or disabled hands over to the bootstrap profile; enabling a
// profile disables the one enabled before. Apply re-checks the rules, since
// the device may have been replaced meanwhile, and changes nothing when they
// fail.
func Apply(d *Device, action, iccid string) *Refusal {
	if r := rules(d, action, iccid); r != nil {
		return r
	}
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
	return nil
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
