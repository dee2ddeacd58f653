package simulator_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/client"
)

// step is what the listener sees of one callback; EUICCStatus is
// "fault" and its code for ThingSpace's fault form.
type step struct {
	Status        string
	EUICCStatus   string
	CallbackCount int
	ActiveICCID   string
}

func seen(cbs []client.SimCallback) []step {
	var out []step
	for _, c := range cbs {
		m := c.Message
		if f := m.FaultResponse; f != nil {
			out = append(out, step{m.Status, "fault " + f.FaultCode, m.CallbackCount, ""})
			continue
		}
		for _, id := range m.DeviceResponse.DeviceProfileResponse.DeviceIdentifierCollection {
			if id.Kind == "iccid" {
				out = append(out, step{m.Status, m.DeviceResponse.DeviceProfileResponse.EUICCStatus, m.CallbackCount, id.ID})
			}
		}
	}
	return out
}

func TestBuiltInScenarios(t *testing.T) {
	success := step{"Success", "EXECUTED_SUCCESS", 1, seedBoot}
	warning := step{"Warning", "EXECUTED_WITHWARNING", 1, seedICCID}
	tests := []struct {
		scenario string
		// first is seen at once; then, after wait, rest.
		first   []step
		wait    time.Duration
		rest    []step
		deleted bool
	}{
		{"immediate-success", []step{success}, 0, nil, true},
		{"failure", []step{{"Failed", "FAILED", 1, seedICCID}}, 0, nil, false},
		{"warning-then-success", []step{warning}, 10 * time.Minute, []step{success}, true},
		{"unreachable-then-failure", []step{warning}, 30 * time.Minute, []step{{"Failed", "EXPIRED", 1, seedICCID}}, false},
		{"duplicate-success", []step{success, success}, 0, nil, true},
		{"success-before-warning", []step{success}, time.Minute, []step{{"Warning", "EXECUTED_WITHWARNING", 1, seedBoot}}, true},
		{"delayed-success", nil, 2 * time.Minute, []step{success}, true},
		{"fault-response", []step{{"Failed", "fault UnifiedWebService.REQUEST_FAILED.UnexpectedError", 1, ""}}, 0, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			e := newEnv(t)
			e.register(account)
			if err := e.admin.AssignScenario(e.ctx, seedEID, tt.scenario); err != nil {
				t.Fatal(err)
			}
			id := e.delete(seedEID, seedICCID)
			if len(tt.first) > 0 {
				if diff := cmp.Diff(tt.first, seen(e.callbacks(id, len(tt.first), 0))); diff != "" {
					t.Fatalf("at once (-want +got):\n%s", diff)
				}
			}
			if tt.wait > 0 {
				if d := e.device(seedEID); d.Pending == nil && len(tt.rest) > 0 && tt.rest[0].Status != "Warning" {
					t.Errorf("no pending action while waiting for the SM-SR")
				}
				e.advance(tt.wait - time.Second)
				if got := seen(e.callbacks(id, len(tt.first), 0)); len(got) != len(tt.first) {
					t.Fatalf("a second early: %+v", got)
				}
				e.advance(time.Second)
			}
			all := append(append([]step{}, tt.first...), tt.rest...)
			if diff := cmp.Diff(all, seen(e.callbacks(id, len(all), 0))); diff != "" {
				t.Fatalf("in all (-want +got):\n%s", diff)
			}
			d := e.device(seedEID)
			if d.Pending != nil {
				t.Errorf("still pending after the final callback: %+v", d.Pending)
			}
			want := seedICCID
			if tt.deleted {
				want = seedBoot
			}
			if d.Enabled() != want {
				t.Errorf("enabled profile %s, want %s; profiles %+v", d.Enabled(), want, d.Profiles)
			}
		})
	}
}

func TestSilentSuccessAppliesWithoutCallback(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	if err := e.admin.AssignScenario(e.ctx, seedEID, "silent-success"); err != nil {
		t.Fatal(err)
	}
	e.delete(seedEID, seedICCID)
	if d := e.device(seedEID); d.Enabled() != seedBoot || d.Pending != nil {
		t.Errorf("device %+v: want the bootstrap enabled and nothing pending", d)
	}
	if cbs, _ := e.admin.Callbacks(e.ctx, client.CallbackQuery{}); len(cbs) != 0 {
		t.Errorf("callbacks sent: %+v", cbs)
	}
}

func TestScenarioSelectionOrder(t *testing.T) {
	const acct2EID = "89049032000001000000000000005001"
	tests := []struct {
		name, header, device, eid string
		want                      string
	}{
		{"default", "", "", seedEID, "Success"},
		{"account's (account2 runs warning-then-success)", "", "", acct2EID, "Warning"},
		{"device's over account's", "", "failure", acct2EID, "Failed"},
		{"header's over device's", "immediate-success", "failure", acct2EID, "Success"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.register(account, account2)
			if tt.device != "" {
				if err := e.admin.AssignScenario(e.ctx, tt.eid, tt.device); err != nil {
					t.Fatal(err)
				}
			}
			acct, iccid := account, seedICCID
			if tt.eid == acct2EID {
				acct, iccid = account2, "89148000000840785001"
			}
			h := http.Header{}
			if tt.header != "" {
				h.Set("X-Tssim-Scenario", tt.header)
			}
			id, err := e.api.ProfileActionWith(e.ctx, client.ActionDelete, client.ProfileRequest{AccountName: acct, SMSROID: smsrOID,
				Devices: []client.DeviceRef{{EID: tt.eid, ICCID: iccid}}}, h)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.callbacks(id, 1, 0)[0].Status; got != tt.want {
				t.Errorf("first callback %s, want %s", got, tt.want)
			}
		})
	}
}

func TestUnknownScenarioHeader(t *testing.T) {
	e := newEnv(t)
	h := http.Header{"X-Tssim-Scenario": {"no-such"}}
	_, err := e.api.ProfileActionWith(e.ctx, client.ActionDelete, client.ProfileRequest{AccountName: account, SMSROID: smsrOID,
		Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}}, h)
	if st, c := code(t, err); st != 400 || c != "Tssim.INPUT_INVALID.Scenario.Unknown" {
		t.Errorf("got %d %s", st, c)
	}
}
