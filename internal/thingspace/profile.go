package thingspace

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/wire"
)

// The eUICC local-profile actions, through the SM-SR, reported to
// DeviceProfileService:
// https://thingspace.verizon.com/documentation/apis/connectivity-management/api-reference/delete-device-profile.html
// and its four siblings, which share its body.
func init() {
	for _, a := range []struct{ action, summary string }{
		{domain.ActionDelete, "delete a local profile; the bootstrap profile takes over if it was enabled"},
		{domain.ActionEnable, "enable a local profile, disabling the one enabled before"},
		{domain.ActionDisable, "disable the enabled local profile; the bootstrap profile takes over"},
		{domain.ActionDownloadEnable, "download a local profile and enable it"},
		{domain.ActionDownloadDisable, "download a local profile and leave it disabled"},
	} {
		k := domain.ProfileKind(a.action)
		Register(&Operation{
			Name: a.action, Method: http.MethodPost, Path: ProfileActionsPath + a.action, Schema: "profile-action.json", Access: Session,
			Kind: k, Summary: a.summary, Claims: hasSMSROID,
			Handle: WithBody(func(c *Call, req *wire.ActionRequest) (any, error) { return StartAction(c, k, req) }),
		})
	}
}

// hasSMSROID claims a body naming an SM-SR for the local-profile actions:
// smsrOid is required there, and no Global IoT body has it (ThingSpace
// documents no other way to tell the two apart on the paths they share).
// It claims a body that is no JSON object too: that names neither API,
// and is refused in the local API's words, as before the paths were
// shared.
func hasSMSROID(body []byte) bool {
	if bytes.Contains(body, []byte(`"smsrOid"`)) {
		return true
	}
	var b map[string]json.RawMessage
	if json.Unmarshal(body, &b) != nil || b == nil {
		return true
	}
	for k := range b {
		if strings.EqualFold(k, "smsrOid") { // whatever the key's case, as before
			return true
		}
	}
	return false
}

// ProfileActionsPath is the path of the profile actions, but their name.
const ProfileActionsPath = "/api/m2m/v1/devices/profile/actions/"

// RequestIDResponse is the answer of an asynchronous operation.
type RequestIDResponse struct {
	RequestID string `json:"requestId"`
}

// maxNotedEIDs is how many EIDs of a request its journal record names.
const maxNotedEIDs = 10

// StartAction starts kind on every device of req: the scenario the request
// header asks for, if any, overrides each device's. The callbacks due at
// once go out once the answer is written.
func StartAction(c *Call, kind *domain.Kind, req *wire.ActionRequest) (any, error) {
	c.Note.Scenario = c.R.Header.Get(domain.ScenarioHeader)
	for i, d := range req.Devices {
		if i == maxNotedEIDs {
			c.Note.EIDsOmitted = len(req.Devices) - i
			break
		}
		for _, id := range d.DeviceIDs {
			if id.Kind == "eid" {
				c.Note.EIDs = append(c.Note.EIDs, id.ID)
			}
		}
	}
	id, due, err := c.Sim.StartAction(c.Principal, kind, req, c.Note.Scenario)
	if err != nil {
		return nil, err
	}
	c.Callbacks = due
	c.Note.RequestID = id
	return RequestIDResponse{id}, nil
}
