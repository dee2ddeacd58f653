package client

// The client keeps its own copies of tssim's names, since it serves any
// ThingSpace and imports nothing of tssim's internals; catalogue_test.go
// holds every Action*, Line*, GIO* and Service* constant to the catalogue
// of operations (internal/thingspace), both ways.

// Callback services, as an account registers a listener for each.
const (
	// ServiceDeviceProfile receives the results of the profile actions,
	// local and Global IoT, and the v2 device list.
	ServiceDeviceProfile = "DeviceProfileService"
	// ServiceCarrier receives the results of the line's service changes:
	// activate, deactivate, suspend, restore.
	ServiceCarrier = "CarrierService"
)

// Profile actions, as the last element of their path.
const (
	ActionDelete          = "delete"
	ActionEnable          = "enable"
	ActionDisable         = "disable"
	ActionDownloadEnable  = "download_enable"
	ActionDownloadDisable = "download_disable"
)

// Line changes (lifecycle.go), as the last element of their path.
const (
	LineActivate   = "activate"
	LineDeactivate = "deactivate"
	LineSuspend    = "suspend"
	LineRestore    = "restore"
)

// Global IoT actions (gio.go), as the last element of their path.
const (
	GIOActivate       = "activate"
	GIODeactivate     = "deactivate"
	GIOEnable         = "enable"
	GIODownload       = "download"
	GIODownloadEnable = "download_enable"
	GIODelete         = "delete"
	GIOProfileSuspend = "profile_suspend"
	GIOProfileResume  = "profile_resume"
	GIODeviceSuspend  = "device_suspend"
	GIODeviceResume   = "device_resume"
	GIOSetFallback    = "setfallbackattribute"
)

// DeviceID names a device by one identifier.
type DeviceID struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// EID names a device by its eUICC id.
func EID(id string) DeviceID { return DeviceID{Kind: "eid", ID: id} }

// IMEI names a device by its IMEI.
func IMEI(id string) DeviceID { return DeviceID{Kind: "imei", ID: id} }

// MDN names a device by its line's number.
func MDN(id string) DeviceID { return DeviceID{Kind: "mdn", ID: id} }

// ICCID names a device by the ICCID of one of its profiles, or names the
// profile an action is about.
func ICCID(id string) DeviceID { return DeviceID{Kind: "iccid", ID: id} }

// Identifiers name one device of a request. One is enough, as ThingSpace
// finds a device by its eid, imei, mdn or msisdn, or the iccid of any of
// its profiles; an action on a profile names it by its iccid beside the
// device's eid.
type Identifiers []DeviceID

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
	DeviceIDs Identifiers `json:"deviceIds"`
}

type wireProfileRequest struct {
	Devices     []wireDevices `json:"devices"`
	AccountName string        `json:"accountName"`
	SMSROID     string        `json:"smsrOid"`
}

func (r ProfileRequest) wire() (wireProfileRequest, []Identifiers) {
	w := wireProfileRequest{AccountName: r.AccountName, SMSROID: r.SMSROID, Devices: make([]wireDevices, len(r.Devices))}
	named := make([]Identifiers, len(r.Devices))
	for i, d := range r.Devices {
		named[i] = Identifiers{EID(d.EID), ICCID(d.ICCID)}
		w.Devices[i].DeviceIDs = named[i]
	}
	return w, named
}

// wireDeviceList is the devices of a request, each as deviceIds.
func wireDeviceList(devices []Identifiers) []wireDevices {
	out := make([]wireDevices, len(devices))
	for i, d := range devices {
		out[i].DeviceIDs = d
	}
	return out
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

// Callback is the envelope of every callback ThingSpace sends: one per
// device and step of an action (one per request for the v2 device list),
// whatever its service.
type Callback struct {
	Username  string     `json:"username"`
	Password  string     `json:"password"`
	RequestID string     `json:"requestId"`
	DeviceIDs []DeviceID `json:"deviceIds"`
	// DeviceResponse is the result; FaultResponse stands in its place
	// when the request failed inside ThingSpace: a final failure.
	DeviceResponse       DeviceResponse `json:"deviceResponse"`
	FaultResponse        *FaultResponse `json:"faultResponse,omitempty"`
	Status               string         `json:"status"`
	CallbackCount        int            `json:"callbackCount"`
	MaxCallbackThreshold int            `json:"maxCallbackThreshold"`
}

// DeviceProfileResponse is the name ThingSpace's pages give the profile
// actions' callback, whose envelope every service's callback shares.
type DeviceProfileResponse = Callback

// DeviceResponse is what a callback says of its device (or request): one
// member is set, after the operation. ThingSpace documents the
// DeviceProfileService one only; the line changes' and the v2 device
// list's are tssim's shapes (schemas/carrier-callback.json,
// schemas/device-list-callback.json), which a client of ThingSpace should
// check against what its account receives.
type DeviceResponse struct {
	UsageResponse []any `json:"usageResponse,omitempty"`
	// DeviceProfileResponse is a profile action's result, local or
	// Global IoT.
	DeviceProfileResponse ProfileResult `json:"deviceProfileResponse,omitzero"`
	// The line changes' results, in the member named after the action.
	ActivateResponse   *LineResult `json:"activateResponse,omitempty"`
	DeactivateResponse *LineResult `json:"deactivateResponse,omitempty"`
	SuspendResponse    *LineResult `json:"suspendResponse,omitempty"`
	RestoreResponse    *LineResult `json:"restoreResponse,omitempty"`
	// DeviceListResponse is the v2 device list's result.
	DeviceListResponse *DeviceListResult `json:"deviceListResponse,omitempty"`
}

// Line returns the line change the response reports, and its action
// (one of the Line* constants), or nil.
func (r *DeviceResponse) Line() (action string, line *LineResult) {
	for _, m := range []struct {
		action string
		line   *LineResult
	}{{LineActivate, r.ActivateResponse}, {LineDeactivate, r.DeactivateResponse}, {LineSuspend, r.SuspendResponse}, {LineRestore, r.RestoreResponse}} {
		if m.line != nil {
			return m.action, m.line
		}
	}
	return "", nil
}

// FaultResponse is ThingSpace's SOAP-style fault, sent in a callback in
// place of the device's result.
type FaultResponse struct {
	FaultCode   string `json:"faultcode"`
	FaultString string `json:"faultstring"`
	FaultActor  string `json:"faultactor,omitempty"`
	Detail      any    `json:"detail,omitempty"`
}

// ProfileResult is the device as the SM-SR (or, for a Global IoT action,
// Verizon) reported it.
type ProfileResult struct {
	DeviceIdentifierCollection []DeviceID `json:"deviceIdentifierCollection"`
	IPAddress                  string     `json:"ipAddress"`
	State                      string     `json:"state"`
	ServicePlan                string     `json:"servicePlan"`
	DeviceCredential           struct {
		Username string `json:"username"`
		Password string `json:"password"`
	} `json:"deviceCredential"`
	SMSROID string `json:"smsrOid"`
	// ProfileStatus is the action: delete, enable, profile_suspend...
	ProfileStatus   string `json:"profileStatus"`
	EUICCStatus     string `json:"euiccStatus"`
	EUICCStatusCode string `json:"euiccStatusCode"`
	EUICCStatusDesc string `json:"euiccStatusDesc"`
	// ICCID, FallbackICCID and Profiles are a Global IoT action's, in
	// tssim's shape (schemas/gio-callback.json): the profile acted on,
	// the one the device falls back to, and what device_suspend or
	// device_resume did to each profile.
	ICCID         string           `json:"iccid,omitempty"`
	FallbackICCID string           `json:"fallbackIccid,omitempty"`
	Profiles      []ProfileOutcome `json:"profiles,omitempty"`
}

// ProfileOutcome is what a device-wide Global IoT action did to one
// profile.
type ProfileOutcome struct {
	ICCID       string `json:"iccid"`
	Status      string `json:"status"`
	Description string `json:"description"`
}

// LineResult is the line as a service change left it (the new state after
// a Success, the one before after a warning or a failure).
type LineResult struct {
	// DeviceIDs are every identifier the device has now: imei, the
	// enabled profile's iccid, mdn (none once deactivated), eid.
	DeviceIDs   []DeviceID `json:"deviceIds"`
	State       string     `json:"state"`
	ServicePlan string     `json:"servicePlan"`
	IPAddress   string     `json:"ipAddress"`
	// AutoResumeDate, after a suspend, is when the line returns to
	// Active on its own (RFC 3339).
	AutoResumeDate string `json:"autoResumeDate,omitempty"`
}

// ID returns the callback's identifier of that kind: from deviceIds, else
// from the identifiers of the result.
func (m *Callback) ID(kind string) string {
	for _, id := range m.identifiers() {
		if id.Kind == kind {
			return id.ID
		}
	}
	return ""
}

// identifiers are every identifier the callback gives its device: those
// the request named it by, then those of the result.
func (m *Callback) identifiers() []DeviceID {
	ids := append([]DeviceID(nil), m.DeviceIDs...)
	ids = append(ids, m.DeviceResponse.DeviceProfileResponse.DeviceIdentifierCollection...)
	if _, line := m.DeviceResponse.Line(); line != nil {
		ids = append(ids, line.DeviceIDs...)
	}
	return ids
}
