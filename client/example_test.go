package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/simulator"
)

// Delete a local profile and wait for the DeviceProfileResponse callback,
// against an in-process tssim with the demo fixtures.
func Example() {
	sim, _ := simulator.New(simulator.Options{Clock: "manual"})
	api := httptest.NewServer(sim.Handler())
	defer api.Close()

	ctx := context.Background()
	listener := client.NewListener()
	callbacks := httptest.NewServer(listener)
	defer callbacks.Close()

	c, _ := client.New(api.URL,
		client.WithCredentials("demo-key", "demo-secret"),
		client.WithUser("demo", "demo"),
		client.WithListener(listener))
	_ = c.RegisterCallback(ctx, "1223334444-00001", client.CallbackRegistration{
		Name: client.ServiceDeviceProfile, URL: callbacks.URL})

	id, err := c.DeleteProfile(ctx, client.ProfileRequest{
		AccountName: "1223334444-00001",
		SMSROID:     "1.3.6.1.4.1.31746.1.500.200.101.5",
		Devices:     []client.DeviceRef{{EID: "666456789123456789123456784008", ICCID: "89148000000840784259"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	results, _ := listener.Await(wait, id)
	r := results["666456789123456789123456784008"]
	fmt.Println(r.Status, r.EUICCStatus, r.Succeeded)

	d, _ := client.NewAdmin(api.URL, nil, "").Device(ctx, "666456789123456789123456784008")
	fmt.Println("enabled now:", d.Enabled())
	// Output:
	// Success EXECUTED_SUCCESS true
	// enabled now: 11245055053268336886
}

// A refused request is an *client.Error carrying ThingSpace's errorCode.
func ExampleError() {
	sim, _ := simulator.New(simulator.Options{Clock: "manual"})
	api := httptest.NewServer(sim.Handler())
	defer api.Close()

	c, _ := client.New(api.URL, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"))
	_, err := c.DeleteProfile(context.Background(), client.ProfileRequest{
		AccountName: "1223334444-00001",
		SMSROID:     "1.3.6.1.4.1.31746.1.500.200.101.5",
		Devices:     []client.DeviceRef{{EID: "666456789123456789123456789999", ICCID: "89148000000840784259"}},
	})
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.StatusCode, e.Code)
	}
	// Output:
	// 400 UnifiedWebService.REQUEST_FAILED.DeviceNotFound
}

// Warnings are not final: a device that was unreachable sends a Warning
// callback first, and Await waits for the result that follows.
func ExampleListener_Await() {
	sim, _ := simulator.New(simulator.Options{Clock: "manual"})
	api := httptest.NewServer(sim.Handler())
	defer api.Close()
	ctx := context.Background()
	listener := client.NewListener()
	callbacks := httptest.NewServer(listener)
	defer callbacks.Close()
	c, _ := client.New(api.URL, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"), client.WithListener(listener))
	_ = c.RegisterCallback(ctx, "1223334444-00001", client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: callbacks.URL})
	admin := client.NewAdmin(api.URL, nil, "")
	_ = admin.AssignScenario(ctx, "666456789123456789123456784008", "warning-then-success")

	id, _ := c.DeleteProfile(ctx, client.ProfileRequest{AccountName: "1223334444-00001", SMSROID: "1.3.6.1.4.1.31746.1.500.200.101.5",
		Devices: []client.DeviceRef{{EID: "666456789123456789123456784008", ICCID: "89148000000840784259"}}})
	_, _ = admin.Advance(ctx, 10*time.Minute) // the device comes back
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	results, _ := listener.Await(wait, id)
	for _, r := range listener.Results() {
		fmt.Println(r.Status, r.Final)
	}
	fmt.Println(results["666456789123456789123456784008"].Succeeded)
	// Output:
	// Warning false
	// Success true
	// true
}
