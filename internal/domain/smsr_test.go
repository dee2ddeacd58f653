package domain

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func testDevice() *Device {
	return &Device{EID: "e", State: StateActive, Profiles: []Profile{
		{ICCID: "boot", Type: ProfileBootstrap, Status: StatusDisabled},
		{ICCID: "on", Type: ProfileLocal, Status: StatusEnabled},
		{ICCID: "off", Type: ProfileLocal, Status: StatusDisabled},
		{ICCID: "new", Type: ProfileLocal, Status: StatusInstalling},
	}}
}

func TestSMSRRules(t *testing.T) {
	tests := []struct {
		name    string
		action  string
		iccid   string
		pending bool
		refusal string // the SGP.02 code, "" when accepted
		after   []Profile
	}{
		{"delete the enabled local profile: bootstrap takes over", ActionDelete, "on", false, "",
			[]Profile{{ICCID: "boot", Type: ProfileBootstrap, Status: StatusEnabled}, {ICCID: "off", Type: ProfileLocal, Status: StatusDisabled}, {ICCID: "new", Type: ProfileLocal, Status: StatusInstalling}}},
		{"delete a disabled local profile: nothing else changes", ActionDelete, "off", false, "",
			[]Profile{{ICCID: "boot", Type: ProfileBootstrap, Status: StatusDisabled}, {ICCID: "on", Type: ProfileLocal, Status: StatusEnabled}, {ICCID: "new", Type: ProfileLocal, Status: StatusInstalling}}},
		{"delete the bootstrap profile", ActionDelete, "boot", false, "8.2.3/3.8", nil},
		{"delete an unknown ICCID", ActionDelete, "nope", false, "8.2.1/3.9", nil},
		{"delete a profile being installed", ActionDelete, "new", false, "8.2.1/1.2", nil},
		{"delete while another action is pending", ActionDelete, "off", true, "1.2/4.4", nil},
		{"enable a disabled profile", ActionEnable, "off", false, "",
			[]Profile{{ICCID: "boot", Type: ProfileBootstrap, Status: StatusDisabled}, {ICCID: "on", Type: ProfileLocal, Status: StatusDisabled}, {ICCID: "off", Type: ProfileLocal, Status: StatusEnabled}, {ICCID: "new", Type: ProfileLocal, Status: StatusInstalling}}},
		{"enable an unknown ICCID", ActionEnable, "nope", false, "8.2.1/3.9", nil},
		{"disable the enabled profile", ActionDisable, "on", false, "",
			[]Profile{{ICCID: "boot", Type: ProfileBootstrap, Status: StatusEnabled}, {ICCID: "on", Type: ProfileLocal, Status: StatusDisabled}, {ICCID: "off", Type: ProfileLocal, Status: StatusDisabled}, {ICCID: "new", Type: ProfileLocal, Status: StatusInstalling}}},
		{"disable a disabled profile", ActionDisable, "off", false, "8.2.1/3.5", nil},
		{"disable the bootstrap", ActionDisable, "boot", false, "8.2.3/3.8", nil},
		{"download and enable", ActionDownloadEnable, "dl", false, "",
			[]Profile{{ICCID: "boot", Type: ProfileBootstrap, Status: StatusDisabled}, {ICCID: "on", Type: ProfileLocal, Status: StatusDisabled}, {ICCID: "off", Type: ProfileLocal, Status: StatusDisabled}, {ICCID: "new", Type: ProfileLocal, Status: StatusInstalling}, {ICCID: "dl", Type: ProfileLocal, Status: StatusEnabled}}},
		{"download and leave disabled", ActionDownloadDisable, "dl", false, "",
			[]Profile{{ICCID: "boot", Type: ProfileBootstrap, Status: StatusDisabled}, {ICCID: "on", Type: ProfileLocal, Status: StatusEnabled}, {ICCID: "off", Type: ProfileLocal, Status: StatusDisabled}, {ICCID: "new", Type: ProfileLocal, Status: StatusInstalling}, {ICCID: "dl", Type: ProfileLocal, Status: StatusDisabled}}},
		{"download a profile already there", ActionDownloadEnable, "off", false, "8.2.1/3.3", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDevice()
			if tt.pending {
				d.Pending = &Pending{RequestID: "r0"}
			}
			k := ProfileKind(tt.action)
			r := refuse(d, k, tt.iccid)
			got := ""
			if r != nil {
				got = r.Code
			}
			if got != tt.refusal {
				t.Fatalf("Check: refusal %q, want %q", got, tt.refusal)
			}
			if r != nil {
				if diff := cmp.Diff(testDevice().Profiles, d.Profiles); diff != "" {
					t.Errorf("a refused check changed the device:\n%s", diff)
				}
				return
			}
			k.Apply(d, Result{Device: d, Kind: k, Target: tt.iccid})
			if diff := cmp.Diff(tt.after, d.Profiles); diff != "" {
				t.Errorf("profiles after (-want +got):\n%s", diff)
			}
		})
	}
}
