package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func callback(requestID, eid, status, euicc string, count int) string {
	m := map[string]any{
		"username": "", "password": "", "requestId": requestID,
		"deviceIds": []map[string]string{{"kind": "eid", "id": eid}},
		"deviceResponse": map[string]any{"usageResponse": []any{}, "deviceProfileResponse": map[string]any{
			"deviceIdentifierCollection": []map[string]string{{"kind": "eid", "id": eid}},
			"profileStatus":              "delete", "euiccStatus": euicc, "euiccStatusCode": "1.2.365", "euiccStatusDesc": "x"}},
		"status": status, "callbackCount": count, "maxCallbackThreshold": 4,
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func post(t *testing.T, l *Listener, body string) int {
	t.Helper()
	rec := httptest.NewRecorder()
	l.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/callbacks", strings.NewReader(body)))
	return rec.Code
}

func TestListenerDropsDuplicatesAndStaleResults(t *testing.T) {
	l := NewListener()
	l.Expect("r1", "e1", "e2")
	steps := []struct {
		body  string
		taken bool
	}{
		{callback("r1", "e1", "Warning", "EXECUTED_WITHWARNING", 1), true},
		{callback("r1", "e1", "Warning", "EXECUTED_WITHWARNING", 1), false}, // the same again
		{callback("r1", "e1", "Warning", "EXECUTED_WITHWARNING", 2), false}, // a retry of a warning it took
		{callback("r1", "e1", "Success", "EXECUTED_SUCCESS", 1), true},
		{callback("r1", "e1", "Success", "EXECUTED_SUCCESS", 2), false},     // a retry of a final result
		{callback("r1", "e1", "Warning", "EXECUTED_WITHWARNING", 2), false}, // stale, after the final one
		{callback("r1", "e2", "Failed", "FAILED", 3), true},
	}
	for i, s := range steps {
		before := len(l.Results())
		if code := post(t, l, s.body); code != http.StatusOK {
			t.Fatalf("step %d: status %d", i, code)
		}
		if taken := len(l.Results()) > before; taken != s.taken {
			t.Errorf("step %d: taken %v, want %v", i, taken, s.taken)
		}
	}
	if l.Dropped() != 4 {
		t.Errorf("dropped %d, want 4", l.Dropped())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	res, err := l.Await(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if !res["e1"].Succeeded || res["e2"].Succeeded || !res["e2"].Final || res["e2"].CallbackCount != 3 {
		t.Errorf("results %+v", res)
	}
}

func TestAwaitWaitsForEveryExpectedDevice(t *testing.T) {
	l := NewListener()
	l.Expect("r1", "e1", "e2")
	post(t, l, callback("r1", "e1", "Success", "EXECUTED_SUCCESS", 1))
	post(t, l, callback("r1", "e2", "Warning", "EXECUTED_WITHWARNING", 1))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	res, err := l.Await(ctx, "r1")
	if err == nil || len(res) != 1 {
		t.Fatalf("Await with a device still warning: %v %+v", err, res)
	}
	done := make(chan map[string]Result)
	go func() {
		r, _ := l.Await(context.Background(), "r1")
		done <- r
	}()
	post(t, l, callback("r1", "e2", "Success", "EXECUTED_SUCCESS", 1))
	if r := <-done; len(r) != 2 {
		t.Errorf("results %+v", r)
	}
}

func TestStreamSendsEveryResultInOrder(t *testing.T) {
	l := NewListener()
	post(t, l, callback("r1", "e1", "Warning", "EXECUTED_WITHWARNING", 1))
	ctx, cancel := context.WithCancel(context.Background())
	ch := l.Stream(ctx)
	if r := <-ch; r.Final || r.Status != "Warning" {
		t.Errorf("first %+v", r)
	}
	post(t, l, callback("r1", "e1", "Success", "EXECUTED_SUCCESS", 1))
	if r := <-ch; !r.Succeeded {
		t.Errorf("second %+v", r)
	}
	cancel()
	for range ch {
	}
}

func TestListenerRefusesWhatItCannotRead(t *testing.T) {
	l := NewListener()
	for name, body := range map[string]string{
		"not JSON":           "{",
		"no requestId":       callback("", "e1", "Success", "EXECUTED_SUCCESS", 1),
		"no eid":             strings.ReplaceAll(callback("r", "e1", "Success", "EXECUTED_SUCCESS", 1), `"kind":"eid"`, `"kind":"imei"`),
		"no status":          callback("r", "e1", "", "EXECUTED_SUCCESS", 1),
		"zero callbackCount": callback("r", "e1", "Success", "EXECUTED_SUCCESS", 0),
	} {
		if code := post(t, l, body); code != http.StatusBadRequest {
			t.Errorf("%s: status %d", name, code)
		}
	}
	rec := httptest.NewRecorder()
	l.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/callbacks", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", rec.Code)
	}
	if len(l.Results()) != 0 {
		t.Errorf("took %+v", l.Results())
	}
}

func TestDecodeError(t *testing.T) {
	tests := []struct {
		status      int
		body        string
		code, fault string
	}{
		{400, `{"errorCode":"UnifiedWebService.REQUEST_FAILED.DeviceNotFound","errorMessage":"no"}`, "UnifiedWebService.REQUEST_FAILED.DeviceNotFound", ""},
		{401, `{"fault":{"code":"900901","message":"Invalid Credentials","description":"d"}}`, "900901", "900901"},
		{401, `{"error":"invalid_client","error_description":"bad"}`, "invalid_client", ""},
		{502, `<html>bad gateway</html>`, "", ""},
	}
	for _, tt := range tests {
		e := decodeError(tt.status, []byte(tt.body))
		if e.StatusCode != tt.status || e.Code != tt.code || e.Fault != tt.fault || e.Message == "" {
			t.Errorf("%s: %+v", tt.body, e)
		}
	}
}

func TestNewRefusesBadBaseURL(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://x", "http://"} {
		if _, err := New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

func TestListenerTakesAFaultResponseAsAFinalFailure(t *testing.T) {
	l := NewListener(ValidateCallbacks())
	body := `{"username":"","password":"","requestId":"r1","deviceIds":[{"kind":"eid","id":"e1"}],
		"faultResponse":{"faultcode":"soap:Server","faultstring":"SM-SR unavailable"},
		"status":"Failed","callbackCount":1,"maxCallbackThreshold":4}`
	if code := post(t, l, body); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	got := l.Results()
	if len(got) != 1 || !got[0].Final || got[0].Succeeded || got[0].Code != "soap:Server" {
		t.Errorf("results %+v", got)
	}
}

func TestValidatingListenerNamesWhatIsWrong(t *testing.T) {
	l := NewListener(ValidateCallbacks())
	rec := httptest.NewRecorder()
	body := strings.Replace(callback("r1", "e1", "Success", "EXECUTED_SUCCESS", 1), `"callbackCount":1`, `"callbackCount":"1"`, 1)
	l.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/callbacks", strings.NewReader(body)))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "/callbackCount") {
		t.Errorf("answer %d %q, want 400 naming /callbackCount", rec.Code, rec.Body)
	}
	if code := post(t, l, callback("r1", "e1", "Success", "EXECUTED_SUCCESS", 1)); code != http.StatusOK {
		t.Errorf("a valid callback: status %d", code)
	}
}

// carrierCallback is a CarrierService callback for a device the request
// named by named, reporting the line as action left it.
func carrierCallback(requestID string, named DeviceID, action, status string, count int) string {
	m := map[string]any{
		"username": "", "password": "", "requestId": requestID, "deviceIds": []DeviceID{named},
		"deviceResponse": map[string]any{action + "Response": map[string]any{
			"deviceIds": []DeviceID{IMEI("666456789014008"), EID("e1")}, "state": "Suspend", "servicePlan": "P", "ipAddress": "10.0.0.1"}},
		"status": status, "callbackCount": count, "maxCallbackThreshold": 4,
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// A CarrierService callback is a result of its own service and action; a
// warning is not final; a retry of a result taken is dropped; Await
// matches the device the request named by IMEI with the result, filed by
// the EID the line's identifiers give.
func TestListenerTakesCarrierServiceCallbacks(t *testing.T) {
	l := NewListener(ValidateCallbacks())
	imei := IMEI("666456789014008")
	l.ExpectDevices("r1", ServiceCarrier, Identifiers{imei})
	for i, s := range []struct {
		body  string
		taken bool
	}{
		{carrierCallback("r1", imei, LineSuspend, "Warning", 1), true},
		{carrierCallback("r1", imei, LineSuspend, "Warning", 2), false},
		{carrierCallback("r1", imei, LineSuspend, "Success", 1), true},
		{carrierCallback("r1", imei, LineSuspend, "Success", 2), false},
	} {
		before := len(l.Results())
		if code := post(t, l, s.body); code != http.StatusOK {
			t.Fatalf("step %d: status %d", i, code)
		}
		if taken := len(l.Results()) > before; taken != s.taken {
			t.Errorf("step %d: taken %v, want %v", i, taken, s.taken)
		}
	}
	got := l.Results()
	if got[0].Final || got[0].Service != ServiceCarrier || got[0].Response != "suspendResponse" || got[0].Action != LineSuspend {
		t.Errorf("warning %+v", got[0])
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	res, err := l.Await(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	r := res["e1"]
	if _, line := r.Message.DeviceResponse.Line(); !r.Succeeded || line == nil || line.State != StateSuspend {
		t.Errorf("results %+v", res)
	}
	if f, ok := l.FinalOf("r1", MDN("0"), imei); !ok || f.Status != "Success" {
		t.Errorf("FinalOf by IMEI: %+v %v", f, ok)
	}
}

// A faultResponse names the device only as the request did: the result is
// filed by that identifier, and its service is the one the request's
// expectation gave.
func TestListenerTakesACarrierFaultByTheIdentifierNamed(t *testing.T) {
	l := NewListener(ValidateCallbacks())
	l.ExpectDevices("r1", ServiceCarrier, Identifiers{MDN("5105550142")})
	body := `{"username":"","password":"","requestId":"r1","deviceIds":[{"kind":"msisdn","id":"5105550142"}],
		"faultResponse":{"faultcode":"CarrierService.REQUEST_FAILED.Line","faultstring":"no"},
		"status":"Failed","callbackCount":1,"maxCallbackThreshold":4}`
	if code := post(t, l, body); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	res, err := l.Await(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	r, ok := res["mdn:5105550142"]
	if !ok || r.Succeeded || r.Service != ServiceCarrier || r.Code != "CarrierService.REQUEST_FAILED.Line" || r.Response != "" {
		t.Errorf("results %+v", res)
	}
}

// The v2 device list's callback is about its request: filed under "",
// and AwaitDeviceList returns its devices.
func TestListenerTakesTheDeviceListCallback(t *testing.T) {
	l := NewListener(ValidateCallbacks())
	l.ExpectDevices("r1", ServiceDeviceProfile)
	body := `{"username":"","password":"","requestId":"r1","deviceIds":[],"deviceResponse":{"deviceListResponse":{"accountName":"a","hasMoreData":false,
		"devices":[{"deviceIds":[{"kind":"eid","id":"e1"}],"carrierName":"Verizon Wireless","state":"ACTIVE","servicePlan":"P",
		"profiles":[{"iccid":"89148000000840784259","profileType":"local","profileStatus":"ENABLE"}]}]}},
		"status":"Success","callbackCount":1,"maxCallbackThreshold":4}`
	if code := post(t, l, body); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if r := l.Results()[0]; r.Device() != "" || r.Service != ServiceDeviceProfile || r.Response != "deviceListResponse" || !r.Succeeded {
		t.Errorf("result %+v", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	list, err := l.AwaitDeviceList(ctx, "r1")
	if err != nil || len(list.Devices) != 1 || list.Devices[0].Profiles[0].ProfileStatus != "ENABLE" {
		t.Fatalf("list %+v %v", list, err)
	}
}

// Each shape is held to its own schema: a Global IoT callback to
// gio-callback.json, a line change's to carrier-callback.json.
func TestValidatingListenerHoldsEachShapeToItsSchema(t *testing.T) {
	l := NewListener(ValidateCallbacks())
	gio := `{"username":"","password":"","requestId":"r1","deviceIds":[{"kind":"iccid","id":"89148000000840784259"}],
		"deviceResponse":{"deviceProfileResponse":{"deviceIdentifierCollection":[{"kind":"eid","id":"e1"}],"state":"Active","servicePlan":"",
		"profileStatus":"profile_suspend","iccid":"89148000000840784259","fallbackIccid":"11245055053268336886",
		"euiccStatus":"EXECUTED_SUCCESS","euiccStatusCode":"","euiccStatusDesc":"","profiles":[{"iccid":"1"}]}},
		"status":"Success","callbackCount":1,"maxCallbackThreshold":4}`
	twoLines := strings.Replace(carrierCallback("r2", IMEI("666456789014008"), LineSuspend, "Success", 1), `"deviceResponse":{`,
		`"deviceResponse":{"restoreResponse":{"deviceIds":[],"state":"Active","servicePlan":"","ipAddress":""},`, 1)
	for name, tt := range map[string]struct{ body, pointer string }{
		"GIO profiles":           {gio, "/deviceResponse/deviceProfileResponse/profiles/0"},
		"two line results":       {twoLines, "/deviceResponse"},
		"a line's unknown state": {strings.Replace(carrierCallback("r3", EID("e1"), LineSuspend, "Success", 1), `"Suspend"`, `"SUSPENDED"`, 1), "/state"},
	} {
		rec := httptest.NewRecorder()
		l.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/callbacks", strings.NewReader(tt.body)))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tt.pointer) {
			t.Errorf("%s: answer %d %q, want 400 naming %s", name, rec.Code, rec.Body, tt.pointer)
		}
	}
	if code := post(t, l, strings.Replace(gio, `,"profiles":[{"iccid":"1"}]`, "", 1)); code != http.StatusOK {
		t.Errorf("a valid GIO callback: status %d", code)
	}
	if r := l.Results()[0]; r.EID != "e1" || r.Action != "profile_suspend" || r.Message.DeviceResponse.DeviceProfileResponse.FallbackICCID != "11245055053268336886" {
		t.Errorf("GIO result %+v", r)
	}
}

func TestParseCallbackRefusesResultsItCannotTellApart(t *testing.T) {
	for name, body := range map[string]string{
		"no result":                      `{"requestId":"r","deviceIds":[{"kind":"eid","id":"e"}],"deviceResponse":{},"status":"Success","callbackCount":1}`,
		"two results":                    `{"requestId":"r","deviceIds":[{"kind":"eid","id":"e"}],"deviceResponse":{"suspendResponse":{},"restoreResponse":{}},"status":"Success","callbackCount":1}`,
		"both forms":                     `{"requestId":"r","deviceIds":[{"kind":"eid","id":"e"}],"deviceResponse":{"suspendResponse":{}},"faultResponse":{"faultcode":"x","faultstring":"y"},"status":"Failed","callbackCount":1}`,
		"a fault naming no device":       `{"requestId":"r","deviceIds":[],"faultResponse":{"faultcode":"x","faultstring":"y"},"status":"Failed","callbackCount":1}`,
		"a line change naming no device": `{"requestId":"r","deviceIds":[],"deviceResponse":{"suspendResponse":{"deviceIds":[]}},"status":"Success","callbackCount":1}`,
		"a null list":                    `{"requestId":"r","deviceIds":[],"deviceResponse":{"deviceListResponse":null},"status":"Success","callbackCount":1}`,
	} {
		if r, err := ParseCallback([]byte(body)); err == nil {
			t.Errorf("%s: accepted as %+v", name, r)
		}
	}
}

// The Global IoT family writes the HTTP status as errorCode: Code keeps
// it, and the error's text says it once.
func TestErrorOfTheStatusForm(t *testing.T) {
	e := decodeError(404, []byte(`{"errorCode":"404","errorMessage":"requestId: request r of account a was not found"}`))
	if e.Code != "404" || !e.StatusForm() || e.Error() != "thingspace: 404: requestId: request r of account a was not found" {
		t.Errorf("%+v %q", e, e.Error())
	}
	if e := decodeError(400, []byte(`{"errorCode":"UnifiedWebService.REQUEST_FAILED.DeviceNotFound","errorMessage":"no"}`)); e.StatusForm() {
		t.Errorf("%+v is not of the status form", e)
	}
}

// A v2 status's ids are one object in Verizon's SDKs and tssim, an array
// on ThingSpace's page: both are read.
func TestSubrequestTakesBothFormsOfIDs(t *testing.T) {
	var st RequestStatus
	body := `{"requestId":"r","status":"Pending","subRequests":[{"ids":{"kind":"eid","id":"e1"},"status":"Success"},{"ids":[{"kind":"iccid","id":"i2"}],"status":"Pending"}]}`
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	want := []Subrequest{{EID("e1"), "Success"}, {ICCID("i2"), "Pending"}}
	if len(st.Subrequests) != 2 || st.Subrequests[0] != want[0] || st.Subrequests[1] != want[1] {
		t.Errorf("subrequests %+v, want %+v", st.Subrequests, want)
	}
}

// ThingSpace may send a callback before the client has read the answer
// that tells what the request is: a fault taken before its expectation
// gets its service once the expectation comes.
func TestAnExpectationAfterItsResultsGivesTheirService(t *testing.T) {
	l := NewListener()
	l.Add(Result{RequestID: "r1", Status: "Failed", Final: true, DeviceIDs: []DeviceID{IMEI("1")}})
	l.ExpectDevices("r1", ServiceCarrier, Identifiers{IMEI("1")})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	res, err := l.Await(ctx, "r1")
	if err != nil || res["imei:1"].Service != ServiceCarrier || l.Results()[0].Service != ServiceCarrier {
		t.Errorf("results %+v %v, log %+v", res, err, l.Results())
	}
}
