package domain

import (
	"fmt"
	"testing"

	"github.com/tssim/tssim/internal/clock"
)

// A device named by IMEI, MDN (or MSISDN) or ICCID is found as it is now
// in the world: the world's own copy once changed, by its identifiers
// after the change, and not by those it lost.
func TestDevicesAreFoundByTheirOtherIdentifiersThroughChanges(t *testing.T) {
	w := newWorld(t)
	s := w.sim
	fixture := s.fixtures.Devices[0]
	lookup := func(kind, id string) *Device {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.deviceBy(kind, id)
	}
	want := func(kind, id string, d *Device) {
		t.Helper()
		if got := lookup(kind, id); got != d {
			t.Errorf("%s %s: got %+v, want %+v", kind, id, got, d)
		}
	}
	// The world's index is made at the first lookup, before these changes.
	want("iccid", "off", fixture)
	if _, _, err := s.StartAction(&Principal{}, ProfileKind(ActionDelete), request("off"), ""); err != nil {
		t.Fatal(err)
	}
	own := s.devices["e"]
	if own == nil || own == fixture {
		t.Fatal("the delete did not give the world a device of its own")
	}
	want("iccid", "off", nil)
	want("iccid", "on", own)
	want("iccid", "boot", own)

	added := &Device{EID: "e2", Account: "acct", IMEI: "i2", MDN: "m2", State: StateActive,
		Profiles: []Profile{{ICCID: "b2", Type: ProfileBootstrap, Status: StatusEnabled}}}
	if err := s.PutDevice(added); err != nil {
		t.Fatal(err)
	}
	want("imei", "i2", s.devices["e2"])
	want("msisdn", "m2", s.devices["e2"])
	want("mdn", "m2", s.devices["e2"])
	added.IMEI = "i3"
	if err := s.PutDevice(added); err != nil {
		t.Fatal(err)
	}
	want("imei", "i2", nil)
	want("imei", "i3", s.devices["e2"])
	want("iccid", "b2", s.devices["e2"])

	s.Reset()
	want("imei", "i3", nil)
	want("iccid", "off", fixture)
}

// BenchmarkDeviceByICCID finds one of 100,000 devices the world has
// changed by the ICCID of a profile on it, as a line action names it.
func BenchmarkDeviceByICCID(b *testing.B) {
	const n = 100_000
	f := &Fixtures{Accounts: []Account{{Name: "acct"}}}
	for i := range n {
		f.Devices = append(f.Devices, &Device{EID: fmt.Sprintf("e%d", i), Account: "acct", State: StateActive,
			Profiles: []Profile{{ICCID: fmt.Sprintf("i%d", i), Type: ProfileBootstrap, Status: StatusEnabled}}})
	}
	s, err := New(Config{Clock: clock.NewManual(), Fixtures: f, Scenarios: map[string]*Scenario{"now": {Name: "now"}},
		DefaultScenario: "now", Registry: NewRegistry("")})
	if err != nil {
		b.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range f.Devices {
		s.mutable(d.EID)
	}
	for i := 0; b.Loop(); i++ {
		if s.deviceBy("iccid", f.Devices[i%n].Profiles[0].ICCID) == nil {
			b.Fatal("not found")
		}
	}
}
