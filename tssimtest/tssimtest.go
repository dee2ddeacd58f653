// Package tssimtest starts tssim inside a Go test: a simulator of
// ThingSpace's eUICC API in process, on a manual clock, with the reference
// client logged in as the demo user and a callback listener that takes
// every account's callbacks of every service (DeviceProfileService for the
// profile actions, local and Global IoT, and the v2 device list;
// CarrierService for the line's activate, deactivate, suspend, restore).
//
//	sim := tssimtest.New(t)
//	id, err := sim.Client.DeleteProfile(ctx, client.ProfileRequest{...})
//	results, err := sim.Listener.Await(ctx, id)
//	sim.Advance(10 * time.Minute) // the next step of the device's scenario
//
//	id, err = sim.Client.Suspend(ctx, client.LineRequest{AccountName: tssimtest.DemoAccount,
//		Devices: []client.Identifiers{{client.IMEI(tssimtest.DemoIMEI)}}})
//	results, err = sim.Listener.Await(ctx, id) // its CarrierService callback
//
// Point your own client at sim.URL, and register its listener, or read
// what reached sim.Listener. SetState puts a line in a service state
// without an action, to start a test from there.
package tssimtest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/simulator"
)

// The demo fixtures' names, for tests that use them.
const (
	DemoAccount = "1223334444-00001"
	DemoSMSROID = "1.3.6.1.4.1.31746.1.500.200.101.5"
	// DemoEID holds the bootstrap profile DemoBootstrap and the enabled
	// local profile DemoICCID, as on ThingSpace's page.
	DemoEID       = "666456789123456789123456784008"
	DemoICCID     = "89148000000840784259"
	DemoBootstrap = "11245055053268336886"
	// DemoIMEI and DemoMDN are DemoEID's other identifiers: a line change
	// may name the device by any of them.
	DemoIMEI = "666456789014008"
	DemoMDN  = "2022326360"
	// DemoSuspendedEID's line is suspended and DemoDeactivatedEID's
	// deactivated; each has a bootstrap profile and an enabled local one
	// (DemoDeactivatedICCID for the second).
	DemoSuspendedEID     = "666456789123456789123456784015"
	DemoDeactivatedEID   = "666456789123456789123456784016"
	DemoDeactivatedICCID = "89148000000840784268"
)

// Server is a running simulator and the clients of a test.
type Server struct {
	// URL is the simulator's base URL, for the client under test.
	URL string
	// Client is the reference client, logged in as the demo user when it
	// first calls; its results go to Listener.
	Client *client.Client
	// Listener takes the callbacks of every account that registered no
	// listener of its own; ListenerURL is where it is served.
	Listener    *client.Listener
	ListenerURL string
	// Admin drives the control API: devices, scenarios, journals, clock.
	Admin *client.Admin

	sim       *simulator.Server
	api       *httptest.Server
	callbacks *httptest.Server
}

// Option changes how the simulator starts.
type Option func(*simulator.Options)

// WithFixtures starts from a fixtures file (schemas/fixtures.json;
// `tssim fixtures` prints the demo as a template) instead of the demo.
func WithFixtures(path string) Option { return func(o *simulator.Options) { o.Fixtures = path } }

// WithScenarios adds the scenario files of a folder to the built-in ones.
func WithScenarios(dir string) Option { return func(o *simulator.Options) { o.Scenarios = dir } }

// WithDefaultScenario sets the scenario of devices and accounts that have
// none (default immediate-success).
func WithDefaultScenario(name string) Option {
	return func(o *simulator.Options) { o.DefaultScenario = name }
}

// WithRelaxedAuth accepts any non-empty tokens, as Verizon's hosted mock
// does, instead of ThingSpace's rules.
func WithRelaxedAuth() Option { return func(o *simulator.Options) { o.Auth = "relaxed" } }

// New starts a simulator for t and stops it when t ends. It fails t when
// the simulator cannot start (a bad fixtures file, say).
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a simulator outside a test (in an Example, say); Close
// stops it.
func Start(opts ...Option) (*Server, error) {
	s := &Server{Listener: client.NewListener(client.ValidateCallbacks())}
	s.callbacks = httptest.NewServer(s.Listener)
	s.ListenerURL = s.callbacks.URL + "/callbacks"
	o := simulator.Options{Clock: "manual", CallbackURL: s.ListenerURL, CallbackTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	sim, err := simulator.New(o)
	if err != nil {
		s.callbacks.Close()
		return nil, fmt.Errorf("tssimtest: %w", err)
	}
	s.sim = sim
	s.api = httptest.NewServer(sim.Handler())
	s.URL = s.api.URL
	s.Admin = client.NewAdmin(s.URL, nil, "")
	s.Client, err = client.New(s.URL, client.WithCredentials("demo-key", "demo-secret"),
		client.WithUser("demo", "demo"), client.WithListener(s.Listener))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("tssimtest: %w", err)
	}
	return s, nil
}

// Advance moves the simulator's clock: the scenario steps and callback
// retries that fall due run, in order, and their callbacks have had their
// delivery attempt when it returns.
func (s *Server) Advance(d time.Duration) time.Time {
	now, err := s.Admin.Advance(context.Background(), d)
	if err != nil {
		panic(fmt.Sprintf("tssimtest: advancing the clock: %v", err))
	}
	return now
}

// SetState puts the line of the device eid in a service state
// (client.StateActive, StateSuspend or StateDeactive) through the control
// API, with no action nor callback: a test then starts from there. A line
// put in Deactive loses its MDN and IP address, as a deactivation takes
// them; one put back in Active keeps what it has. The device is replaced
// as the control API's PUT replaces it: an action it waits on is
// forgotten, and so are its Global IoT marks (a profile suspended or
// deactivated on its own, the fall-back attribute), which the control API
// does not take.
func (s *Server) SetState(ctx context.Context, eid, state string) error {
	d, err := s.Admin.Device(ctx, eid)
	if err != nil {
		return fmt.Errorf("tssimtest: %w", err)
	}
	d.State = state
	if state == client.StateDeactive {
		d.MDN, d.IPAddress = "", ""
	}
	if err := s.Admin.PutDevice(ctx, d); err != nil {
		return fmt.Errorf("tssimtest: putting device %s in state %s: %w", eid, state, err)
	}
	return nil
}

// RegisterListener registers Listener as the account's listener of each
// service (DeviceProfileService and CarrierService when none is named),
// with username and password echoed in every callback. Without it the
// simulator still sends Listener every callback of an account that
// registered no listener of that service; with it a test sees the
// registration ThingSpace would, or takes back a service another
// registration took.
func (s *Server) RegisterListener(ctx context.Context, account, username, password string, services ...string) error {
	if len(services) == 0 {
		services = []string{client.ServiceDeviceProfile, client.ServiceCarrier}
	}
	for _, name := range services {
		reg := client.CallbackRegistration{Name: name, URL: s.ListenerURL, Username: username, Password: password}
		if err := s.Client.RegisterCallback(ctx, account, reg); err != nil {
			return fmt.Errorf("tssimtest: registering the listener of %s for account %s: %w", name, account, err)
		}
	}
	return nil
}

// Close stops the simulator and the listener.
func (s *Server) Close() {
	if s.api != nil {
		s.api.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s.sim != nil {
		_ = s.sim.Close(ctx)
	}
	s.callbacks.Close()
}
