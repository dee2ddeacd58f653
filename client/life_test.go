package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/tssimtest"
)

// A device's whole life through the client, as the README's walkthrough
// tells it: a deactivated line activated, a local profile downloaded and
// enabled, the line suspended and restored, the profile deleted, the line
// deactivated. Every step's callback reaches the listener once, final and
// a success, from the service of its operation, and the device is as the
// step left it.
func TestADevicesWholeLife(t *testing.T) {
	sim := tssimtest.New(t)
	ctx := context.Background()
	c, account, eid := sim.Client, tssimtest.DemoAccount, tssimtest.DemoDeactivatedEID
	const downloaded = "89148000000840784299"
	byEID := []client.Identifiers{{client.EID(eid)}}
	profile := func(iccid string) client.ProfileRequest {
		return client.ProfileRequest{AccountName: account, SMSROID: tssimtest.DemoSMSROID, Devices: []client.DeviceRef{{EID: eid, ICCID: iccid}}}
	}
	steps := []struct {
		name    string
		do      func() (string, error)
		service string
		state   string
		enabled string
	}{
		{"activate", func() (string, error) {
			return c.Activate(ctx, client.LineRequest{AccountName: account, Devices: byEID, ServicePlan: newPlan, MDNZipCode: "94107"})
		}, client.ServiceCarrier, client.StateActive, tssimtest.DemoDeactivatedICCID},
		{"download_enable", func() (string, error) { return c.ProfileAction(ctx, client.ActionDownloadEnable, profile(downloaded)) },
			client.ServiceDeviceProfile, client.StateActive, downloaded},
		{"suspend", func() (string, error) {
			return c.Suspend(ctx, client.LineRequest{AccountName: account, Devices: byEID})
		},
			client.ServiceCarrier, client.StateSuspend, downloaded},
		{"restore", func() (string, error) {
			return c.Restore(ctx, client.LineRequest{AccountName: account, Devices: byEID})
		},
			client.ServiceCarrier, client.StateActive, downloaded},
		{"delete", func() (string, error) { return c.DeleteProfile(ctx, profile(downloaded)) },
			client.ServiceDeviceProfile, client.StateActive, "11245055053268336894"},
		{"deactivate", func() (string, error) {
			return c.Deactivate(ctx, client.LineRequest{AccountName: account, Devices: byEID})
		},
			client.ServiceCarrier, client.StateDeactive, "11245055053268336894"},
	}
	for _, s := range steps {
		id, err := s.do()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		wait, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = sim.Listener.Await(wait, id)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var got []client.Result
		for _, r := range sim.Listener.Results() {
			if r.RequestID == id {
				got = append(got, r)
			}
		}
		if len(got) != 1 || !got[0].Final || !got[0].Succeeded || got[0].Service != s.service || got[0].Action != s.name || got[0].EID != eid {
			t.Fatalf("%s: callbacks %+v, want one final success of %s", s.name, got, s.service)
		}
		d, err := sim.Admin.Device(ctx, eid)
		if err != nil || d.State != s.state || d.Enabled() != s.enabled {
			t.Fatalf("after %s: %s with %s enabled (%v), want %s with %s", s.name, d.State, d.Enabled(), err, s.state, s.enabled)
		}
	}
	journal, err := sim.Admin.Callbacks(ctx, client.CallbackQuery{Wait: 5 * time.Second, Min: len(steps)})
	if err != nil {
		t.Fatal(err)
	}
	if len(journal) != len(steps) || len(sim.Listener.Results()) != len(steps) || sim.Listener.Dropped() != 0 {
		t.Errorf("%d callbacks sent, %d taken, %d dropped; want %d, each once", len(journal), len(sim.Listener.Results()), sim.Listener.Dropped(), len(steps))
	}
	for _, cb := range journal {
		if cb.State != "delivered" || len(cb.Attempts) != 1 {
			t.Errorf("callback %d of %s: %s after %d attempts", cb.Seq, cb.RequestID, cb.State, len(cb.Attempts))
		}
	}
}
