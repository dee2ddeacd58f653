package domain

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tssim/tssim/internal/wire"
)

// The device lists: v1's pages of ThingspaceDevice
// (POST /api/m2m/v1/devices/actions/list), and v2's devices with their
// profiles (POST /api/m2m/v2/devices/actions/list, answered later in a
// DeviceProfileService callback). Both list devices in the order of their
// Number, the numeric device id that v1's largestDeviceIdSeen pages by.
//
// What the device model does not hold gets fixed, plausible values:
// createdAt is CreatedBase plus the device's Number in minutes (so that it
// orders as the Numbers do), the last activation was at createdAt by
// ActivatedBy, the last connection is now for an Active device and
// createdAt for the others, the billing cycle ends at the start of the
// next month of the world's clock, each device is in its account's one
// group, "Default: <account>", and has no custom field.

// Bounds of the lists.
const (
	// MaxListDevices is the most devices of one v1 page, and its size
	// when the request gives none: the 2,000 of ThingSpace's page.
	MaxListDevices = 2000
	// MaxProfileListDevices is the most devices of one v2 list's callback;
	// hasMoreData then says that more matched. A callback stays in
	// delivery's journal: the bound keeps each under about half a
	// megabyte.
	MaxProfileListDevices = 1000
)

// Fixed values of the lists.
const (
	CarrierName = "Verizon Wireless"
	ActivatedBy = "tssim"
	// groupPrefix names an account's one device group.
	groupPrefix = "Default: "
)

// CreatedBase is when the device numbered 0 would have been added.
var CreatedBase = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// createdAt is when d was added to its account.
func (d *Device) createdAt() time.Time { return CreatedBase.Add(time.Duration(d.Number) * time.Minute) }

// numberDevice gives d, about to be stored as the device of its EID, the
// Number of the device it replaces, or else the next one; s.mu is held.
func (s *Sim) numberDevice(d *Device) {
	for _, old := range []*Device{s.devices[d.EID], s.fixtures.device(d.EID)} {
		if old != nil && old.Number != 0 {
			d.Number = old.Number
			return
		}
	}
	d.Number = s.nextNumber
	s.nextNumber++
}

// restoreDevices lays saved devices over the fixtures, each with its
// Number; one from a state file older than Numbers gets its fixture's, or
// a new one. s.mu is held.
func (s *Sim) restoreDevices(saved []*SavedDevice) {
	var unnumbered []*Device
	for _, sd := range saved {
		d := &sd.Device
		d.Number = sd.Number
		s.touch(d.EID)
		s.devices[d.EID] = d
		if d.Number == 0 {
			unnumbered = append(unnumbered, d)
		}
		s.nextNumber = max(s.nextNumber, d.Number+1)
	}
	for _, d := range unnumbered {
		s.numberDevice(d)
	}
}

// scan calls keep with each device p may see whose Number is above after,
// in the order of their Numbers, until keep returns false; s.mu is held.
// The fixtures' devices come first, in their order (their Number is their
// place), then those added since.
func (s *Sim) scan(p *Principal, after int64, keep func(*Device) bool) {
	fixtures := s.fixtures.Devices
	for i := max(after, 0); i < int64(len(fixtures)); i++ {
		if d := s.device(fixtures[i].EID); p.mayUse(d.Account) && !keep(d) {
			return
		}
	}
	var added []*Device
	for _, d := range s.devices {
		if d.Number > int64(len(fixtures)) && d.Number > after {
			added = append(added, d)
		}
	}
	slices.SortFunc(added, func(a, b *Device) int { return cmp.Compare(a.Number, b.Number) })
	for _, d := range added {
		if p.mayUse(d.Account) && !keep(d) {
			return
		}
	}
}

// DeviceQuery is what a v1 device list asks for; every filter is
// optional, and a device must match all those given.
type DeviceQuery struct {
	// Account, when set, must exist and be the session user's; without it
	// the list holds every device the user may see.
	Account string
	// Device, when set, names the one device to list: the other filters
	// and the paging are then not used.
	Device      *wire.DeviceID
	Identifiers []IdentifierFilter
	// State matches the service state whatever its case and spelling
	// (active, ACTIVE, Activated…).
	State       string
	ServicePlan string
	Group       string
	// CustomFields says that custom fields were asked for: no device has
	// any, so none matches.
	CustomFields bool
	// Earliest and Latest, when not zero, keep the devices added strictly
	// after and strictly before them.
	Earliest, Latest time.Time
	// After is largestDeviceIdSeen: the page starts past that Number.
	After int64
	// Limit is maxNumberOfDevices: 0, or more than MaxListDevices, is
	// MaxListDevices.
	Limit int
}

// IdentifierFilter keeps the devices with an identifier of Kind that
// contains Contains, starts with StartsWith and ends with EndsWith (an
// ICCID: that of any of the device's profiles).
type IdentifierFilter struct {
	Kind       string `json:"kind"`
	Contains   string `json:"contains"`
	StartsWith string `json:"startswith"`
	EndsWith   string `json:"endswith"`
}

func (f IdentifierFilter) matches(d *Device) bool {
	ok := func(id string) bool {
		return id != "" && strings.Contains(id, f.Contains) && strings.HasPrefix(id, f.StartsWith) && strings.HasSuffix(id, f.EndsWith)
	}
	switch kindOf(strings.ToLower(f.Kind)) {
	case kindEID:
		return ok(d.EID)
	case kindIMEI:
		return ok(d.IMEI)
	case kindMDN:
		return ok(d.MDN)
	case kindICCID:
		return slices.ContainsFunc(d.Profiles, func(p Profile) bool { return ok(p.ICCID) })
	}
	return false
}

func (q *DeviceQuery) matches(d *Device) bool {
	created := d.createdAt()
	switch {
	case q.Account != "" && d.Account != q.Account,
		q.State != "" && stateWord(d.State) != stateWord(q.State),
		q.ServicePlan != "" && !strings.EqualFold(d.ServicePlan, q.ServicePlan),
		q.Group != "" && !strings.EqualFold(groupPrefix+d.Account, q.Group),
		q.CustomFields,
		!q.Earliest.IsZero() && !created.After(q.Earliest),
		!q.Latest.IsZero() && !created.Before(q.Latest):
		return false
	}
	for _, f := range q.Identifiers {
		if !f.matches(d) {
			return false
		}
	}
	return true
}

// DevicePage is one page of a v1 device list; More says that more devices
// match past it.
type DevicePage struct {
	Devices []ListedDevice
	More    bool
}

// ListedDevice is a device as the v1 list shows it: ThingSpace's
// ThingspaceDevice.
type ListedDevice struct {
	AccountName         string               `json:"accountName"`
	BillingCycleEndDate string               `json:"billingCycleEndDate"`
	CarrierInformations []CarrierInformation `json:"carrierInformations"`
	Connected           bool                 `json:"connected"`
	CreatedAt           string               `json:"createdAt"`
	CustomFields        []KeyValue           `json:"customFields"`
	DeviceIDs           []wire.DeviceID      `json:"deviceIds"`
	ExtendedAttributes  []KeyValue           `json:"extendedAttributes"`
	GroupNames          []string             `json:"groupNames"`
	IPAddress           string               `json:"ipAddress,omitempty"`
	LastActivationBy    string               `json:"lastActivationBy"`
	LastActivationDate  string               `json:"lastActivationDate"`
	LastConnectionDate  string               `json:"lastConnectionDate"`
}

// CarrierInformation is a device's line: its service state, in lower
// case ("active", "suspend", "deactive"), as the SDK's example writes it.
type CarrierInformation struct {
	CarrierName string `json:"carrierName"`
	ServicePlan string `json:"servicePlan"`
	State       string `json:"state"`
}

// KeyValue is one custom field or extended attribute.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Keys of the extended attributes of a listed device.
const (
	// AttrDeviceID is the device's Number, the largestDeviceIdSeen to
	// give after the last device of a page.
	AttrDeviceID = "DeviceId"
	// AttrProfileStatus is the status of the device's local profile in
	// ThingSpace's words (ProfileWord): the enabled one, else the last
	// one downloaded; NOT_DOWNLOADED when it has none.
	AttrProfileStatus = "ProfileStatus"
	// AttrProfileICCID is the ICCID of that profile, absent when none.
	AttrProfileICCID = "ProfileICCID"
	// AttrProfiles lists every profile as ICCID:type:STATUS (type
	// bootstrap or local), comma-separated.
	AttrProfiles = "Profiles"
)

// ListDevices returns a page of the devices p may see that match q, in
// the order of their Numbers.
func (s *Sim) ListDevices(p *Principal, q *DeviceQuery) (*DevicePage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.Account != "" {
		if err := s.accountFor(p, q.Account); err != nil {
			return nil, err
		}
	}
	v := s.listView()
	page := &DevicePage{Devices: []ListedDevice{}}
	if q.Device != nil {
		if d, _ := s.find([]wire.DeviceID{*q.Device}); d != nil && p.mayUse(d.Account) {
			page.Devices = append(page.Devices, v.listed(d))
		}
		return page, nil
	}
	limit := q.Limit
	if limit <= 0 || limit > MaxListDevices {
		limit = MaxListDevices
	}
	s.scan(p, q.After, func(d *Device) bool {
		if !q.matches(d) {
			return true
		}
		if len(page.Devices) == limit {
			page.More = true
			return false
		}
		page.Devices = append(page.Devices, v.listed(d))
		return true
	})
	return page, nil
}

// listView holds what every device of one page shares.
type listView struct {
	now, billingEnd string
}

func (s *Sim) listView() listView {
	now := s.clock.Now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return listView{now: now.Format(time.RFC3339), billingEnd: month.AddDate(0, 1, 0).Format(time.RFC3339)}
}

func (v listView) listed(d *Device) ListedDevice {
	created := d.createdAt().Format(time.RFC3339)
	connected := d.State == StateActive
	lastConnection := created
	if connected {
		lastConnection = v.now
	}
	return ListedDevice{
		AccountName:         d.Account,
		BillingCycleEndDate: v.billingEnd,
		CarrierInformations: []CarrierInformation{{CarrierName: CarrierName, ServicePlan: d.ServicePlan, State: strings.ToLower(d.State)}},
		Connected:           connected,
		CreatedAt:           created,
		CustomFields:        []KeyValue{},
		DeviceIDs:           d.identifiers(),
		ExtendedAttributes:  d.attributes(),
		GroupNames:          []string{groupPrefix + d.Account},
		IPAddress:           d.IPAddress,
		LastActivationBy:    ActivatedBy,
		LastActivationDate:  created,
		LastConnectionDate:  lastConnection,
	}
}

// attributes are d's extended attributes (see AttrDeviceID and the
// others).
func (d *Device) attributes() []KeyValue {
	attrs := []KeyValue{{Key: AttrDeviceID, Value: strconv.FormatInt(d.Number, 10)}, {Key: AttrProfileStatus, Value: d.profileStatus()}}
	if local := d.localProfile(); local != nil {
		attrs = append(attrs, KeyValue{Key: AttrProfileICCID, Value: local.ICCID})
	}
	var all strings.Builder
	for i, p := range d.Profiles {
		if i > 0 {
			all.WriteByte(',')
		}
		all.WriteString(p.ICCID + ":" + p.Type + ":" + ProfileWord(p.Status))
	}
	return append(attrs, KeyValue{Key: AttrProfiles, Value: all.String()})
}

// profileStatus is the status of d's local profile in ThingSpace's
// words: that of localProfile, NOT_DOWNLOADED when there is none.
func (d *Device) profileStatus() string {
	if local := d.localProfile(); local != nil {
		return ProfileWord(local.Status)
	}
	return ProfileNotDownloaded
}

// localProfile is d's enabled local profile, else its last local one (the
// last downloaded), or nil.
func (d *Device) localProfile() *Profile {
	var last *Profile
	for i := range d.Profiles {
		p := &d.Profiles[i]
		if p.Type != ProfileLocal {
			continue
		}
		if p.Status == StatusEnabled {
			return p
		}
		last = p
	}
	return last
}

// Profile statuses in ThingSpace's words, as the lists show them. The
// model does not remember whether an enabled profile was enabled by its
// download (DOWNLOAD_ENABLE) or later (ENABLE), nor the like of a
// disabled one: the lists say ENABLE and DISABLE.
const (
	ProfileEnable        = "ENABLE"
	ProfileDisable       = "DISABLE"
	ProfileNotDownloaded = "NOT_DOWNLOADED"
)

// ProfileWord is a profile status of the model in ThingSpace's words; a
// profile still installing is NOT_DOWNLOADED.
func ProfileWord(status string) string {
	switch status {
	case StatusEnabled:
		return ProfileEnable
	case StatusDisabled:
		return ProfileDisable
	}
	return ProfileNotDownloaded
}

var underscores = strings.NewReplacer("-", "_", " ", "_")

// stateWord is a service state in the words of the v2 list's
// provisioningStatusFilter (ACTIVE, SUSPEND, DEACTIVE, PRE_ACTIVE…),
// whatever the case and spelling it is given in.
func stateWord(state string) string {
	w := strings.ToUpper(underscores.Replace(state))
	switch w {
	case "ACTIVATE", "ACTIVATED":
		return "ACTIVE"
	case "DEACTIVATE", "DEACTIVATED":
		return "DEACTIVE"
	case "SUSPENDED":
		return "SUSPEND"
	}
	return w
}

// ProfileQuery is what a v2 device list asks for: Account's devices; every
// filter is optional, and a device must match all those given.
type ProfileQuery struct {
	Account string
	// ProvisioningStatus matches the service state (stateWord).
	ProvisioningStatus string
	// ProfileStatus keeps the devices whose local profile is in that
	// status, as the v1 list's ProfileStatus attribute says it.
	ProfileStatus string
	// CarrierName keeps every device when it is CarrierName, none else.
	CarrierName string
	// Devices, when given, keeps the devices they name (by any
	// identifier); those naming no device of the account are ignored.
	Devices []wire.DeviceID
}

// ProfiledDevice is a device as the v2 list's callback shows it: its
// identifiers, its line and its profiles.
type ProfiledDevice struct {
	DeviceIDs   []wire.DeviceID `json:"deviceIds"`
	CarrierName string          `json:"carrierName"`
	// State is the service state in the provisioningStatusFilter's words.
	State       string          `json:"state"`
	ServicePlan string          `json:"servicePlan"`
	Profiles    []ListedProfile `json:"profiles"`
}

// ListedProfile is one profile of a ProfiledDevice.
type ListedProfile struct {
	ICCID         string `json:"iccid"`
	ProfileType   string `json:"profileType"`
	ProfileStatus string `json:"profileStatus"`
}

// ListProfiles lists, in the order of their Numbers, the first
// MaxProfileListDevices devices of q.Account that match q, and says
// whether more did. The request is remembered as one of no device, done:
// its status is Success.
func (s *Sim) ListProfiles(p *Principal, q *ProfileQuery) (requestID string, devices []ProfiledDevice, more bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.accountFor(p, q.Account); err != nil {
		return "", nil, false, err
	}
	var named map[string]bool
	if len(q.Devices) > 0 {
		named = map[string]bool{}
		for _, id := range q.Devices {
			if d, _ := s.find([]wire.DeviceID{id}); d != nil {
				named[d.EID] = true
			}
		}
	}
	carrier := q.CarrierName == "" || strings.EqualFold(q.CarrierName, CarrierName)
	devices = []ProfiledDevice{}
	s.scan(p, 0, func(d *Device) bool {
		if !carrier || d.Account != q.Account || named != nil && !named[d.EID] ||
			q.ProvisioningStatus != "" && stateWord(d.State) != stateWord(q.ProvisioningStatus) ||
			q.ProfileStatus != "" && !strings.EqualFold(d.profileStatus(), q.ProfileStatus) {
			return true
		}
		if len(devices) == MaxProfileListDevices {
			more = true
			return false
		}
		devices = append(devices, d.profiled())
		return true
	})
	key := newRequestKey(s.requests.seq, "")
	s.remember(key, q.Account, nil, 0)
	requestID = idOfKey(key)
	return requestID, devices, more, nil
}

func (d *Device) profiled() ProfiledDevice {
	out := ProfiledDevice{DeviceIDs: d.identifiers(), CarrierName: CarrierName, State: stateWord(d.State), ServicePlan: d.ServicePlan,
		Profiles: make([]ListedProfile, len(d.Profiles))}
	for i, p := range d.Profiles {
		out.Profiles[i] = ListedProfile{ICCID: p.ICCID, ProfileType: p.Type, ProfileStatus: ProfileWord(p.Status)}
	}
	return out
}
