package simulator

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
	Username             string         `json:"username"`
	Password             string         `json:"password"`
	RequestID            string         `json:"requestId"`
	DeviceIDs            []DeviceID     `json:"deviceIds"`
	DeviceResponse       DeviceResponse `json:"deviceResponse"`
	Status               string         `json:"status"`
	CallbackCount        int            `json:"callbackCount"`
	MaxCallbackThreshold int            `json:"maxCallbackThreshold"`
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

// newMessage builds the callback for one step of an action on device d.
func newMessage(a *deviceAction, d *Device, st Step) CallbackMessage {
	ids := make([]DeviceID, 0, 4)
	for _, id := range []DeviceID{{"imei", d.IMEI}, {"iccid", d.enabled()}, {"mdn", d.MDN}, {"eid", d.EID}} {
		if id.ID != "" {
			ids = append(ids, id)
		}
	}
	cred := Credential{}
	if d.MDN != "" {
		cred = Credential{Username: d.MDN + "@vzw4g.com", Password: d.MDN}
	}
	return CallbackMessage{
		RequestID: a.requestID,
		DeviceIDs: a.deviceIDs,
		DeviceResponse: DeviceResponse{
			UsageResponse: []struct{}{},
			DeviceProfileResponse: DeviceProfileResponse{
				DeviceIdentifierCollection: ids,
				IPAddress:                  d.IPAddress,
				State:                      d.State,
				ServicePlan:                d.ServicePlan,
				DeviceCredential:           cred,
				SMSROID:                    a.smsrOID,
				ProfileStatus:              a.action,
				EUICCStatus:                st.EUICCStatus,
				EUICCStatusCode:            st.EUICCStatusCode,
				EUICCStatusDesc:            st.EUICCStatusDesc,
			},
		},
		Status:               st.Status,
		MaxCallbackThreshold: MaxCallbackThreshold,
	}
}
