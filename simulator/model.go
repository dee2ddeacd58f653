package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unsafe"
)

// Profile types and statuses of an eUICC.
const (
	ProfileBootstrap = "bootstrap"
	ProfileLocal     = "local"

	StatusEnabled    = "enabled"
	StatusDisabled   = "disabled"
	StatusInstalling = "installing"

	StateActive = "Active"
)

// Profile is one profile on a device's eUICC.
type Profile struct {
	ICCID  string `json:"iccid"`
	Type   string `json:"type"`
	Status string `json:"status"`
}

// Pending is the profile action a device is waiting on.
type Pending struct {
	RequestID string    `json:"requestId"`
	Action    string    `json:"action"`
	ICCID     string    `json:"iccid"`
	Scenario  string    `json:"scenario"`
	Since     time.Time `json:"since"`
}

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

// enabled returns the ICCID of the enabled profile.
func (d *Device) enabled() string {
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
}

// LoadFixtures parses and validates a fixtures document: its schema, then
// that every name it refers to exists. name is used in error messages.
func (v *Validator) LoadFixtures(name string, data []byte) (*Fixtures, error) {
	// The fast path reads a view of data, not a copy: data is not changed
	// while it reads, and what it returns keeps nothing of it (compact).
	f, ok := fastFixtures(unsafe.String(unsafe.SliceData(data), len(data)))
	if !ok {
		doc, err := Decode(data)
		if err != nil {
			return nil, fmt.Errorf("%s: not valid JSON: %w", name, err)
		}
		if vs := v.Validate("fixtures.json", doc); len(vs) > 0 {
			return nil, fmt.Errorf("%s: %s", name, vs[0])
		}
		f = &Fixtures{}
		if err := json.Unmarshal(data, f); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	accounts := map[string]bool{}
	for i, a := range f.Accounts {
		if accounts[a.Name] {
			return nil, fmt.Errorf("%s: /accounts/%d/name: account %q is defined twice", name, i, a.Name)
		}
		accounts[a.Name] = true
	}
	for i, u := range f.Users {
		for j, a := range u.Accounts {
			if !accounts[a] {
				return nil, fmt.Errorf("%s: /users/%d/accounts/%d: unknown account %q", name, i, j, a)
			}
		}
	}
	eids := map[string]bool{}
	for i, d := range f.Devices {
		if eids[d.EID] {
			return nil, fmt.Errorf("%s: /devices/%d/eid: device %s is defined twice", name, i, d.EID)
		}
		eids[d.EID] = true
		if !accounts[d.Account] {
			return nil, fmt.Errorf("%s: /devices/%d/account: unknown account %q", name, i, d.Account)
		}
		if err := checkDevice(d); err != nil {
			return nil, fmt.Errorf("%s: /devices/%d%s", name, i, err)
		}
		d.Pending = nil
	}
	return f, nil
}

// checkDevice enforces what the device schema cannot say: ICCIDs are unique
// on the eUICC. The error starts with the offending pointer below the device.
func checkDevice(d *Device) error {
	seen := map[string]bool{}
	for i, p := range d.Profiles {
		if seen[p.ICCID] {
			return fmt.Errorf("/profiles/%d/iccid: profile %s is on the device twice", i, p.ICCID)
		}
		seen[p.ICCID] = true
	}
	return nil
}

// WithGeneratedDevices returns a copy of f with n more Active devices on
// account, each with a disabled bootstrap profile and an enabled local one:
// device i has EID GeneratedEID(i) and local profile GeneratedICCID(i).
func (f *Fixtures) WithGeneratedDevices(account string, n int) *Fixtures {
	g := *f
	g.Devices = append(make([]*Device, 0, len(f.Devices)+n), f.Devices...)
	for i := range n {
		g.Devices = append(g.Devices, &Device{
			EID: GeneratedEID(i), Account: account, State: StateActive,
			IMEI: fmt.Sprintf("35%013d", i), MDN: fmt.Sprintf("5%09d", i),
			IPAddress: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), ServicePlan: "RP4235311",
			Profiles: []Profile{
				{ICCID: fmt.Sprintf("8901%016d", i), Type: ProfileBootstrap, Status: StatusDisabled},
				{ICCID: GeneratedICCID(i), Type: ProfileLocal, Status: StatusEnabled},
			},
		})
	}
	return &g
}

// GeneratedEID is the EID of the i-th generated device.
func GeneratedEID(i int) string { return fmt.Sprintf("89049032%024d", i) }

// GeneratedICCID is the enabled local profile of the i-th generated device.
func GeneratedICCID(i int) string { return fmt.Sprintf("8914%016d", i) }

// GeneratedActionBody is a profile action body for the generated devices
// from to from+n-1, each with its local profile: what benchmarks and load
// tests send.
func GeneratedActionBody(account, smsrOID string, from, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"devices":[`)
	for i := from; i < from+n; i++ {
		if i > from {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"deviceIds":[{"kind":"eid","id":%q},{"kind":"iccid","id":%q}]}`, GeneratedEID(i), GeneratedICCID(i))
	}
	fmt.Fprintf(&b, `],"accountName":%q,"smsrOid":%q}`, account, smsrOID)
	return b.Bytes()
}
