package client

import (
	"context"
	"net/http"
)

// The Global IoT Orchestration (GIO) eSIM actions (the GIO* constants of
// types.go): Verizon's SDK controller ManagingEsimProfiles and
// ThingSpace's Global IoT pages. They share the profile actions' path; a
// body without smsrOid is what tells them from the local actions on the
// paths both serve (enable, delete, download_enable). ThingSpace names no
// callback service for them: tssim reports them to DeviceProfileService,
// in the profile callback's envelope (schemas/gio-callback.json). Their
// errors are the GIO family's: Error.Code is the HTTP status.

// GIORequest is the body of a Global IoT action.
type GIORequest struct {
	AccountName string
	// Devices are the devices acted on, each by its eid, iccid or imei:
	// the iccid names the profile (profile_suspend and profile_resume
	// take it alone, device_suspend and device_resume the eid alone).
	Devices []Identifiers
	// ServicePlan and MDNZipCode are activate's.
	ServicePlan string
	MDNZipCode  string
	// ReasonCode and ETFWaiver are deactivate's.
	ReasonCode string
	ETFWaiver  bool
}

// GIOAction runs one Global IoT action (a GIO* constant) and returns its
// requestId.
func (c *Client) GIOAction(ctx context.Context, action string, r GIORequest) (string, error) {
	return c.GIOActionWith(ctx, action, r, nil)
}

// GIOActionWith is GIOAction with extra request headers (such as tssim's
// X-Tssim-Scenario).
func (c *Client) GIOActionWith(ctx context.Context, action string, r GIORequest, header http.Header) (string, error) {
	body := wireDeviceRequest{AccountName: r.AccountName, Devices: wireDeviceList(r.Devices), ServicePlan: r.ServicePlan,
		MDNZipCode: r.MDNZipCode, ReasonCode: r.ReasonCode, ETFWaiver: r.ETFWaiver}
	return c.startAction(ctx, profileActionsPath+action, body, header, ServiceDeviceProfile, r.Devices)
}

// gioOne runs action on one device named by ids.
func (c *Client) gioOne(ctx context.Context, action, account string, ids ...DeviceID) (string, error) {
	return c.GIOAction(ctx, action, GIORequest{AccountName: account, Devices: []Identifiers{ids}})
}

// withProfile names a device by its EID and, when iccid is not "", a
// profile by its ICCID.
func withProfile(eid, iccid string) []DeviceID {
	if iccid == "" {
		return []DeviceID{EID(eid)}
	}
	return []DeviceID{EID(eid), ICCID(iccid)}
}

// DownloadGIOProfile downloads a Global IoT profile onto the device eid,
// enabling it when enable is true. iccid names the profile; "" lets
// Verizon assign it (the callback's ProfileResult.ICCID says which).
func (c *Client) DownloadGIOProfile(ctx context.Context, account, eid, iccid string, enable bool) (string, error) {
	action := GIODownload
	if enable {
		action = GIODownloadEnable
	}
	return c.gioOne(ctx, action, account, withProfile(eid, iccid)...)
}

// EnableGIOProfile enables the profile iccid of the device eid, disabling
// every other.
func (c *Client) EnableGIOProfile(ctx context.Context, account, eid, iccid string) (string, error) {
	return c.gioOne(ctx, GIOEnable, account, EID(eid), ICCID(iccid))
}

// DeleteGIOProfile deletes the disabled profile iccid of the device eid.
func (c *Client) DeleteGIOProfile(ctx context.Context, account, eid, iccid string) (string, error) {
	return c.gioOne(ctx, GIODelete, account, EID(eid), ICCID(iccid))
}

// SuspendProfile suspends one profile, named by its ICCID.
func (c *Client) SuspendProfile(ctx context.Context, account, iccid string) (string, error) {
	return c.gioOne(ctx, GIOProfileSuspend, account, ICCID(iccid))
}

// ResumeProfile resumes a profile suspended on its own.
func (c *Client) ResumeProfile(ctx context.Context, account, iccid string) (string, error) {
	return c.gioOne(ctx, GIOProfileResume, account, ICCID(iccid))
}

// SuspendDevice suspends every profile of the device eid.
func (c *Client) SuspendDevice(ctx context.Context, account, eid string) (string, error) {
	return c.gioOne(ctx, GIODeviceSuspend, account, EID(eid))
}

// ResumeDevice resumes a suspended device; profiles suspended on their own
// stay suspended.
func (c *Client) ResumeDevice(ctx context.Context, account, eid string) (string, error) {
	return c.gioOne(ctx, GIODeviceResume, account, EID(eid))
}

// SetFallbackProfile marks the profile the device eid falls back to: iccid,
// or the enabled one when iccid is "".
func (c *Client) SetFallbackProfile(ctx context.Context, account, eid, iccid string) (string, error) {
	return c.gioOne(ctx, GIOSetFallback, account, withProfile(eid, iccid)...)
}
