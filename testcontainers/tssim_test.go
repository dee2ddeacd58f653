package tssim_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/tssim/tssim/client"
	tssim "github.com/tssim/tssim/testcontainers"
)

// image is the tssim image the test runs: make docker builds
// tssim:latest, and make compose-test runs this test against it.
func image(t *testing.T) string {
	img := os.Getenv("TSSIM_IMAGE")
	if img == "" {
		t.Skip("TSSIM_IMAGE names no tssim image (make docker builds tssim:latest; make compose-test runs this test)")
	}
	return img
}

// A delete in the container, its callbacks at a listener of the test on
// the same machine, through a scenario copied in from testdata/, on the
// demo fixtures copied in from the repository.
func TestRunDeleteWithCallbacksToTheTest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctr, err := tssim.Run(ctx, image(t), tssim.WithHostNetwork(), tssim.WithManualClock(),
		tssim.WithScenarios("testdata/scenarios"), tssim.WithFixtures("../fixtures/demo.json"), tssim.WithAdminToken("admin-secret"))
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatal(err)
	}

	listener := client.NewListener(client.ValidateCallbacks())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: listener, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	api, err := ctr.Client(ctx, client.WithListener(listener))
	if err != nil {
		t.Fatal(err)
	}
	admin, err := ctr.Admin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const account, eid = "1223334444-00001", "666456789123456789123456784008"
	if err := api.RegisterCallback(ctx, account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: "http://" + ln.Addr().String() + "/callbacks"}); err != nil {
		t.Fatal(err)
	}
	if err := admin.AssignScenario(ctx, eid, "quick-warning"); err != nil {
		t.Fatal(err)
	}
	id, err := api.DeleteProfile(ctx, client.ProfileRequest{AccountName: account, SMSROID: "1.3.6.1.4.1.31746.1.500.200.101.5",
		Devices: []client.DeviceRef{{EID: eid, ICCID: "89148000000840784259"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Advance(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	results, err := listener.Await(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := listener.Results(); len(got) != 2 || got[0].Status != "Warning" || !results[eid].Succeeded {
		t.Errorf("the listener took %+v, want a Warning then a Success", got)
	}
}
