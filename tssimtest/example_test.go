package tssimtest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/tssimtest"
)

// Delete the enabled local profile of the seed page's device, then wait for
// its DeviceProfileResponse callback.
func Example() {
	sim, err := tssimtest.Start() // in a test: sim := tssimtest.New(t)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	id, err := sim.Client.DeleteProfile(ctx, client.ProfileRequest{
		AccountName: tssimtest.DemoAccount, SMSROID: tssimtest.DemoSMSROID,
		Devices: []client.DeviceRef{{EID: tssimtest.DemoEID, ICCID: tssimtest.DemoICCID}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	results, err := sim.Listener.Await(ctx, id)
	fmt.Println(results[tssimtest.DemoEID].Status, err)
	// Output: Success <nil>
}

// An unreachable device: a warning at once, the outcome ten minutes later
// on the simulator's clock, which the test moves.
func Example_warningThenSuccess() {
	sim, err := tssimtest.Start(tssimtest.WithDefaultScenario("warning-then-success"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()
	ctx := context.Background()

	id, _ := sim.Client.DeleteProfile(ctx, client.ProfileRequest{
		AccountName: tssimtest.DemoAccount, SMSROID: tssimtest.DemoSMSROID,
		Devices: []client.DeviceRef{{EID: tssimtest.DemoEID, ICCID: tssimtest.DemoICCID}},
	})
	sim.Advance(0) // the warning's delivery
	fmt.Println(sim.Listener.Results()[0].Status)

	sim.Advance(10 * time.Minute)
	results, _ := sim.Listener.Await(ctx, id)
	fmt.Println(results[tssimtest.DemoEID].Status)
	// Output:
	// Warning
	// Success
}

// Suspend the seed device's line, named by its IMEI, and read its
// CarrierService callback and the request's status.
func Example_suspend() {
	sim, err := tssimtest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	id, err := sim.Client.Suspend(ctx, client.LineRequest{AccountName: tssimtest.DemoAccount,
		Devices: []client.Identifiers{{client.IMEI(tssimtest.DemoIMEI)}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	results, _ := sim.Listener.Await(ctx, id)
	r := results[tssimtest.DemoEID]
	_, line := r.Message.DeviceResponse.Line()
	fmt.Println(r.Service, r.Action, r.Status, line.State)
	st, _ := sim.Client.RequestStatus(ctx, tssimtest.DemoAccount, id)
	fmt.Println(st.Status)
	// Output:
	// CarrierService suspend Success Suspend
	// Success
}
