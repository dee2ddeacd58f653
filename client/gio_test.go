package client_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/tssimtest"
)

// The Global IoT actions through the client's helpers, on the seed device:
// each answered with a requestId whose DeviceProfileService callback is
// the device's final result, a refusal included.
func TestGIOActionsThroughTheClient(t *testing.T) {
	sim := tssimtest.New(t)
	ctx := context.Background()
	c, account := sim.Client, tssimtest.DemoAccount
	var downloaded string
	for _, step := range []struct {
		name      string
		do        func() (string, error)
		succeeded bool
		check     func(client.ProfileResult) bool
	}{
		{"profile_suspend", func() (string, error) { return c.SuspendProfile(ctx, account, tssimtest.DemoICCID) }, true,
			func(p client.ProfileResult) bool {
				return p.ICCID == tssimtest.DemoICCID && p.ProfileStatus == client.GIOProfileSuspend
			}},
		{"profile_suspend again", func() (string, error) { return c.SuspendProfile(ctx, account, tssimtest.DemoICCID) }, false,
			func(p client.ProfileResult) bool { return p.EUICCStatusDesc == "Profile is already suspended" }},
		{"profile_resume", func() (string, error) { return c.ResumeProfile(ctx, account, tssimtest.DemoICCID) }, true, nil},
		{"device_suspend", func() (string, error) { return c.SuspendDevice(ctx, account, tssimtest.DemoEID) }, true,
			func(p client.ProfileResult) bool { return len(p.Profiles) == 2 && p.Profiles[1].Status == "Success" }},
		{"device_resume", func() (string, error) { return c.ResumeDevice(ctx, account, tssimtest.DemoEID) }, true, nil},
		{"download_enable", func() (string, error) { return c.DownloadGIOProfile(ctx, account, tssimtest.DemoEID, "", true) }, true,
			func(p client.ProfileResult) bool { downloaded = p.ICCID; return p.ICCID != "" }},
		{"enable", func() (string, error) {
			return c.EnableGIOProfile(ctx, account, tssimtest.DemoEID, tssimtest.DemoICCID)
		}, true, nil},
		{"delete", func() (string, error) { return c.DeleteGIOProfile(ctx, account, tssimtest.DemoEID, downloaded) }, true, nil},
		{"setfallbackattribute", func() (string, error) {
			return c.SetFallbackProfile(ctx, account, tssimtest.DemoEID, tssimtest.DemoICCID)
		}, true,
			func(p client.ProfileResult) bool { return p.FallbackICCID == tssimtest.DemoICCID }},
		{"download", func() (string, error) {
			return c.DownloadGIOProfile(ctx, account, tssimtest.DemoEID, "89148000000840799999", false)
		}, true,
			func(p client.ProfileResult) bool { return p.ICCID == "89148000000840799999" }},
	} {
		id, err := step.do()
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		r, ok := await(t, sim, id)[tssimtest.DemoEID]
		if !ok || r.Succeeded != step.succeeded || r.Service != client.ServiceDeviceProfile {
			t.Fatalf("%s: result %+v", step.name, r)
		}
		if p := r.Message.DeviceResponse.DeviceProfileResponse; step.check != nil && !step.check(p) {
			t.Errorf("%s: %+v", step.name, p)
		}
	}
	d, _ := sim.Admin.Device(ctx, tssimtest.DemoEID)
	if d.Enabled() != tssimtest.DemoICCID || len(d.Profiles) != 3 {
		t.Errorf("the device after: %+v", d)
	}
}

// A Global IoT refusal is in the family's form: the HTTP status as the
// code.
func TestGIOErrorIsOfTheStatusForm(t *testing.T) {
	sim := tssimtest.New(t)
	_, err := sim.Client.GIOAction(context.Background(), client.GIOActivate, client.GIORequest{AccountName: tssimtest.DemoAccount,
		Devices: []client.Identifiers{{client.EID("666456789123456789123456789999")}}})
	if e := (*client.Error)(nil); !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest || e.Code != "400" || e.Message == "" {
		t.Errorf("an unknown device: %v", err)
	}
}
