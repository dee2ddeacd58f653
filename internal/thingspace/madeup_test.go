package thingspace_test

// The one-file proof: adding an operation to tssim is this one file (plus
// its schema in schemas/, its tests and its docs). Nothing else is
// edited: the router, the fault routes, callback delivery to the
// operation's own service, GET /_sim/operations and the OpenAPI document
// all take it from the catalogue. The operation here is made up and
// registered by this test only; a real one is the same declaration in a
// file of internal/thingspace, with a schema of its own in schemas/ (any
// *.json there is embedded and compiled): this one reuses the profile
// actions' body.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/thingspace"
	"github.com/tssim/tssim/internal/wire"
	"github.com/tssim/tssim/simulator"
)

// frobnicate is the made-up action: it sets a device's service plan to
// "frobnicated", refuses a device already frobnicated, and reports to
// MadeUpService, a callback service of its own.
var frobnicate = &domain.Kind{
	Name:    "madeup_frobnicate",
	Service: "MadeUpService",
	Rules: func(d *domain.Device, _ string) *domain.Refusal {
		if d.ServicePlan == "frobnicated" {
			return &domain.Refusal{Code: "9.9/9.9", Desc: "already frobnicated"}
		}
		return nil
	},
	Apply: func(d *domain.Device, _ domain.Result) { d.ServicePlan = "frobnicated" },
	Response: func(r domain.Result) any {
		return frobnicateResponse{EID: r.Device.EID, ServicePlan: r.Device.ServicePlan, Code: r.Step.EUICCStatusCode}
	},
}

// frobnicateResponse is the deviceResponse of its callbacks.
type frobnicateResponse struct {
	EID         string `json:"eid"`
	ServicePlan string `json:"servicePlan"`
	Code        string `json:"code,omitempty"`
}

const frobnicatePath = "/api/m2m/v1/devices/madeup/actions/frobnicate"

func init() {
	thingspace.Register(&thingspace.Operation{
		Name: frobnicate.Name, Method: http.MethodPost, Path: frobnicatePath, Schema: "profile-action.json",
		Access: thingspace.Session, Kind: frobnicate, Summary: "frobnicate a device (made up by a test)",
		Handle: thingspace.WithBody(func(c *thingspace.Call, req *wire.ActionRequest) (any, error) {
			return thingspace.StartAction(c, frobnicate, req)
		}),
	})
}

// Names from the built-in demo fixtures.
const (
	demoAccount = "1223334444-00001"
	demoSMSROID = "1.3.6.1.4.1.31746.1.500.200.101.5"
	demoEID     = "666456789123456789123456784008"
	demoICCID   = "89148000000840784259"
)

func TestAMadeUpOperationIsOneFile(t *testing.T) {
	ctx := context.Background()
	srv, err := simulator.New(simulator.Options{Clock: "manual", CallbackTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	madeUp, profiles := listener(t), listener(t)
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	api, err := client.New(hs.URL, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	for svc, url := range map[string]string{"MadeUpService": madeUp.url, client.ServiceDeviceProfile: profiles.url} {
		if err := api.RegisterCallback(ctx, demoAccount, client.CallbackRegistration{Name: svc, URL: url}); err != nil {
			t.Fatal(err)
		}
	}
	token, err := api.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	frob := func() (int, map[string]string) {
		t.Helper()
		body := `{"accountName":"` + demoAccount + `","smsrOid":"` + demoSMSROID + `","devices":[{"deviceIds":[{"kind":"eid","id":"` + demoEID + `"},{"kind":"iccid","id":"` + demoICCID + `"}]}]}`
		req, _ := http.NewRequest(http.MethodPost, hs.URL+frobnicatePath, bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("VZ-M2M-Token", api.SessionToken())
		req.Header.Set(domain.ScenarioHeader, "immediate-success")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	// The route answers with a requestId; the callback goes to the
	// listener of MadeUpService, built by the kind, the change applied.
	st, out := frob()
	if st != 200 || out["requestId"] == "" {
		t.Fatalf("frobnicate: %d %v", st, out)
	}
	cb := madeUp.next(t)
	if cb.RequestID != out["requestId"] || cb.Status != "Success" || cb.DeviceResponse != (frobnicateResponse{EID: demoEID, ServicePlan: "frobnicated", Code: "1.2.365"}) {
		t.Errorf("the MadeUpService callback: %+v", cb)
	}
	admin := client.NewAdmin(hs.URL, nil, "")
	if d, err := admin.Device(ctx, demoEID); err != nil || d.ServicePlan != "frobnicated" {
		t.Errorf("the device after frobnicating: %+v %v", d, err)
	}
	// Its Rules refuse it the second time: a failure callback.
	_, out = frob()
	if cb := madeUp.next(t); cb.RequestID != out["requestId"] || cb.Status != "Failed" || cb.DeviceResponse.Code != "9.9/9.9" {
		t.Errorf("the refusal's callback: %+v", cb)
	}
	// Nothing went to DeviceProfileService's listener: every attempt of
	// the world went to MadeUpService's.
	cbs, err := admin.Callbacks(ctx, client.CallbackQuery{Wait: 10 * time.Second, Min: 2, Attempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cbs {
		for _, a := range c.Attempts {
			if a.URL != madeUp.url {
				t.Errorf("a callback went to %s", a.URL)
			}
		}
	}
	if n := len(profiles.got); n > 0 {
		t.Errorf("DeviceProfileService's listener got %d callbacks", n)
	}

	// A fault rule takes it by its name.
	if _, err := admin.AddFault(ctx, client.SimFaultRule{Route: frobnicate.Name, Status: 503}); err != nil {
		t.Fatal(err)
	}
	if st, out := frob(); st != 503 {
		t.Errorf("under a fault rule: %d %v", st, out)
	}

	// GET /_sim/operations lists it, and its fault route.
	var ops struct {
		Operations []struct {
			Name, Path, Service string
		}
		FaultRoutes []string
	}
	getJSON(t, hs.URL+"/_sim/operations", &ops)
	if !slices.ContainsFunc(ops.Operations, func(o struct{ Name, Path, Service string }) bool {
		return o.Name == frobnicate.Name && o.Path == frobnicatePath && o.Service == "MadeUpService"
	}) || !slices.Contains(ops.FaultRoutes, frobnicate.Name) {
		t.Errorf("GET /_sim/operations: %+v", ops)
	}
	// So does the OpenAPI document, with its callbacks.
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	getJSON(t, hs.URL+"/_sim/openapi.json", &doc)
	var o struct {
		OperationID     string         `json:"operationId"`
		CallbackService string         `json:"x-callback-service"`
		Callbacks       map[string]any `json:"callbacks"`
	}
	if err := json.Unmarshal(doc.Paths[frobnicatePath]["post"], &o); err != nil || o.OperationID != frobnicate.Name || o.CallbackService != "MadeUpService" || o.Callbacks["MadeUpService"] == nil {
		t.Errorf("the OpenAPI document's %s: %+v %v", frobnicatePath, o, err)
	}
}

// madeUpCallback is a callback of the made-up operation.
type madeUpCallback struct {
	RequestID      string             `json:"requestId"`
	Status         string             `json:"status"`
	DeviceResponse frobnicateResponse `json:"deviceResponse"`
}

// callbackListener records the callbacks it is sent.
type callbackListener struct {
	url string
	got chan madeUpCallback
}

func listener(t *testing.T) *callbackListener {
	l := &callbackListener{got: make(chan madeUpCallback, 10)}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cb madeUpCallback
		if err := json.NewDecoder(r.Body).Decode(&cb); err != nil {
			t.Errorf("a callback: %v", err)
		}
		l.got <- cb
	}))
	t.Cleanup(s.Close)
	l.url = s.URL + "/callbacks"
	return l
}

// next waits for the next callback.
func (l *callbackListener) next(t *testing.T) madeUpCallback {
	t.Helper()
	select {
	case cb := <-l.got:
		return cb
	case <-time.After(10 * time.Second):
		t.Fatal("no callback in 10 s")
		return madeUpCallback{}
	}
}

func getJSON(t *testing.T, url string, dst any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(b, dst) != nil {
		t.Fatalf("GET %s: %d %.500s", url, resp.StatusCode, b)
	}
}
