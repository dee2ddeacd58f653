package domain

import (
	"fmt"
	"testing"

	"github.com/tssim/tssim/internal/clock"
)

// simWith is a world of the devices given, all on account "acct", on a
// manual clock.
func simWith(t testing.TB, devices ...*Device) *Sim {
	t.Helper()
	s, err := New(Config{Clock: clock.NewManual(), Fixtures: &Fixtures{Accounts: []Account{{Name: "acct"}}, Devices: devices},
		Scenarios: map[string]*Scenario{"now": {Name: "now"}}, DefaultScenario: "now", Registry: NewRegistry("")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// generated is device i of a generated fixture: EID e<i>, ICCID i<i>.
func generated(i int) *Device {
	return &Device{EID: fmt.Sprintf("e%d", i), Account: "acct", State: StateActive,
		Profiles: []Profile{{ICCID: fmt.Sprintf("i%d", i), Type: ProfileBootstrap, Status: StatusEnabled}}}
}

// lookup is deviceBy under the world's lock.
func lookup(s *Sim, kind, id string) *Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deviceBy(kind, id)
}

// alter changes the device eid as an action does.
func alter(s *Sim, eid string, f func(*Device)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.mutable(eid))
}

func wantDevice(t *testing.T, s *Sim, kind, id string, want *Device) {
	t.Helper()
	if got := lookup(s, kind, id); got != want {
		t.Errorf("%s %s: got %+v, want %+v", kind, id, got, want)
	}
}

// A device named by IMEI, MDN (or MSISDN) or ICCID is found as it is now
// in the world: the world's own copy once changed, by its identifiers
// after the change, and not by those it lost.
func TestDevicesAreFoundByTheirOtherIdentifiersThroughChanges(t *testing.T) {
	w := newWorld(t)
	s := w.sim
	fixture := s.fixtures.Devices[0]
	// The world's index is made at the first lookup, before these changes.
	wantDevice(t, s, "iccid", "off", fixture)
	if _, _, err := s.StartAction(&Principal{}, ProfileKind(ActionDelete), request("off"), ""); err != nil {
		t.Fatal(err)
	}
	own := s.devices["e"]
	if own == nil || own == fixture {
		t.Fatal("the delete did not give the world a device of its own")
	}
	wantDevice(t, s, "iccid", "off", nil)
	wantDevice(t, s, "iccid", "on", own)

	added := &Device{EID: "e2", Account: "acct", IMEI: "i2", MDN: "m2", State: StateActive,
		Profiles: []Profile{{ICCID: "b2", Type: ProfileBootstrap, Status: StatusEnabled}}}
	if err := s.PutDevice(added); err != nil {
		t.Fatal(err)
	}
	wantDevice(t, s, "imei", "i2", s.devices["e2"])
	wantDevice(t, s, "msisdn", "m2", s.devices["e2"])
	wantDevice(t, s, "mdn", "m2", s.devices["e2"])
	added.IMEI = "i3"
	if err := s.PutDevice(added); err != nil {
		t.Fatal(err)
	}
	wantDevice(t, s, "imei", "i2", nil)
	wantDevice(t, s, "imei", "i3", s.devices["e2"])
	alter(s, "e2", func(d *Device) { d.MDN = "" })
	wantDevice(t, s, "mdn", "m2", nil)
	wantDevice(t, s, "mdn", "", nil)

	s.Reset()
	wantDevice(t, s, "imei", "i3", nil)
	wantDevice(t, s, "iccid", "off", fixture)
}

// An identifier on two devices finds one of them as long as one has it:
// the indexes keep one device a key.
func TestAnIdentifierOnTwoDevicesFindsTheOneThatKeepsIt(t *testing.T) {
	a, b := generated(1), generated(2)
	b.IMEI, a.IMEI = "shared", "shared"
	s := simWith(t, a, b)
	// b, indexed last among the fixtures, is changed and loses it.
	alter(s, "e2", func(d *Device) { d.IMEI = "other" })
	wantDevice(t, s, "imei", "shared", a)
	wantDevice(t, s, "imei", "other", s.devices["e2"])
	// Both the world's own: either is found, and the other once the one
	// found gives it up.
	alter(s, "e1", func(*Device) {})
	alter(s, "e2", func(d *Device) { d.IMEI = "shared" })
	found := lookup(s, "imei", "shared")
	if found != s.devices["e1"] && found != s.devices["e2"] {
		t.Fatalf("imei shared: got %+v, want e1 or e2", found)
	}
	other := s.devices["e1"]
	if found == other {
		other = s.devices["e2"]
	}
	alter(s, found.EID, func(d *Device) { d.IMEI = "" })
	wantDevice(t, s, "imei", "shared", other)
}

// A world that changes more devices than the index should wait for drops
// it, and finds every device as it is after.
func TestManyChangesDropTheIndexAndLookupsStayRight(t *testing.T) {
	var devices []*Device
	for i := range 3 * maxStale {
		devices = append(devices, generated(i))
	}
	s := simWith(t, devices...)
	wantDevice(t, s, "iccid", "i0", devices[0])
	for i := range 2 * maxStale {
		alter(s, fmt.Sprintf("e%d", i), func(d *Device) { d.Profiles[0].ICCID = fmt.Sprintf("j%d", i) })
	}
	if s.ids != nil {
		t.Error("the index was kept through more changes than maxStale")
	}
	for _, i := range []int{0, maxStale, 2*maxStale - 1} {
		wantDevice(t, s, "iccid", fmt.Sprintf("i%d", i), nil)
		wantDevice(t, s, "iccid", fmt.Sprintf("j%d", i), s.devices[fmt.Sprintf("e%d", i)])
	}
	wantDevice(t, s, "iccid", fmt.Sprintf("i%d", 3*maxStale-1), devices[3*maxStale-1])
}

// BenchmarkDeviceByICCID finds one of 100,000 devices the world has
// changed by the ICCID of a profile on it, as a line action names it.
func BenchmarkDeviceByICCID(b *testing.B) {
	const n = 100_000
	devices := make([]*Device, n)
	for i := range devices {
		devices[i] = generated(i)
	}
	s := simWith(b, devices...)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range devices {
		s.mutable(d.EID)
	}
	s.deviceBy("iccid", "i0")
	for i := 0; b.Loop(); i++ {
		if s.deviceBy("iccid", devices[i%n].Profiles[0].ICCID) == nil {
			b.Fatal("not found")
		}
	}
}
