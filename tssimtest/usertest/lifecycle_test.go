package usertest

import (
	"context"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/tssimtest"
)

// A team's test of its line handling: a suspended line is restored before
// its profile is changed, and the code polls the request until it is done.
func TestRestoreBeforeChangingTheProfile(t *testing.T) {
	sim := tssimtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sim.SetState(ctx, tssimtest.DemoEID, client.StateSuspend); err != nil {
		t.Fatal(err)
	}
	if err := sim.Admin.AssignScenario(ctx, tssimtest.DemoEID, "delayed-success"); err != nil {
		t.Fatal(err)
	}
	id, err := sim.Client.Restore(ctx, client.LineRequest{AccountName: tssimtest.DemoAccount,
		Devices: []client.Identifiers{{client.IMEI(tssimtest.DemoIMEI)}}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sim.Client.RequestStatus(ctx, tssimtest.DemoAccount, id)
	if err != nil || st.Status != client.RequestPending {
		t.Fatalf("status at once: %+v %v, want Pending", st, err)
	}
	sim.Advance(2 * time.Minute)
	if st, err = sim.Client.RequestStatus(ctx, tssimtest.DemoAccount, id); err != nil || st.Status != client.RequestSuccess {
		t.Fatalf("status after 2 minutes: %+v %v, want Success", st, err)
	}
	results, err := sim.Listener.Await(ctx, id)
	if r := results[tssimtest.DemoEID]; err != nil || !r.Succeeded || r.Service != client.ServiceCarrier {
		t.Fatalf("CarrierService result %+v %v", r, err)
	}
	if err := sim.Admin.AssignScenario(ctx, tssimtest.DemoEID, ""); err != nil {
		t.Fatal(err)
	}
	id, err = sim.Client.DeleteProfile(ctx, seedDelete())
	if err != nil {
		t.Fatal(err)
	}
	if results, err = sim.Listener.Await(ctx, id); err != nil || !results[tssimtest.DemoEID].Succeeded {
		t.Fatalf("delete after the restore: %+v %v", results, err)
	}
}
