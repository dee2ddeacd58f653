// Package wire holds ThingSpace's message shapes that cross tssim's parts:
// the profile action's body, and the DeviceProfileResponse callback the
// domain produces and delivery sends.
package wire

// DeviceID names a device by one of its identifiers.
type DeviceID struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// ActionRequest is the body shared by the five profile actions.
type ActionRequest struct {
	Devices []struct {
		DeviceIDs []DeviceID `json:"deviceIds"`
	} `json:"devices"`
	AccountName string `json:"accountName"`
	SMSROID     string `json:"smsrOid"`
}

// CallbackMessage is the DeviceProfileResponse ThingSpace POSTs to the
// DeviceProfileService listener, one per device, as on the page
// https://thingspace.verizon.com/documentation/apis/connectivity-management/api-reference/delete-device-profile.html
type CallbackMessage struct {
	Username  string     `json:"username"`
	Password  string     `json:"password"`
	RequestID string     `json:"requestId"`
	DeviceIDs []DeviceID `json:"deviceIds"`
	// DeviceResponse is the SM-SR's answer; FaultResponse stands in its
	// place when the request failed inside ThingSpace.
	DeviceResponse       *DeviceResponse `json:"deviceResponse,omitempty"`
	FaultResponse        *FaultResponse  `json:"faultResponse,omitempty"`
	Status               string          `json:"status"`
	CallbackCount        int             `json:"callbackCount"`
	MaxCallbackThreshold int             `json:"maxCallbackThreshold"`
}

// FaultResponse is ThingSpace's fault form of a callback: faultcode in
// ThingSpace's Service.CLASS.Specific form.
type FaultResponse struct {
	FaultCode   string `json:"faultcode"`
	FaultString string `json:"faultstring"`
}

// DeviceResponse wraps the profile result; usageResponse is always [].
type DeviceResponse struct {
	UsageResponse         []struct{}            `json:"usageResponse"`
	DeviceProfileResponse DeviceProfileResponse `json:"deviceProfileResponse"`
}

// DeviceProfileResponse is the device as the SM-SR left it.
type DeviceProfileResponse struct {
	DeviceIdentifierCollection []DeviceID `json:"deviceIdentifierCollection"`
	IPAddress                  string     `json:"ipAddress"`
	State                      string     `json:"state"`
	ServicePlan                string     `json:"servicePlan"`
	DeviceCredential           Credential `json:"deviceCredential"`
	SMSROID                    string     `json:"smsrOid"`
	ProfileStatus              string     `json:"profileStatus"`
	EUICCStatus                string     `json:"euiccStatus"`
	EUICCStatusCode            string     `json:"euiccStatusCode"`
	EUICCStatusDesc            string     `json:"euiccStatusDesc"`
}

// Credential is the device's network credential.
type Credential struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// MaxCallbackThreshold is how many times ThingSpace sends one callback at
// most.
const MaxCallbackThreshold = 4

// Callback is one DeviceProfileResponse due to go to an account's
// listener: what the domain produces and delivery sends.
type Callback struct {
	Account string
	EID     string
	// Step is the scenario step that produced it.
	Step    int
	Message CallbackMessage
}
