package thingspace

import (
	"bytes"
	"net/http"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/wire"
)

// The Global IoT Orchestration (GIO) eSIM actions: Verizon's SDK
// controller ManagingEsimProfiles and ThingSpace's Global IoT pages
// (activate, deactivate, enable, download, download_enable, delete,
// profile_suspend, profile_resume, device_suspend, device_resume, set the
// fallback attribute), with the fields of DeviceProfileManagement's
// activate, deactivate and setfallbackattribute, which share their paths.
// enable, download_enable and delete share theirs with the local-profile
// actions (profile.go), which claim the bodies naming an SM-SR; these take
// the rest. Every error the handler returns is written in the GIO family's
// form, {"errorCode":"400",...}; the journal keeps the specific code.
func init() {
	fallback := domain.GIOKind(domain.GIOSetFallback)
	for _, o := range []struct {
		action, schema, summary string
	}{
		{domain.GIOActivate, "gio-profile.json", "put a device's profile (the named one, else the enabled one) on the network, reactivating it"},
		{domain.GIODeactivate, "gio-deactivate.json", "deactivate a device's profile (the named one, else the enabled one): it can no longer connect"},
		{domain.GIOEnable, "gio-profile-change.json", "enable a Global IoT profile, disabling every other; the device must be connected"},
		{domain.GIODownloadEnable, "gio-device-profile.json", "download a Global IoT profile and enable it; the device must be connected"},
		{domain.GIODownload, "gio-device-profile.json", "download a Global IoT profile, left disabled; the device must be connected"},
		{domain.GIODelete, "gio-profile-change.json", "delete a disabled Global IoT profile; not the bootstrap, nor the fall-back"},
		{domain.GIOProfileSuspend, "gio-profile-suspend.json", "suspend one profile, named by its ICCID"},
		{domain.GIOProfileResume, "gio-profile-suspend.json", "resume one profile suspended on its own, named by its ICCID"},
		{domain.GIODeviceSuspend, "gio-device-suspend.json", "suspend every profile of a device, named by its EID"},
		{domain.GIODeviceResume, "gio-device-suspend.json", "resume a suspended device; profiles suspended on their own stay suspended"},
	} {
		k := domain.GIOKind(o.action)
		Register(&Operation{
			Name: k.Name, Method: http.MethodPost, Path: ProfileActionsPath + o.action, Schema: o.schema, Access: Session,
			Kind: k, Summary: o.summary, Handle: startGIO(k), StatusErrors: true,
		})
	}
	const fallbackSummary = "mark the profile a device falls back to (the named one, else the enabled one)"
	Register(
		&Operation{
			Name: fallback.Name, Method: http.MethodPost, Path: ProfileActionsPath + domain.GIOSetFallback, Schema: "gio-fallback.json", Access: Session,
			Kind: fallback, Summary: fallbackSummary, Handle: startGIO(fallback), StatusErrors: true,
		},
		// The SDKs' path for the same operation, without /m2m.
		&Operation{
			Name: fallback.Name + "_sdk", Fault: fallback.Name, Method: http.MethodPost, Path: "/api/v1/devices/profile/actions/" + domain.GIOSetFallback,
			Schema: "gio-fallback.json", Access: Session, Kind: fallback, Summary: fallbackSummary + " (the SDKs' path)", Handle: startGIO(fallback), StatusErrors: true,
		},
	)
}

// gioRequest is every Global IoT body as the actions need it: the
// account, and each device's identifiers, whichever of the three device
// shapes the body uses.
type gioRequest struct {
	Devices     []gioDevice `json:"devices"`
	AccountName string      `json:"accountName"`
}

// gioDevice is one device's identifiers: {"deviceIds": [...]},
// {"ids": [...]} (DeactivateDeviceProfileRequest) or a bare [...]
// (FallBack). The schema has judged the body; keys match as spelt, as it
// judged them.
type gioDevice []wire.DeviceID

func (d *gioDevice) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '[' {
		return jsonv2.Unmarshal(b, (*[]wire.DeviceID)(d))
	}
	var o struct {
		DeviceIDs []wire.DeviceID `json:"deviceIds"`
		IDs       []wire.DeviceID `json:"ids"`
	}
	if err := jsonv2.Unmarshal(b, &o); err != nil {
		return err
	}
	*d = o.DeviceIDs
	if len(o.DeviceIDs) == 0 {
		*d = o.IDs
	}
	return nil
}

// startGIO is the handler of a Global IoT action of kind k.
func startGIO(k *domain.Kind) func(*Call) (any, error) {
	return WithBody(func(c *Call, in *gioRequest) (any, error) {
		req := &wire.ActionRequest{AccountName: in.AccountName}
		req.Devices = make([]struct {
			DeviceIDs []wire.DeviceID `json:"deviceIds"`
		}, len(in.Devices))
		for i, d := range in.Devices {
			req.Devices[i].DeviceIDs = d
		}
		return StartAction(c, k, req)
	})
}
