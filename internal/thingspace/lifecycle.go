package thingspace

import (
	"net/http"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/wire"
)

// The line's lifecycle, as ThingSpace's doc pages "Activate Service for
// Devices", "Deactivate…", "Suspend…" and "Restore…" describe it: each
// request answered with a requestId, each device's outcome reported to the
// account's CarrierService listener.
func init() {
	for _, a := range []struct{ action, schema, summary string }{
		{domain.ActionActivate, "carrier-activate.json", "activate the service of deactivated lines: each gets an MDN and an IP address"},
		{domain.ActionDeactivate, "carrier-deactivate.json", "end the service of active lines: each loses its MDN and IP address"},
		{domain.ActionSuspend, "carrier-actions.json", "suspend the service of active lines, which keep their MDN and IP address"},
		{domain.ActionRestore, "carrier-actions.json", "give suspended lines their service back"},
	} {
		k := domain.LifecycleKind(a.action)
		Register(&Operation{
			Name: a.action, Method: http.MethodPost, Path: LifecyclePath + a.action, Schema: a.schema, Access: Session,
			Kind: k, Summary: a.summary,
			Handle: WithBody(func(c *Call, req *carrierRequest) (any, error) {
				return StartAction(c, k, &wire.ActionRequest{Devices: req.Devices, AccountName: req.AccountName,
					Params: map[string]string{domain.ParamServicePlan: req.ServicePlan}})
			}),
		})
	}
}

// LifecyclePath is the path of the line's service changes, but their name.
const LifecyclePath = "/api/m2m/v1/devices/actions/"

// carrierRequest is what the four bodies share and the actions take: the
// devices, their account, and the plan of an activate (a narrowing filter
// elsewhere, not simulated). Their other fields are checked by their
// schemas and not simulated.
type carrierRequest struct {
	Devices []struct {
		DeviceIDs []wire.DeviceID `json:"deviceIds"`
	} `json:"devices"`
	AccountName string `json:"accountName"`
	ServicePlan string `json:"servicePlan"`
}
