package domain

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
)

// lineup is a Sim whose user "u" has account "acct" (not "other"), with
// devices numbered 1 to 5 in this order: e1 Active on P1 with every
// identifier, e2 Suspend on P2 with its bootstrap profile enabled, e3
// Deactive with a bootstrap profile only, e4 of "other", e5 Active with a
// local profile still installing.
func lineup(t *testing.T) (*Sim, *Principal) {
	t.Helper()
	boot := func(n, status string) Profile { return Profile{ICCID: "b" + n, Type: ProfileBootstrap, Status: status} }
	local := func(n, status string) Profile { return Profile{ICCID: "l" + n, Type: ProfileLocal, Status: status} }
	f := &Fixtures{
		Users:    []User{{Username: "u", Password: "p", Accounts: []string{"acct"}}},
		Accounts: []Account{{Name: "acct"}, {Name: "other"}},
		Devices: []*Device{
			{EID: "e1", Account: "acct", IMEI: "i1", MDN: "m1", State: StateActive, IPAddress: "10.0.0.1", ServicePlan: "P1",
				Profiles: []Profile{boot("1", StatusDisabled), local("1", StatusEnabled)}},
			{EID: "e2", Account: "acct", State: "Suspend", ServicePlan: "P2", Profiles: []Profile{boot("2", StatusEnabled), local("2", StatusDisabled)}},
			{EID: "e3", Account: "acct", State: "Deactive", ServicePlan: "P1", Profiles: []Profile{boot("3", StatusEnabled)}},
			{EID: "e4", Account: "other", State: StateActive, Profiles: []Profile{boot("4", StatusDisabled), local("4", StatusEnabled)}},
			{EID: "e5", Account: "acct", State: StateActive, Profiles: []Profile{boot("5", StatusEnabled), local("5", StatusInstalling)}},
		},
	}
	s, err := New(Config{Clock: clock.NewManual(), Fixtures: f, Registry: NewRegistry(""), DefaultScenario: "now",
		Scenarios: map[string]*Scenario{"now": {Name: "now", Steps: []Step{step(0, ResultSuccess, "Success")}}}, Changed: func() {}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, user(t, s)
}

func eids(devices []ListedDevice) []string {
	out := []string{}
	for _, d := range devices {
		out = append(out, d.DeviceIDs[len(d.DeviceIDs)-1].ID)
	}
	return out
}

// attr is the value of a listed device's extended attribute, "" when it
// has none of that key.
func attr(d ListedDevice, key string) string {
	for _, a := range d.ExtendedAttributes {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

func TestListDevicesFilters(t *testing.T) {
	s, p := lineup(t)
	at := func(n int64) time.Time { return (&Device{Number: n}).createdAt() }
	for _, tc := range []struct {
		name string
		q    DeviceQuery
		want []string
		more bool
		code string
	}{
		{"nothing asked: every device the user may see", DeviceQuery{}, []string{"e1", "e2", "e3", "e5"}, false, ""},
		{"the user's account", DeviceQuery{Account: "acct"}, []string{"e1", "e2", "e3", "e5"}, false, ""},
		{"another user's account", DeviceQuery{Account: "other"}, nil, false, tserr.CodeAccountName},
		{"an unknown account", DeviceQuery{Account: "nope"}, nil, false, tserr.CodeAccountNotFound},
		{"suspended", DeviceQuery{State: "suspend"}, []string{"e2"}, false, ""},
		{"state in capitals", DeviceQuery{State: "DEACTIVE"}, []string{"e3"}, false, ""},
		{"state as the SDK spells it", DeviceQuery{State: "Activated"}, []string{"e1", "e5"}, false, ""},
		{"service plan, case ignored", DeviceQuery{ServicePlan: "p2"}, []string{"e2"}, false, ""},
		{"the account's group", DeviceQuery{Group: "Default: acct"}, []string{"e1", "e2", "e3", "e5"}, false, ""},
		{"another group", DeviceQuery{Group: "Default: other"}, []string{}, false, ""},
		{"custom fields: no device has any", DeviceQuery{CustomFields: true}, []string{}, false, ""},
		{"the ICCID of a disabled profile", DeviceQuery{Identifiers: []IdentifierFilter{{Kind: "iccid", Contains: "l2"}}}, []string{"e2"}, false, ""},
		{"starts and ends with", DeviceQuery{Identifiers: []IdentifierFilter{{Kind: "eid", Contains: "", StartsWith: "e", EndsWith: "3"}}}, []string{"e3"}, false, ""},
		{"an identifier some devices lack", DeviceQuery{Identifiers: []IdentifierFilter{{Kind: "msisdn", Contains: "m"}}}, []string{"e1"}, false, ""},
		{"every identifier filter holds", DeviceQuery{Identifiers: []IdentifierFilter{{Kind: "iccid", Contains: "b"}, {Kind: "eid", Contains: "5"}}}, []string{"e5"}, false, ""},
		{"a kind no device has", DeviceQuery{Identifiers: []IdentifierFilter{{Kind: "esn", Contains: ""}}}, []string{}, false, ""},
		{"one device: the other filters are not used", DeviceQuery{Device: &wire.DeviceID{Kind: "iccid", ID: "l2"}, State: "active", After: 9}, []string{"e2"}, false, ""},
		{"one device of another user's account", DeviceQuery{Device: &wire.DeviceID{Kind: "eid", ID: "e4"}}, []string{}, false, ""},
		{"one unknown device", DeviceQuery{Device: &wire.DeviceID{Kind: "imei", ID: "nope"}}, []string{}, false, ""},
		{"added after", DeviceQuery{Earliest: at(2)}, []string{"e3", "e5"}, false, ""},
		{"added before", DeviceQuery{Latest: at(3)}, []string{"e1", "e2"}, false, ""},
		{"a first page", DeviceQuery{Limit: 2}, []string{"e1", "e2"}, true, ""},
		{"the next page", DeviceQuery{Limit: 2, After: 2}, []string{"e3", "e5"}, false, ""},
		{"a page that ends on the last device", DeviceQuery{Limit: 4}, []string{"e1", "e2", "e3", "e5"}, false, ""},
		{"past every device", DeviceQuery{After: 5}, []string{}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := s.ListDevices(p, &tc.q)
			if codeOf(err) != tc.code {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, eids(page.Devices)); diff != "" || page.More != tc.more {
				t.Errorf("devices (-want +got):\n%s\nhasMoreData %v, want %v", diff, page.More, tc.more)
			}
		})
	}
}

// A device as the list shows it: ThingspaceDevice, its state in
// carrierInformations, its profiles in extendedAttributes; the values the
// model lacks are fixed.
func TestListedDevices(t *testing.T) {
	s, p := lineup(t)
	page, err := s.ListDevices(p, &DeviceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := []ListedDevice{{
		AccountName: "acct", BillingCycleEndDate: "2026-02-01T00:00:00Z",
		CarrierInformations: []CarrierInformation{{CarrierName: "Verizon Wireless", ServicePlan: "P1", State: "active"}},
		Connected:           true, CreatedAt: "2025-01-01T00:01:00Z", CustomFields: []KeyValue{},
		DeviceIDs:          []wire.DeviceID{{Kind: "imei", ID: "i1"}, {Kind: "iccid", ID: "l1"}, {Kind: "mdn", ID: "m1"}, {Kind: "eid", ID: "e1"}},
		ExtendedAttributes: []KeyValue{{"DeviceId", "1"}, {"ProfileStatus", "ENABLE"}, {"ProfileICCID", "l1"}, {"Profiles", "b1:bootstrap:DISABLE,l1:local:ENABLE"}},
		GroupNames:         []string{"Default: acct"}, IPAddress: "10.0.0.1", LastActivationBy: "tssim",
		LastActivationDate: "2025-01-01T00:01:00Z", LastConnectionDate: clock.Epoch.Format(time.RFC3339),
	}, {
		AccountName: "acct", BillingCycleEndDate: "2026-02-01T00:00:00Z",
		CarrierInformations: []CarrierInformation{{CarrierName: "Verizon Wireless", ServicePlan: "P2", State: "suspend"}},
		CreatedAt:           "2025-01-01T00:02:00Z", CustomFields: []KeyValue{},
		DeviceIDs:          []wire.DeviceID{{Kind: "iccid", ID: "b2"}, {Kind: "eid", ID: "e2"}},
		ExtendedAttributes: []KeyValue{{"DeviceId", "2"}, {"ProfileStatus", "DISABLE"}, {"ProfileICCID", "l2"}, {"Profiles", "b2:bootstrap:ENABLE,l2:local:DISABLE"}},
		GroupNames:         []string{"Default: acct"}, LastActivationBy: "tssim",
		LastActivationDate: "2025-01-01T00:02:00Z", LastConnectionDate: "2025-01-01T00:02:00Z",
	}}
	if diff := cmp.Diff(want, page.Devices[:2]); diff != "" {
		t.Errorf("devices 1 and 2 (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		i                    int
		state, status, iccid string
	}{
		{2, "deactive", "NOT_DOWNLOADED", ""},
		{3, "active", "NOT_DOWNLOADED", "l5"},
	} {
		d := page.Devices[tc.i]
		if d.CarrierInformations[0].State != tc.state || attr(d, AttrProfileStatus) != tc.status || attr(d, AttrProfileICCID) != tc.iccid {
			t.Errorf("device %d: %+v", tc.i, d)
		}
	}
}

// Pages follow the device ids with no gap and no repeat, whatever changes
// meanwhile: a device changed keeps its place, one added comes last.
func TestListDevicesPages(t *testing.T) {
	s, clk := fleet(t, 5000, 0)
	p := user(t, s)
	add := func(eid string, state string) {
		t.Helper()
		if err := s.PutDevice(&Device{EID: eid, Account: "acct", State: state, Profiles: []Profile{{ICCID: eid + "b", Type: ProfileBootstrap, Status: StatusEnabled}}}); err != nil {
			t.Fatal(err)
		}
	}
	add("x1", StateActive)
	var seen []string
	var after int64
	for page := 0; ; page++ {
		got, err := s.ListDevices(p, &DeviceQuery{Account: "acct", Limit: 700, After: after})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Devices) > 700 {
			t.Fatalf("page %d holds %d devices", page, len(got.Devices))
		}
		for _, d := range got.Devices {
			seen = append(seen, d.DeviceIDs[len(d.DeviceIDs)-1].ID)
			n, err := strconv.ParseInt(attr(d, AttrDeviceID), 10, 64)
			if err != nil || n <= after {
				t.Fatalf("device %v after %d", d.DeviceIDs, after)
			}
			after = n
		}
		if page == 1 {
			// A device already seen changes, one not yet seen is replaced,
			// one is added, and the clock moves: no page moves.
			if _, _, err := s.StartAction(p, ProfileKind(ActionDelete), ask(append(eid(3), wire.DeviceID{Kind: "iccid", ID: "l3"})), "now"); err != nil {
				t.Fatal(err)
			}
			add("d4000", "Suspend")
			add("x2", StateActive)
			clk.Advance(time.Hour, nil)
		}
		if !got.More {
			break
		}
	}
	var want []string
	for i := range 5000 {
		want = append(want, fmt.Sprintf("d%d", i))
	}
	want = append(want, "x1", "x2")
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("devices seen across the pages (-want +got):\n%s", diff)
	}
	if d, _ := s.Device("x2"); d.Number != 5002 {
		t.Errorf("the second device added is number %d, want 5002", d.Number)
	}
}

// A device's number is kept in the state file; a device saved before
// devices had numbers gets its fixture's.
func TestDeviceNumbersSurviveARestore(t *testing.T) {
	s, _ := fleet(t, 3, 0)
	for _, eid := range []string{"new", "d1"} {
		if err := s.PutDevice(&Device{EID: eid, Account: "acct", State: "Suspend", Profiles: []Profile{{ICCID: "x" + eid, Type: ProfileBootstrap, Status: StatusEnabled}}}); err != nil {
			t.Fatal(err)
		}
	}
	snap := snapshotOf(t, s.Changes())
	for _, d := range snap.Devices {
		if d.EID == "d1" {
			d.Number = 0
		}
	}
	s2, _ := fleet(t, 3, 0)
	s2.Restore(snap)
	if err := s2.PutDevice(&Device{EID: "newer", Account: "acct", State: StateActive, Profiles: []Profile{{ICCID: "y", Type: ProfileBootstrap, Status: StatusEnabled}}}); err != nil {
		t.Fatal(err)
	}
	for eid, want := range map[string]int64{"d0": 1, "d1": 2, "new": 4, "newer": 5} {
		if d, err := s2.Device(eid); err != nil || d.Number != want {
			t.Errorf("device %s: number %d (%v), want %d", eid, d.Number, err, want)
		}
	}
}

func TestListProfiles(t *testing.T) {
	s, p := lineup(t)
	for _, tc := range []struct {
		name string
		q    ProfileQuery
		want []string
		code string
	}{
		{"the account's devices", ProfileQuery{Account: "acct"}, []string{"e1", "e2", "e3", "e5"}, ""},
		{"another user's account", ProfileQuery{Account: "other"}, nil, tserr.CodeAccountName},
		{"no account", ProfileQuery{}, nil, tserr.CodeAccountNotDefined},
		{"provisioning status", ProfileQuery{Account: "acct", ProvisioningStatus: "SUSPEND"}, []string{"e2"}, ""},
		{"provisioning status, the other spelling", ProfileQuery{Account: "acct", ProvisioningStatus: "DEACTIVATED"}, []string{"e3"}, ""},
		{"a provisioning status no device is in", ProfileQuery{Account: "acct", ProvisioningStatus: "PRE_ACTIVE"}, []string{}, ""},
		{"profile status", ProfileQuery{Account: "acct", ProfileStatus: "ENABLE"}, []string{"e1"}, ""},
		{"no local profile yet", ProfileQuery{Account: "acct", ProfileStatus: "NOT_DOWNLOADED"}, []string{"e3", "e5"}, ""},
		{"the carrier", ProfileQuery{Account: "acct", CarrierName: "verizon wireless"}, []string{"e1", "e2", "e3", "e5"}, ""},
		{"another carrier", ProfileQuery{Account: "acct", CarrierName: "Other Mobile"}, []string{}, ""},
		{"named devices; one of another account and an unknown one are ignored", ProfileQuery{Account: "acct",
			Devices: []wire.DeviceID{{Kind: "iccid", ID: "l5"}, {Kind: "eid", ID: "e2"}, {Kind: "eid", ID: "e4"}, {Kind: "imei", ID: "nope"}}}, []string{"e2", "e5"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, devices, more, err := s.ListProfiles(p, &tc.q)
			if codeOf(err) != tc.code {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
			if err != nil {
				return
			}
			var got []string = []string{}
			for _, d := range devices {
				got = append(got, d.DeviceIDs[len(d.DeviceIDs)-1].ID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || more {
				t.Errorf("devices (-want +got):\n%s\nmore %v", diff, more)
			}
			if st, err := s.RequestStatus(p, tc.q.Account, id); err != nil || st.Status != RequestSuccess || st.Count != 0 {
				t.Errorf("the list's request status: %+v %v, want Success of no device", st, err)
			}
		})
	}
	_, devices, _, _ := s.ListProfiles(p, &ProfileQuery{Account: "acct", ProvisioningStatus: "SUSPEND"})
	want := []ProfiledDevice{{DeviceIDs: []wire.DeviceID{{Kind: "iccid", ID: "b2"}, {Kind: "eid", ID: "e2"}}, CarrierName: "Verizon Wireless", State: "SUSPEND",
		ServicePlan: "P2", Profiles: []ListedProfile{{"b2", "bootstrap", "ENABLE"}, {"l2", "local", "DISABLE"}}}}
	if diff := cmp.Diff(want, devices); diff != "" {
		t.Errorf("a suspended device (-want +got):\n%s", diff)
	}
}

// The v2 list's callback holds the first MaxProfileListDevices devices,
// and says that more matched.
func TestListProfilesIsBounded(t *testing.T) {
	s, _ := fleet(t, MaxProfileListDevices+1, 0)
	_, devices, more, err := s.ListProfiles(user(t, s), &ProfileQuery{Account: "acct"})
	if err != nil {
		t.Fatal(err)
	}
	if len(devices) != MaxProfileListDevices || !more || devices[MaxProfileListDevices-1].DeviceIDs[1].ID != fmt.Sprintf("d%d", MaxProfileListDevices-1) {
		t.Errorf("%d devices, more %v", len(devices), more)
	}
}
