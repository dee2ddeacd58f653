package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The device lists: v1 answers a page of devices at once (ThingSpace's
// page "Retrieve Device Information"), v2 answers a requestId and sends
// the devices with their profiles in one DeviceProfileService callback
// ("Retrieve the Global Device List (for eUICC)").

// DeviceListRequest asks the v1 list for the devices that match every
// filter given; none lists every device the user may see.
type DeviceListRequest struct {
	AccountName string `json:"accountName,omitempty"`
	// DeviceID names one device: the other filters and paging are then
	// not used.
	DeviceID *DeviceID `json:"deviceId,omitempty"`
	// Filter keeps the devices with an identifier matching each filter.
	Filter       []IdentifierFilter `json:"-"`
	CurrentState string             `json:"currentState,omitempty"`
	CustomFields []KeyValue         `json:"customFields,omitempty"`
	// Earliest and Latest, when not zero, keep the devices added after
	// and before them.
	Earliest    time.Time `json:"-"`
	Latest      time.Time `json:"-"`
	GroupName   string    `json:"groupName,omitempty"`
	ServicePlan string    `json:"servicePlan,omitempty"`
	// MaxNumberOfDevices is the page's size (0: ThingSpace's, 2,000).
	MaxNumberOfDevices int `json:"maxNumberOfDevices,omitempty"`
	// LargestDeviceIDSeen is the paging cursor: the page starts past the
	// device of that numeric id.
	LargestDeviceIDSeen int64 `json:"largestDeviceIdSeen,omitempty"`
}

// IdentifierFilter matches the devices with an identifier of Kind that
// contains Contains, starts with StartsWith and ends with EndsWith.
type IdentifierFilter struct {
	Kind       string `json:"kind"`
	Contains   string `json:"contains"`
	StartsWith string `json:"startswith,omitempty"`
	EndsWith   string `json:"endswith,omitempty"`
}

// KeyValue is a custom field or an extended attribute.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type wireDeviceListRequest struct {
	DeviceListRequest
	Filter *struct {
		DeviceIdentifierFilters []IdentifierFilter `json:"deviceIdentifierFilters"`
	} `json:"filter,omitempty"`
	Earliest string `json:"earliest,omitempty"`
	Latest   string `json:"latest,omitempty"`
}

func (r DeviceListRequest) wire() wireDeviceListRequest {
	w := wireDeviceListRequest{DeviceListRequest: r}
	if len(r.Filter) > 0 {
		w.Filter = &struct {
			DeviceIdentifierFilters []IdentifierFilter `json:"deviceIdentifierFilters"`
		}{r.Filter}
	}
	for _, t := range []struct {
		at  time.Time
		dst *string
	}{{r.Earliest, &w.Earliest}, {r.Latest, &w.Latest}} {
		if !t.at.IsZero() {
			*t.dst = t.at.Format(time.RFC3339)
		}
	}
	return w
}

// DeviceList is one page of the v1 list; HasMoreData says that more
// devices match past it.
type DeviceList struct {
	HasMoreData bool     `json:"hasMoreData"`
	Devices     []Device `json:"devices"`
}

// Device is a device as the v1 list shows it (ThingspaceDevice).
type Device struct {
	AccountName         string               `json:"accountName"`
	BillingCycleEndDate string               `json:"billingCycleEndDate"`
	CarrierInformations []CarrierInformation `json:"carrierInformations"`
	Connected           bool                 `json:"connected"`
	CreatedAt           string               `json:"createdAt"`
	CustomFields        []KeyValue           `json:"customFields"`
	DeviceIDs           []DeviceID           `json:"deviceIds"`
	ExtendedAttributes  []KeyValue           `json:"extendedAttributes"`
	GroupNames          []string             `json:"groupNames"`
	IPAddress           string               `json:"ipAddress,omitempty"`
	LastActivationBy    string               `json:"lastActivationBy"`
	LastActivationDate  string               `json:"lastActivationDate"`
	LastConnectionDate  string               `json:"lastConnectionDate"`
}

// CarrierInformation is a device's line; the service state is here.
type CarrierInformation struct {
	CarrierName string `json:"carrierName"`
	ServicePlan string `json:"servicePlan"`
	State       string `json:"state"`
}

// Extended attributes tssim gives each listed device. ThingSpace
// documents no key for a device's numeric id nor its profile status:
// these are tssim's, and a real account may show neither.
const (
	// AttrDeviceID is the device's numeric id, the cursor of the next
	// page (LargestDeviceIDSeen).
	AttrDeviceID = "DeviceId"
	// AttrProfileStatus is the status of its local profile (the enabled
	// one, else the last downloaded): ENABLE, DISABLE, NOT_DOWNLOADED.
	AttrProfileStatus = "ProfileStatus"
	// AttrProfileICCID is that profile's ICCID.
	AttrProfileICCID = "ProfileICCID"
	// AttrProfiles lists every profile as ICCID:type:STATUS,
	// comma-separated.
	AttrProfiles = "Profiles"
)

// ID returns the device's identifier of that kind ("iccid": its enabled
// profile's), or "".
func (d Device) ID(kind string) string {
	for _, id := range d.DeviceIDs {
		if strings.EqualFold(id.Kind, kind) {
			return id.ID
		}
	}
	return ""
}

// State returns the line's service state (active, suspend, deactive: the
// list writes it in lower case).
func (d Device) State() string {
	if len(d.CarrierInformations) == 0 {
		return ""
	}
	return d.CarrierInformations[0].State
}

// ServicePlan returns the line's service plan.
func (d Device) ServicePlan() string {
	if len(d.CarrierInformations) == 0 {
		return ""
	}
	return d.CarrierInformations[0].ServicePlan
}

// Attribute returns the extended attribute of that key, or "".
func (d Device) Attribute(key string) string {
	for _, kv := range d.ExtendedAttributes {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

// ListDevices asks the v1 list for one page of devices.
func (c *Client) ListDevices(ctx context.Context, r DeviceListRequest) (DeviceList, error) {
	var out DeviceList
	return out, c.call(ctx, http.MethodPost, "/api/m2m/v1/devices/actions/list", r.wire(), &out, true)
}

// ErrMoreDevices says that ListAllDevices stopped at its bound while more
// devices matched.
var ErrMoreDevices = errors.New("client: more devices match than the bound")

// ListAllDevices asks the v1 list for every page, each from past the last
// device of the one before (its AttrDeviceID as LargestDeviceIDSeen),
// until hasMoreData is false. It returns maxDevices devices at most (at
// least 1), with ErrMoreDevices when more match, and the devices so far
// with an error when a page cannot be followed (a last device with no
// numeric id, or one not past the cursor).
func (c *Client) ListAllDevices(ctx context.Context, r DeviceListRequest, maxDevices int) ([]Device, error) {
	maxDevices = max(maxDevices, 1)
	var all []Device
	for {
		page, err := c.ListDevices(ctx, r)
		if err != nil {
			return all, err
		}
		all = append(all, page.Devices...)
		if len(all) > maxDevices || len(all) == maxDevices && page.HasMoreData {
			return all[:maxDevices], fmt.Errorf("%w: the first %d listed", ErrMoreDevices, maxDevices)
		}
		if !page.HasMoreData {
			return all, nil
		}
		if len(page.Devices) == 0 {
			return all, errors.New("client: the device list says it has more data but its page holds no device")
		}
		last := page.Devices[len(page.Devices)-1]
		next, err := strconv.ParseInt(last.Attribute(AttrDeviceID), 10, 64)
		if err != nil || next <= r.LargestDeviceIDSeen {
			return all, fmt.Errorf("client: the device list has more data, but its last device gives no numeric id past %d to page from (extended attribute %s: %q)",
				r.LargestDeviceIDSeen, AttrDeviceID, last.Attribute(AttrDeviceID))
		}
		r.LargestDeviceIDSeen = next
	}
}

// DeviceListV2Request asks the v2 list for an account's devices that match
// every filter given.
type DeviceListV2Request struct {
	AccountName string `json:"accountName"`
	// ProvisioningStatusFilter is a service state: ACTIVE, SUSPEND,
	// DEACTIVE...
	ProvisioningStatusFilter string `json:"provisioningStatusFilter,omitempty"`
	// ProfileStatusFilter is a local profile's status: ENABLE, DISABLE,
	// NOT_DOWNLOADED...
	ProfileStatusFilter string `json:"profileStatusFilter,omitempty"`
	CarrierNameFilter   string `json:"carrierNameFilter,omitempty"`
	// DeviceFilter keeps the devices named (at most 50).
	DeviceFilter []DeviceID `json:"deviceFilter,omitempty"`
}

// DeviceListResult is the v2 list's callback: the devices that matched
// (ThingSpace does not publish this body; this is tssim's,
// schemas/device-list-callback.json).
type DeviceListResult struct {
	AccountName string `json:"accountName"`
	// HasMoreData says that more devices matched than the callback holds:
	// narrow the filters to see them.
	HasMoreData bool             `json:"hasMoreData"`
	Devices     []ProfiledDevice `json:"devices"`
}

// ProfiledDevice is a device of the v2 list, with its profiles.
type ProfiledDevice struct {
	DeviceIDs   []DeviceID `json:"deviceIds"`
	CarrierName string     `json:"carrierName"`
	// State is the service state: ACTIVE, SUSPEND, DEACTIVE.
	State       string          `json:"state"`
	ServicePlan string          `json:"servicePlan"`
	Profiles    []ListedProfile `json:"profiles"`
}

// ListedProfile is one profile of a ProfiledDevice.
type ListedProfile struct {
	ICCID string `json:"iccid"`
	// ProfileType is bootstrap or local.
	ProfileType string `json:"profileType"`
	// ProfileStatus is ENABLE, DISABLE or NOT_DOWNLOADED.
	ProfileStatus string `json:"profileStatus"`
}

// ListDevicesV2 asks for the v2 list; it returns the requestId its
// DeviceProfileService callback will carry (Listener.AwaitDeviceList
// waits for it). Its errors are the Global IoT family's: Code is the HTTP
// status.
func (c *Client) ListDevicesV2(ctx context.Context, r DeviceListV2Request) (string, error) {
	return c.startAction(ctx, "/api/m2m/v2/devices/actions/list", r, nil, ServiceDeviceProfile, nil)
}

// AwaitDeviceList waits for the callback of a v2 device list and returns
// its devices.
func (l *Listener) AwaitDeviceList(ctx context.Context, requestID string) (*DeviceListResult, error) {
	results, err := l.Await(ctx, requestID)
	if err != nil {
		return nil, err
	}
	var got []string
	for _, r := range results {
		if list := r.Message.DeviceResponse.DeviceListResponse; list != nil {
			return list, nil
		}
		got = append(got, strings.TrimSpace(r.Status+" "+r.Code+" "+r.Description))
	}
	return nil, fmt.Errorf("client: request %s came to %s, not a device list", requestID, strings.Join(got, "; "))
}
