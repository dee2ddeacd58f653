package simulator_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/simulator"
)

// Names from the built-in demo fixtures.
const (
	account      = "1223334444-00001"
	account2     = "0000123456-00001"
	otherAccount = "5550001111-00001"
	smsrOID      = "1.3.6.1.4.1.31746.1.500.200.101.5"
	seedEID      = "666456789123456789123456784008"
	seedICCID    = "89148000000840784259"
	seedBoot     = "11245055053268336886"
)

// env is one simulator on a manual clock, a client logged in as the demo
// user, and a listener registered for the demo accounts.
type env struct {
	t        *testing.T
	ctx      context.Context
	srv      *simulator.Server
	url      string
	api      *client.Client
	admin    *client.Admin
	listener *client.Listener
	// listenerURL is where the listener is served.
	listenerURL string
	// answer, when set, replaces the listener's answer to each callback.
	answer atomic.Pointer[func(w http.ResponseWriter, r *http.Request) bool]
}

func newEnv(t *testing.T, opts ...func(*simulator.Options)) *env {
	t.Helper()
	o := simulator.Options{Clock: "manual", CallbackTimeout: 2 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	srv, err := simulator.New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	e := &env{t: t, ctx: context.Background(), srv: srv, url: hs.URL, listener: client.NewListener()}
	wire := compileWireSchemas(t)
	ls := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading a callback: %v", err)
			return
		}
		check(t, wire.callback, "callback", body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if f := e.answer.Load(); f != nil && (*f)(w, r) {
			return
		}
		e.listener.ServeHTTP(w, r)
	}))
	e.listenerURL = ls.URL + "/callbacks"
	t.Cleanup(func() {
		ls.Close()
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	e.api, err = client.New(hs.URL, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"),
		client.WithListener(e.listener), client.WithHTTPClient(&http.Client{Transport: checkingTransport{t, wire.errorBody}}))
	if err != nil {
		t.Fatal(err)
	}
	e.admin = client.NewAdmin(hs.URL, &http.Client{Transport: checkingTransport{t, wire.errorBody}}, o.AdminToken)
	return e
}

// register points the demo accounts' DeviceProfileService at the listener.
func (e *env) register(accounts ...string) {
	e.t.Helper()
	for _, a := range accounts {
		if err := e.api.RegisterCallback(e.ctx, a, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: e.listenerURL, Username: "cbuser", Password: "cbpass"}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// delete asks to delete one profile of one device of the demo account.
func (e *env) delete(eid, iccid string) string {
	e.t.Helper()
	id, err := e.api.DeleteProfile(e.ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: eid, ICCID: iccid}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// callbacks waits until n callbacks of the request had an attempt and, in
// all, attempts attempts were made; it fails the test when they do not.
func (e *env) callbacks(requestID string, n, attempts int) []client.SimCallback {
	e.t.Helper()
	cbs, err := e.admin.Callbacks(e.ctx, client.CallbackQuery{RequestID: requestID, Wait: 10 * time.Second, Min: n, Attempts: attempts})
	if err != nil {
		e.t.Fatal(err)
	}
	tried, total := 0, 0
	for _, c := range cbs {
		if len(c.Attempts) > 0 {
			tried++
		}
		total += len(c.Attempts)
	}
	if tried < n || total < attempts {
		e.t.Fatalf("request %s: %d callbacks tried and %d attempts, want %d and %d: %+v", requestID, tried, total, n, attempts, cbs)
	}
	return cbs
}

func (e *env) advance(d time.Duration) {
	e.t.Helper()
	if _, err := e.admin.Advance(e.ctx, d); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) device(eid string) client.SimDevice {
	e.t.Helper()
	d, err := e.admin.Device(e.ctx, eid)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// code returns the ThingSpace code of err, failing when err is not an
// *client.Error.
func code(t *testing.T, err error) (int, string) {
	t.Helper()
	var ce *client.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v is not a ThingSpace error", err)
	}
	return ce.StatusCode, ce.Code
}
