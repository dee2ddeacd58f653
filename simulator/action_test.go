package simulator_test

import (
	"testing"
	"time"

	"github.com/tssim/tssim/client"
)

func TestDeletingTheBootstrapFailsWhateverTheScenario(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	id := e.delete(seedEID, seedBoot)
	res, err := e.listener.Await(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r := res[seedEID]; r.Succeeded || r.EUICCStatus != "FAILED" || r.Code != "8.2.3/3.8" {
		t.Errorf("result %+v", r)
	}
	if d := e.device(seedEID); len(d.Profiles) != 2 || d.Enabled() != seedICCID {
		t.Errorf("device changed: %+v", d)
	}
}

func TestSecondActionOnABusyDeviceFails(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	if err := e.admin.AssignScenario(e.ctx, seedEID, "warning-then-success"); err != nil {
		t.Fatal(err)
	}
	first := e.delete(seedEID, seedICCID)
	e.callbacks(first, 1, 0)
	if p := e.device(seedEID).Pending; p == nil || p.RequestID != first || p.Action != "delete" {
		t.Fatalf("pending %+v", p)
	}
	second := e.delete(seedEID, seedICCID)
	res, err := e.listener.Await(e.ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	if r := res[seedEID]; r.Succeeded || r.Code != "1.2/4.4" {
		t.Errorf("second action: %+v", r)
	}
	e.advance(10 * time.Minute)
	res, err = e.listener.Await(e.ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if !res[seedEID].Succeeded {
		t.Errorf("first action: %+v", res[seedEID])
	}
	if d := e.device(seedEID); d.Pending != nil || d.Enabled() != seedBoot {
		t.Errorf("device %+v", d)
	}
}

func TestSeveralDevicesWithDifferentOutcomes(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	const (
		warnEID   = "666456789123456789123456784012" // warning-then-success in the fixtures
		failEID   = "666456789123456789123456784013" // unreachable-then-failure
		plainEID  = "666456789123456789123456784009"
		bootOnEID = "666456789123456789123456784010"
	)
	id, err := e.api.DeleteProfile(e.ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{
		{EID: seedEID, ICCID: seedICCID},
		{EID: warnEID, ICCID: "89148000000840784264"},
		{EID: failEID, ICCID: "89148000000840784265"},
		{EID: plainEID, ICCID: "89148000000840784261"},  // a disabled local profile
		{EID: bootOnEID, ICCID: "11245055053268336888"}, // the bootstrap
	}})
	if err != nil {
		t.Fatal(err)
	}
	e.callbacks(id, 5, 0)
	e.advance(30 * time.Minute)
	res, err := e.listener.Await(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{seedEID: true, warnEID: true, failEID: false, plainEID: true, bootOnEID: false}
	for eid, ok := range want {
		if res[eid].Succeeded != ok {
			t.Errorf("%s: %+v, want succeeded=%v", eid, res[eid], ok)
		}
		if res[eid].RequestID != id {
			t.Errorf("%s: requestId %s, want %s", eid, res[eid].RequestID, id)
		}
	}
	if d := e.device(plainEID); d.Enabled() != "89148000000840784260" || len(d.Profiles) != 2 {
		t.Errorf("deleting a disabled profile: %+v", d)
	}
	if d := e.device(failEID); d.Enabled() != "89148000000840784265" {
		t.Errorf("a failed delete changed the device: %+v", d)
	}
}

func TestDisableThenEnableThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	req := client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}}
	id, err := e.api.DisableProfile(e.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if cb := e.callbacks(id, 1, 0)[0]; cb.Status != "Success" || cb.Message.DeviceResponse.DeviceProfileResponse.ProfileStatus != "disable" {
		t.Fatalf("disable: %+v", cb)
	}
	if d := e.device(seedEID); d.Enabled() != seedBoot || len(d.Profiles) != 2 {
		t.Fatalf("after disable: %+v", d)
	}
	id, err = e.api.EnableProfile(e.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if cb := e.callbacks(id, 1, 0)[0]; cb.Status != "Success" {
		t.Fatalf("enable: %+v", cb)
	}
	if d := e.device(seedEID); d.Enabled() != seedICCID {
		t.Errorf("after enable: %+v", d)
	}
}
