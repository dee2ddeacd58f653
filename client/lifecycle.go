package client

import (
	"cmp"
	"context"
	"net/http"
)

// The line's service changes (the Line* constants of types.go), as
// ThingSpace's pages "Activate Service for Devices", "Deactivate…",
// "Suspend…" and "Restore…" describe them: each answered with a requestId,
// each device's outcome reported to the account's CarrierService listener.

// Service states of a line, as callbacks and tssim's control API write
// them (the v1 device list writes them in lower case).
const (
	StateActive   = "Active"
	StateSuspend  = "Suspend"
	StateDeactive = "Deactive"
)

// ReasonGeneral is the reason code of a deactivation, "general
// administration or maintenance": the only one ThingSpace takes.
const ReasonGeneral = "FF"

// linePath is the path of the line changes, but their name.
const linePath = "/api/m2m/v1/devices/actions/"

// LineRequest is the body of a line change. Every change takes
// AccountName and Devices; the others are for the changes that name them.
type LineRequest struct {
	AccountName string
	// Devices are the lines to change, each by any of its identifiers.
	Devices []Identifiers
	// ServicePlan is the plan an activate puts the lines on (required
	// there); for the others it narrows a whole-account request.
	ServicePlan string
	// MDNZipCode is the ZIP code an activate picks the lines' numbers for
	// (required there).
	MDNZipCode string
	// ReasonCode is a deactivation's reason; "" sends ReasonGeneral.
	ReasonCode string
	// ETFWaiver waives a deactivation's early termination fee.
	ETFWaiver bool
	// WithBilling keeps a suspended line billed.
	WithBilling bool
}

// wireDeviceRequest is the body of a line change or a Global IoT action:
// the fields each takes, those it does not left out.
type wireDeviceRequest struct {
	AccountName string        `json:"accountName"`
	Devices     []wireDevices `json:"devices"`
	ServicePlan string        `json:"servicePlan,omitempty"`
	MDNZipCode  string        `json:"mdnZipCode,omitempty"`
	ReasonCode  string        `json:"reasonCode,omitempty"`
	ETFWaiver   bool          `json:"etfWaiver,omitempty"`
	WithBilling bool          `json:"withBilling,omitempty"`
}

// Activate gives deactivated lines service on r.ServicePlan; it returns
// the requestId the CarrierService callbacks will carry.
func (c *Client) Activate(ctx context.Context, r LineRequest) (string, error) {
	return c.LineAction(ctx, LineActivate, r)
}

// Deactivate ends the service of active lines (with reason code "FF"
// unless r says another).
func (c *Client) Deactivate(ctx context.Context, r LineRequest) (string, error) {
	return c.LineAction(ctx, LineDeactivate, r)
}

// Suspend suspends the service of active lines, which keep their number.
func (c *Client) Suspend(ctx context.Context, r LineRequest) (string, error) {
	return c.LineAction(ctx, LineSuspend, r)
}

// Restore gives suspended lines their service back.
func (c *Client) Restore(ctx context.Context, r LineRequest) (string, error) {
	return c.LineAction(ctx, LineRestore, r)
}

// LineAction runs one of the line changes (a Line* constant) and returns
// its requestId.
func (c *Client) LineAction(ctx context.Context, action string, r LineRequest) (string, error) {
	return c.LineActionWith(ctx, action, r, nil)
}

// LineActionWith is LineAction with extra request headers (such as
// tssim's X-Tssim-Scenario).
func (c *Client) LineActionWith(ctx context.Context, action string, r LineRequest, header http.Header) (string, error) {
	body := wireDeviceRequest{AccountName: r.AccountName, Devices: wireDeviceList(r.Devices), ServicePlan: r.ServicePlan,
		MDNZipCode: r.MDNZipCode, ReasonCode: r.ReasonCode, ETFWaiver: r.ETFWaiver, WithBilling: r.WithBilling}
	if action == LineDeactivate {
		body.ReasonCode = cmp.Or(r.ReasonCode, ReasonGeneral)
	}
	return c.startAction(ctx, linePath+action, body, header, ServiceCarrier, r.Devices)
}
