package client

import "testing"

// FuzzParseCallback: any body is a result or an error, never a panic, and a
// result names its request and device.
func FuzzParseCallback(f *testing.F) {
	f.Add([]byte(callback("r1", "e1", "Success", "EXECUTED_SUCCESS", 1)))
	f.Add([]byte(callback("r1", "e1", "Warning", "EXECUTED_WITHWARNING", 2)))
	f.Add([]byte(`{"requestId":"r","deviceIds":null,"deviceResponse":null,"status":"x","callbackCount":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseCallback(body)
		if err != nil {
			return
		}
		if r.RequestID == "" || r.EID == "" || r.Status == "" || r.CallbackCount < 1 || (r.Succeeded && !r.Final) {
			t.Fatalf("accepted %q as %+v", body, r)
		}
	})
}
