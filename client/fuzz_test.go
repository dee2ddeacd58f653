package client

import "testing"

// FuzzParseCallback: any body is a result or an error, never a panic; a
// result names its request, and its device unless it is the device list's
// (a profile result by its EID).
func FuzzParseCallback(f *testing.F) {
	f.Add([]byte(callback("r1", "e1", "Success", "EXECUTED_SUCCESS", 1)))
	f.Add([]byte(callback("r1", "e1", "Warning", "EXECUTED_WITHWARNING", 2)))
	f.Add([]byte(carrierCallback("r1", IMEI("666456789014008"), LineActivate, "Success", 1)))
	f.Add([]byte(`{"requestId":"r","deviceIds":[],"deviceResponse":{"deviceListResponse":{"devices":[]}},"status":"Success","callbackCount":1}`))
	f.Add([]byte(`{"requestId":"r","deviceIds":[{"kind":"mdn","id":"1"}],"faultResponse":{"faultcode":"x"},"status":"Failed","callbackCount":1}`))
	f.Add([]byte(`{"requestId":"r","deviceIds":null,"deviceResponse":null,"status":"x","callbackCount":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseCallback(body)
		if err != nil {
			return
		}
		if r.RequestID == "" || r.Status == "" || r.CallbackCount < 1 || (r.Succeeded && !r.Final) ||
			(r.Response != responseList && len(r.DeviceIDs) == 0) || (r.Response == responseProfile && r.EID == "") {
			t.Fatalf("accepted %q as %+v", body, r)
		}
	})
}
