// Package usertest is a user's test of its ThingSpace integration, written
// with tssimtest as a team outside this repository would write it.
package usertest

import (
	"context"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/tssimtest"
)

func seedDelete() client.ProfileRequest {
	return client.ProfileRequest{
		AccountName: tssimtest.DemoAccount, SMSROID: tssimtest.DemoSMSROID,
		Devices: []client.DeviceRef{{EID: tssimtest.DemoEID, ICCID: tssimtest.DemoICCID}},
	}
}

func TestDeleteTheSeedProfile(t *testing.T) {
	sim := tssimtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id, err := sim.Client.DeleteProfile(ctx, seedDelete())
	if err != nil {
		t.Fatal(err)
	}
	results, err := sim.Listener.Await(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r := results[tssimtest.DemoEID]; !r.Succeeded || r.EUICCStatus != "EXECUTED_SUCCESS" {
		t.Fatalf("result %+v, want a Success", r)
	}
	d, err := sim.Admin.Device(ctx, tssimtest.DemoEID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Enabled() != tssimtest.DemoBootstrap {
		t.Errorf("enabled %s, want the bootstrap profile", d.Enabled())
	}
}

func TestAnUnreachableDevice(t *testing.T) {
	sim := tssimtest.New(t)
	ctx := context.Background()
	if err := sim.Admin.AssignScenario(ctx, tssimtest.DemoEID, "warning-then-success"); err != nil {
		t.Fatal(err)
	}
	id, err := sim.Client.DeleteProfile(ctx, seedDelete())
	if err != nil {
		t.Fatal(err)
	}
	sim.Advance(9 * time.Minute)
	if got := sim.Listener.Results(); len(got) != 1 || got[0].Final {
		t.Fatalf("after 9 minutes the client has %+v, want one warning", got)
	}
	sim.Advance(time.Minute)
	wait, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	results, err := sim.Listener.Await(wait, id)
	if err != nil || !results[tssimtest.DemoEID].Succeeded {
		t.Fatalf("after 10 minutes: %+v %v, want a Success", results, err)
	}
}
