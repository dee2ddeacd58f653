// Package wire holds ThingSpace's message shapes that cross tssim's parts:
// the profile action's body, and the callbacks the domain produces and
// delivery sends, to whichever callback service each is for.
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
	// Params are what an operation's handler takes from its own body for
	// its kind (an activate's servicePlan): kept with each device's action,
	// in the state file too, and given to the kind's Apply and Response.
	Params map[string]string `json:"-"`
}

// CallbackMessage is the envelope of every callback ThingSpace POSTs, one
// per device: the DeviceProfileResponse of the page
// https://thingspace.verizon.com/documentation/apis/connectivity-management/api-reference/delete-device-profile.html,
// and the same envelope around the other services' answers.
type CallbackMessage struct {
	Username  string     `json:"username"`
	Password  string     `json:"password"`
	RequestID string     `json:"requestId"`
	DeviceIDs []DeviceID `json:"deviceIds"`
	// DeviceResponse is the answer of the operation (for a profile
	// action, a *DeviceResponse); FaultResponse stands in its place when
	// the request failed inside ThingSpace.
	DeviceResponse       any            `json:"deviceResponse,omitempty"`
	FaultResponse        *FaultResponse `json:"faultResponse,omitempty"`
	Status               string         `json:"status"`
	CallbackCount        int            `json:"callbackCount"`
	MaxCallbackThreshold int            `json:"maxCallbackThreshold"`
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

// Callback services, as accounts register them: profile results, and the
// line's service changes.
const (
	ServiceDeviceProfile = "DeviceProfileService"
	ServiceCarrier       = "CarrierService"
)

// Callback is one message due to go to the listener an account registered
// for Service: what the domain produces and delivery sends.
type Callback struct {
	Account string
	Service string
	EID     string
	// Step is the scenario step that produced it.
	Step    int
	Message CallbackMessage
}
