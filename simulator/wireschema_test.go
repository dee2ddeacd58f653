package simulator_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tssim/tssim/schemas"
)

// wireSchemas holds the schemas of what tssim sends: every callback and
// every error body a test sees is checked against them.
type wireSchemas struct {
	callback, errorBody *jsonschema.Schema
}

func compileWireSchemas(t *testing.T) wireSchemas {
	t.Helper()
	var w wireSchemas
	var err error
	if w.callback, err = schemas.Compile("any-callback.json"); err != nil {
		t.Fatal(err)
	}
	if w.errorBody, err = schemas.Compile("error.json"); err != nil {
		t.Fatal(err)
	}
	return w
}

// check reports, as a test error, a body that breaks schema s.
func check(t *testing.T, s *jsonschema.Schema, what string, body []byte) {
	if err := schemas.Check(s, body); err != nil {
		t.Errorf("%s breaks %s: %v\n%s", what, s.Location, err, body)
	}
}

// checkingTransport checks every error answer against error.json.
type checkingTransport struct {
	t      *testing.T
	schema *jsonschema.Schema
}

func (c checkingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	check(c.t, c.schema, r.Method+" "+r.URL.Path+" error answer", body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func TestWireSchemasRefuseWhatTssimNeverSends(t *testing.T) {
	w := compileWireSchemas(t)
	for _, tc := range []struct {
		schema *jsonschema.Schema
		body   string
	}{
		{w.errorBody, `{"errorCode":"UnifiedWebService.REQUEST_FAILED.DeviceNotFound"}`},
		{w.errorBody, `{"errorcode":"x","errorMessage":"y"}`},
		{w.errorBody, `{"fault":{"code":"900901"}}`},
		{w.callback, `{"requestId":"r","status":"Success"}`},
		{w.callback, `{"username":"","password":"","requestId":"r","deviceIds":[],"status":"Success","callbackCount":0,"maxCallbackThreshold":4,"faultResponse":{"faultcode":"a","faultstring":"b"}}`},
	} {
		if schemas.Check(tc.schema, []byte(tc.body)) == nil {
			t.Errorf("%s accepts %s", tc.schema.Location, tc.body)
		}
	}
}
