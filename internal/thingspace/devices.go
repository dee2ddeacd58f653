package thingspace

import (
	"net/http"
	"time"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
)

// The device lists (domain/list.go): v1 answers a page at once,
// https://thingspace.verizon.com/documentation/apis/connectivity-management/api-reference/retrieve-device-information.html;
// v2 answers a requestId and sends the devices with their profiles in one
// DeviceProfileService callback (the page "Retrieve the Global Device
// List (for eUICC)").
func init() {
	Register(
		&Operation{Name: "devices_list", Method: http.MethodPost, Path: "/api/m2m/v1/devices/actions/list", Schema: "device-list.json", Access: Session,
			Summary: "a page of the devices, their service state and profile status", Handle: WithBody(listDevices)},
		&Operation{Name: "devices_list_v2", Method: http.MethodPost, Path: "/api/m2m/v2/devices/actions/list", Schema: "device-list-v2.json", Access: Session,
			Reports: wire.ServiceDeviceProfile, StatusErrors: true,
			Summary: "an account's devices with their profiles, in a DeviceProfileService callback", Handle: listDevicesV2},
	)
}

// deviceListRequest is AccountDeviceListRequest.
type deviceListRequest struct {
	AccountName string         `json:"accountName"`
	DeviceID    *wire.DeviceID `json:"deviceId"`
	Filter      struct {
		DeviceIdentifierFilters []domain.IdentifierFilter `json:"deviceIdentifierFilters"`
	} `json:"filter"`
	CurrentState        string            `json:"currentState"`
	CustomFields        []domain.KeyValue `json:"customFields"`
	Earliest            string            `json:"earliest"`
	Latest              string            `json:"latest"`
	GroupName           string            `json:"groupName"`
	ServicePlan         string            `json:"servicePlan"`
	MaxNumberOfDevices  int               `json:"maxNumberOfDevices"`
	LargestDeviceIDSeen int64             `json:"largestDeviceIdSeen"`
}

// deviceListResponse is AccountDeviceListResult, always with HTTP 200:
// the SDKs decode the same body from a 202, which they read as
// hasMoreData, and hasMoreData is what the page tells clients to page by.
type deviceListResponse struct {
	HasMoreData bool                  `json:"hasMoreData"`
	Devices     []domain.ListedDevice `json:"devices"`
}

func listDevices(c *Call, in *deviceListRequest) (any, error) {
	q := &domain.DeviceQuery{Account: in.AccountName, Device: in.DeviceID, Identifiers: in.Filter.DeviceIdentifierFilters,
		State: in.CurrentState, ServicePlan: in.ServicePlan, Group: in.GroupName, CustomFields: len(in.CustomFields) > 0,
		After: in.LargestDeviceIDSeen, Limit: in.MaxNumberOfDevices}
	for _, t := range []struct {
		field, value string
		dst          *time.Time
	}{{"earliest", in.Earliest, &q.Earliest}, {"latest", in.Latest, &q.Latest}} {
		if t.value == "" {
			continue
		}
		var err error
		if *t.dst, err = time.Parse(time.RFC3339, t.value); err != nil {
			return nil, tserr.BadRequest(tserr.CodeUnexpected, "/%s: %q is not a date-time such as 2025-03-02T14:10:05-05:00", t.field, t.value)
		}
	}
	page, err := c.Sim.ListDevices(c.Principal, q)
	if err != nil {
		return nil, err
	}
	return deviceListResponse{HasMoreData: page.More, Devices: page.Devices}, nil
}

// profileListRequest is GetDeviceListWithProfilesRequest, with the SDKs'
// names (the page's table says carrierName and devices, its example
// carrierNameFilter and deviceFilter).
type profileListRequest struct {
	AccountName              string          `json:"accountName"`
	ProvisioningStatusFilter string          `json:"provisioningStatusFilter"`
	ProfileStatusFilter      string          `json:"profileStatusFilter"`
	CarrierNameFilter        string          `json:"carrierNameFilter"`
	DeviceFilter             []wire.DeviceID `json:"deviceFilter"`
}

// profileListCallback is the deviceResponse of the v2 list's callback
// (schemas/device-list-callback.json): ThingSpace does not publish it.
type profileListCallback struct {
	DeviceListResponse struct {
		AccountName string                  `json:"accountName"`
		HasMoreData bool                    `json:"hasMoreData"`
		Devices     []domain.ProfiledDevice `json:"devices"`
	} `json:"deviceListResponse"`
}

func listDevicesV2(c *Call) (any, error) {
	var in profileListRequest
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	id, devices, more, err := c.Sim.ListProfiles(c.Principal, &domain.ProfileQuery{Account: in.AccountName, ProvisioningStatus: in.ProvisioningStatusFilter,
		ProfileStatus: in.ProfileStatusFilter, CarrierName: in.CarrierNameFilter, Devices: in.DeviceFilter})
	if err != nil {
		return nil, err
	}
	resp := &profileListCallback{}
	resp.DeviceListResponse.AccountName, resp.DeviceListResponse.HasMoreData, resp.DeviceListResponse.Devices = in.AccountName, more, devices
	c.Note.RequestID = id
	c.Callbacks = []wire.Callback{{Account: in.AccountName, Service: wire.ServiceDeviceProfile, Message: wire.CallbackMessage{
		RequestID: id, DeviceIDs: []wire.DeviceID{}, DeviceResponse: resp, Status: "Success", MaxCallbackThreshold: wire.MaxCallbackThreshold,
	}}}
	return RequestIDResponse{id}, nil
}
