package domain

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Profile types and statuses of an eUICC.
const (
	ProfileBootstrap = "bootstrap"
	ProfileLocal     = "local"

	StatusEnabled    = "enabled"
	StatusDisabled   = "disabled"
	StatusInstalling = "installing"

	// Service states of a line (ThingSpace's doc page "About Device
	// States"): Suspend keeps the MDN and IP address but gives no service;
	// Deactive has neither.
	StateActive   = "Active"
	StateSuspend  = "Suspend"
	StateDeactive = "Deactive"
)

// Profile is one profile on a device's eUICC. Suspended, Deactivated and
// Fallback are the Global IoT actions' marks (gio.go), beside its Status.
type Profile struct {
	ICCID       string `json:"iccid"`
	Type        string `json:"type"`
	Status      string `json:"status"`
	Suspended   bool   `json:"suspended,omitempty"`
	Deactivated bool   `json:"deactivated,omitempty"`
	Fallback    bool   `json:"fallback,omitempty"`
}

// Pending is the profile action a device is waiting on: the scenario it
// runs and where that came from (ScenarioFrom), and when its next step is
// due, on the simulator's clock.
type Pending struct {
	RequestID    string     `json:"requestId"`
	Action       string     `json:"action"`
	ICCID        string     `json:"iccid"`
	Scenario     string     `json:"scenario"`
	ScenarioFrom string     `json:"scenarioFrom,omitempty"`
	Since        time.Time  `json:"since"`
	NextStepAt   *time.Time `json:"nextStepAt,omitempty"`
}

// Where a device's scenario comes from, first match wins.
const (
	FromHeader  = "header"
	FromDevice  = "device"
	FromAccount = "account"
	FromDefault = "default"
)

// Device is a simulated eUICC device, in the shape fixtures and the control
// API use.
type Device struct {
	EID         string    `json:"eid"`
	Account     string    `json:"account"`
	IMEI        string    `json:"imei,omitempty"`
	MDN         string    `json:"mdn,omitempty"`
	State       string    `json:"state"`
	IPAddress   string    `json:"ipAddress,omitempty"`
	ServicePlan string    `json:"servicePlan,omitempty"`
	Profiles    []Profile `json:"profiles"`
	Scenario    string    `json:"scenario,omitempty"`
	Pending     *Pending  `json:"pending,omitempty"`
	// ProfilesSuspended is Global IoT's device_suspend: every profile is
	// suspended until device_resume, whatever the line's State says.
	ProfilesSuspended bool `json:"profilesSuspended,omitempty"`
	// Number is the device's numeric id, the order of the device list
	// (list.go): its place in the fixtures, from 1, or for a device added
	// since, one more than the last number given. It never changes, and
	// is neither read from fixtures nor shown by the control API; a state
	// file keeps it (SavedDevice).
	Number int64 `json:"-"`
}

func (d *Device) clone() *Device {
	c := *d
	c.Profiles = slices.Clone(d.Profiles)
	if d.Pending != nil {
		p := *d.Pending
		c.Pending = &p
	}
	return &c
}

// profile returns the index of the profile with that ICCID, or -1.
func (d *Device) profile(iccid string) int {
	return slices.IndexFunc(d.Profiles, func(p Profile) bool { return p.ICCID == iccid })
}

// Enabled returns the ICCID of the enabled profile.
func (d *Device) Enabled() string {
	for _, p := range d.Profiles {
		if p.Status == StatusEnabled {
			return p.ICCID
		}
	}
	return ""
}

// Account is a billing account.
type Account struct {
	Name     string `json:"name"`
	SMSROID  string `json:"smsrOid,omitempty"`
	Scenario string `json:"scenario,omitempty"`
}

// AppClient is an OAuth client: an app key and its secret.
type AppClient struct {
	AppKey    string `json:"appKey"`
	AppSecret string `json:"appSecret"`
}

// User is a ThingSpace user and the accounts it may act on.
type User struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	Accounts []string `json:"accounts"`
}

// Fixtures is the simulator's starting world.
type Fixtures struct {
	Clients  []AppClient `json:"clients"`
	Users    []User      `json:"users"`
	Accounts []Account   `json:"accounts"`
	Devices  []*Device   `json:"devices"`

	// byEID indexes Devices, once, when the first world is made from
	// them.
	indexOnce sync.Once
	byEID     map[string]*Device
	// numberOnce numbers Devices in their order, once, before any world
	// made from them reads one.
	numberOnce sync.Once
	// byID indexes Devices by their other identifiers (byid.go), once,
	// when first asked; sharedIDs is set when one is on two devices,
	// of which byID keeps one.
	idOnce    sync.Once
	byID      map[idKey]*Device
	sharedIDs bool
}

// index indexes the devices by EID, unless that is done.
func (f *Fixtures) index() {
	f.indexOnce.Do(func() {
		f.byEID = make(map[string]*Device, len(f.Devices))
		for _, d := range f.Devices {
			f.byEID[d.EID] = d
		}
	})
}

// device returns the fixture device with that EID, or nil.
func (f *Fixtures) device(eid string) *Device {
	f.index()
	return f.byEID[eid]
}

// number gives every fixture device its Number, its place from 1.
func (f *Fixtures) number() {
	f.numberOnce.Do(func() {
		for i, d := range f.Devices {
			d.Number = int64(i + 1)
		}
	})
}

// deviceBy returns the fixture device that an identifier other than the
// EID names, or nil.
func (f *Fixtures) deviceBy(k idKey) *Device {
	f.idOnce.Do(func() {
		f.byID = make(map[idKey]*Device, 2*len(f.Devices))
		for _, d := range f.Devices {
			for k := range d.idKeys() {
				if f.byID[k] != nil {
					f.sharedIDs = true
				}
				f.byID[k] = d
			}
		}
	})
	return f.byID[k]
}

// CheckDevice enforces what the device schema cannot say: ICCIDs are unique
// on the eUICC. The error starts with the offending pointer below the device.
func CheckDevice(d *Device) error {
	seen := map[string]bool{}
	for i, p := range d.Profiles {
		if seen[p.ICCID] {
			return fmt.Errorf("/profiles/%d/iccid: profile %s is on the device twice", i, p.ICCID)
		}
		seen[p.ICCID] = true
	}
	return nil
}
