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
