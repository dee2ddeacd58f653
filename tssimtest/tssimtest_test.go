package tssimtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/tssimtest"
)

// SetState puts a line in a state without a callback: a deactivated line
// has no number, and the state gates the actions as the API's own changes
// do.
func TestSetState(t *testing.T) {
	sim := tssimtest.New(t)
	ctx := context.Background()
	if err := sim.SetState(ctx, tssimtest.DemoEID, client.StateDeactive); err != nil {
		t.Fatal(err)
	}
	d, err := sim.Admin.Device(ctx, tssimtest.DemoEID)
	if err != nil || d.State != client.StateDeactive || d.MDN != "" || d.IPAddress != "" {
		t.Fatalf("device %+v %v", d, err)
	}
	_, err = sim.Client.Suspend(ctx, client.LineRequest{AccountName: tssimtest.DemoAccount, Devices: []client.Identifiers{{client.EID(tssimtest.DemoEID)}}})
	if e := (*client.Error)(nil); !errors.As(err, &e) || e.Code != client.CodeDeviceStateInvalid {
		t.Errorf("suspending the deactivated line: %v", err)
	}
	if len(sim.Listener.Results()) != 0 {
		t.Errorf("callbacks %+v", sim.Listener.Results())
	}
	if err := sim.SetState(ctx, "666456789123456789123456789999", client.StateActive); err == nil {
		t.Error("an unknown device: no error")
	}
}

// RegisterListener registers the test's listener for both services, with
// the credentials every callback then echoes.
func TestRegisterListener(t *testing.T) {
	sim := tssimtest.New(t)
	ctx := context.Background()
	if err := sim.RegisterListener(ctx, tssimtest.DemoAccount, "user", "secret"); err != nil {
		t.Fatal(err)
	}
	regs, err := sim.Client.Callbacks(ctx, tssimtest.DemoAccount)
	if err != nil || len(regs) != 2 {
		t.Fatalf("registrations %+v %v", regs, err)
	}
	id, err := sim.Client.Restore(ctx, client.LineRequest{AccountName: tssimtest.DemoAccount, Devices: []client.Identifiers{{client.EID(tssimtest.DemoSuspendedEID)}}})
	if err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := sim.Listener.Await(wait, id)
	if r := res[tssimtest.DemoSuspendedEID]; err != nil || !r.Succeeded || r.Message.Username != "user" || r.Message.Password != "secret" {
		t.Errorf("result %+v %v", r, err)
	}
}
