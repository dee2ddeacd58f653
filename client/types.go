package client

// The client keeps its own copies of tssim's names, since it serves any
// ThingSpace and imports nothing of tssim's internals; catalogue_test.go
// holds every Action* and Service* constant to the catalogue of
// operations (internal/thingspace), both ways.

// ServiceDeviceProfile is the callback service that receives profile
// results.
const ServiceDeviceProfile = "DeviceProfileService"

// Profile actions, as the last element of their path.
const (
	ActionDelete          = "delete"
	ActionEnable          = "enable"
	ActionDisable         = "disable"
	ActionDownloadEnable  = "download_enable"
	ActionDownloadDisable = "download_disable"
)

// DeviceID names a device by one identifier.
type DeviceID struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// DeviceRef names a device by its EID and the ICCID of the profile acted on.
type DeviceRef struct {
	EID   string
	ICCID string
}

// ProfileRequest is the body shared by the profile actions.
type ProfileRequest struct {
	AccountName string
	SMSROID     string
	Devices     []DeviceRef
}

type wireDevices struct {
	DeviceIDs []DeviceID `json:"deviceIds"`
}

type wireProfileRequest struct {
	Devices     []wireDevices `json:"devices"`
	AccountName string        `json:"accountName"`
	SMSROID     string        `json:"smsrOid"`
}

func (r ProfileRequest) wire() wireProfileRequest {
	w := wireProfileRequest{AccountName: r.AccountName, SMSROID: r.SMSROID, Devices: make([]wireDevices, len(r.Devices))}
	for i, d := range r.Devices {
		w.Devices[i].DeviceIDs = []DeviceID{{Kind: "eid", ID: d.EID}, {Kind: "iccid", ID: d.ICCID}}
	}
	return w
}

// CallbackRegistration is a listener registered for one service of an
// account.
type CallbackRegistration struct {
	AccountName string `json:"accountName,omitempty"`
	Name        string `json:"name,omitempty"`
	ServiceName string `json:"serviceName,omitempty"`
	URL         string `json:"url"`
	Username    string `json:"username,omitempty"`
	Password    string `json:"password,omitempty"`
}

// Token is an OAuth access token.
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// DeviceProfileResponse is the callback ThingSpace sends for each device of
// a profile action.
type DeviceProfileResponse struct {
	Username       string     `json:"username"`
	Password       string     `json:"password"`
	RequestID      string     `json:"requestId"`
	DeviceIDs      []DeviceID `json:"deviceIds"`
	DeviceResponse struct {
		UsageResponse         []any         `json:"usageResponse"`
		DeviceProfileResponse ProfileResult `json:"deviceProfileResponse"`
	} `json:"deviceResponse"`
	// FaultResponse stands in place of DeviceResponse when the request
	// failed inside ThingSpace: a final failure.
	FaultResponse        *FaultResponse `json:"faultResponse,omitempty"`
	Status               string         `json:"status"`
	CallbackCount        int            `json:"callbackCount"`
	MaxCallbackThreshold int            `json:"maxCallbackThreshold"`
}

// FaultResponse is ThingSpace's SOAP-style fault, sent in a callback in
// place of the device's result.
type FaultResponse struct {
	FaultCode   string `json:"faultcode"`
	FaultString string `json:"faultstring"`
	FaultActor  string `json:"faultactor,omitempty"`
	Detail      any    `json:"detail,omitempty"`
}

// ProfileResult is the device as the SM-SR reported it.
type ProfileResult struct {
	DeviceIdentifierCollection []DeviceID `json:"deviceIdentifierCollection"`
	IPAddress                  string     `json:"ipAddress"`
	State                      string     `json:"state"`
	ServicePlan                string     `json:"servicePlan"`
	DeviceCredential           struct {
		Username string `json:"username"`
		Password string `json:"password"`
	} `json:"deviceCredential"`
	SMSROID         string `json:"smsrOid"`
	ProfileStatus   string `json:"profileStatus"`
	EUICCStatus     string `json:"euiccStatus"`
	EUICCStatusCode string `json:"euiccStatusCode"`
	EUICCStatusDesc string `json:"euiccStatusDesc"`
}

// ID returns the identifier of that kind, from deviceIds or else from the
// device identifier collection.
func (m *DeviceProfileResponse) ID(kind string) string {
	for _, ids := range [][]DeviceID{m.DeviceIDs, m.DeviceResponse.DeviceProfileResponse.DeviceIdentifierCollection} {
		for _, id := range ids {
			if id.Kind == kind {
				return id.ID
			}
		}
	}
	return ""
}
