package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
)

// Demo fixtures of the line commands: the seed device's other
// identifiers, and what activating it gives its line.
const (
	seedIMEI     = "666456789014008"
	seedMDN      = "2022326360"
	activatedMDN = "5789014008"
)

// wants fails the test for each of want the output lacks.
func wants(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s: output lacks %q:\n%s", what, w, out)
		}
	}
}

// The seed device's line through the commands, each naming it by another
// identifier and waiting for its CarrierService callback through a
// listener of its own, registered for the run only.
func TestLineCommandsWait(t *testing.T) {
	url, admin := startSim(t)
	ctx := context.Background()
	// The account's own profile listener, which the line changes leave alone.
	const own = "http://127.0.0.1:9/own"
	if code, _, errs := runCmd(ctx, "callbacks", "register", "--url", url, own); code != 0 {
		t.Fatal(errs)
	}
	for _, tt := range []struct {
		args  []string
		final string
	}{
		{[]string{"suspend", "--imei", seedIMEI}, "final    imei=" + seedIMEI + " succeeded: Suspend, plan RP4235311, mdn " + seedMDN + ", ip 101.0.1.216, resumes on its own at "},
		{[]string{"restore", "--mdn", seedMDN}, "final    mdn=" + seedMDN + " succeeded: Active, plan RP4235311, mdn " + seedMDN},
		{[]string{"deactivate", "--iccid", seedICCID}, "final    iccid=" + seedICCID + " succeeded: Deactive, plan RP4235311\n"},
		{[]string{"activate", "--eid", seedEID, "--plan", "M2MFLEX5GB", "--zip", "94107"}, "final    eid=" + seedEID + " succeeded: Active, plan M2MFLEX5GB, mdn " + activatedMDN},
	} {
		code, out, errs := runCmd(ctx, append(tt.args, "--url", url, "--wait", "--timeout", "20s")...)
		if code != exitOK {
			t.Fatalf("%v: exit %d\n%s\n%s", tt.args, code, out, errs)
		}
		wants(t, tt.args[0], out, "listening at http://127.0.0.1:", " for CarrierService\n", "callback eid="+seedEID+" status=Success state=",
			"service=CarrierService action="+tt.args[0], tt.final, "removed the listener of this run: account 1223334444-00001 has no CarrierService listener again")
	}
	if d, _ := admin.Device(ctx, seedEID); d.State != client.StateActive || d.MDN != activatedMDN {
		t.Errorf("the device after: %+v", d)
	}
	_, list, _ := runCmd(ctx, "callbacks", "list", "--url", url)
	if !strings.Contains(list, `"url": "`+own+`"`) || strings.Contains(list, "CarrierService") {
		t.Errorf("registrations after the runs:\n%s", list)
	}
}

// Without --wait a line change prints its requestId, whose status tells
// where it is: the exit status says Success, Pending or Failure.
func TestLineChangeThenStatus(t *testing.T) {
	url, admin := startSim(t)
	ctx := context.Background()
	requestID := func(args ...string) string {
		t.Helper()
		code, out, errs := runCmd(ctx, append(args, "--url", url)...)
		id, ok := strings.CutPrefix(strings.TrimSpace(out), "requestId ")
		if code != exitOK || !ok {
			t.Fatalf("%v: exit %d %q %s", args, code, out, errs)
		}
		return id
	}
	id := requestID("suspend", "--eid", seedEID, "--scenario", "delayed-success", "--with-billing")
	if code, out, _ := runCmd(ctx, "status", id, "--url", url); code != exitPending || out != "requestId "+id+": Pending\n" {
		t.Errorf("status before the SM-SR answers: exit %d %q", code, out)
	}
	if _, err := admin.Advance(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(ctx, "status", id, "--v2", "--url", url); code != exitOK || out != "requestId "+id+": Success\n  eid="+seedEID+" Success\n" {
		t.Errorf("status --v2 once it answered: exit %d %q", code, out)
	}
	code, out, _ := runCmd(ctx, "status", "--json", id, "--url", url)
	var st client.RequestStatus
	if code != exitOK || json.Unmarshal([]byte(out), &st) != nil || st.Status != client.RequestSuccess {
		t.Errorf("status --json: exit %d %q", code, out)
	}
	id = requestID("restore", "--eid", seedEID, "--scenario", "failure")
	if code, out, _ := runCmd(ctx, "status", id, "--url", url); code != exitFailed || !strings.Contains(out, ": Failure") {
		t.Errorf("status of a failed restore: exit %d %q", code, out)
	}
}

func TestLineCommandWaitFailureExitsOne(t *testing.T) {
	url, _ := startSim(t)
	code, out, _ := runCmd(context.Background(), "deactivate", "--url", url, "--eid", seedEID, "--wait", "--scenario", "failure", "--timeout", "20s")
	if code != exitFailed || !strings.Contains(out, "final    eid="+seedEID+" FAILED: Failed") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

func TestLineAndStatusErrors(t *testing.T) {
	url, _ := startSim(t)
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"activate without a plan", []string{"activate", "--url", url, "--eid", seedEID, "--zip", "94107"}, exitUsage, "activate needs --plan and --zip"},
		{"suspend without a device", []string{"suspend", "--url", url}, exitUsage, "suspend needs a device: --eid, --imei, --mdn or --iccid"},
		{"activate an active line", []string{"activate", "--url", url, "--eid", seedEID, "--plan", "P", "--zip", "94107"}, exitTrouble, "ThingSpace answered 400 " + client.CodeDeviceStateInvalid},
		{"a bad reason code", []string{"deactivate", "--url", url, "--eid", seedEID, "--reason", "XX"}, exitTrouble, "/reasonCode"},
		{"status without an id", []string{"status", "--url", url}, exitUsage, "status needs one request id"},
		{"status of an unknown request", []string{"status", "--url", url, "no-such-request"}, exitTrouble, "ThingSpace answered 400 UnifiedWebService."},
		{"v2 status of an unknown request", []string{"status", "--v2", "--url", url, "no-such-request"}, exitTrouble, "ThingSpace answered 404 404: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := runCmd(context.Background(), tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d with %q", code, errs, tt.code, tt.want)
			}
		})
	}
}

// download --enable puts a new local profile on the seed device, enabled;
// devices then shows it, in a table or as JSON.
func TestDownloadThenDevices(t *testing.T) {
	url, _ := startSim(t)
	ctx := context.Background()
	const iccid = "89148000000840784299"
	code, out, errs := runCmd(ctx, "download", "--url", url, "--eid", seedEID, "--iccid", iccid, "--enable", "--wait", "--timeout", "20s")
	if code != exitOK {
		t.Fatalf("download: exit %d\n%s\n%s", code, out, errs)
	}
	wants(t, "download", out, " for DeviceProfileService\n", "action=download_enable", "final    eid="+seedEID+" succeeded\n")
	code, out, _ = runCmd(ctx, "devices", "--url", url)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 10 || strings.Join(strings.Fields(lines[0]), " ") != "EID STATE PLAN ENABLED LOCAL PROFILE STATUS" {
		t.Fatalf("devices: exit %d\n%s", code, out)
	}
	for _, want := range []string{seedEID + " active RP4235311 " + iccid + " " + iccid + " ENABLE",
		"666456789123456789123456784010 active RP4235311 11245055053268336888 89148000000840784262 DISABLE",
		"666456789123456789123456784015 suspend RP4235311"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("devices lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd(ctx, "devices", "--url", url, "--state", "suspend", "--json")
	var devices []client.Device
	if code != exitOK || json.Unmarshal([]byte(out), &devices) != nil || len(devices) != 1 || devices[0].ID("eid") != "666456789123456789123456784015" {
		t.Errorf("devices --state suspend --json: exit %d\n%s", code, out)
	}
	if code, out, _ := runCmd(ctx, "devices", "--url", url, "--eid-contains", "784012"); code != exitOK || strings.Count(out, "\n") != 2 {
		t.Errorf("devices --eid-contains: exit %d\n%s", code, out)
	}
}

// devices stops at --max and says that more devices match.
func TestDevicesBounded(t *testing.T) {
	url, _ := startSim(t)
	code, out, errs := runCmd(context.Background(), "devices", "--url", url, "--max", "3")
	if code != exitOK || strings.Count(out, "\n") != 1+3 || !strings.Contains(errs, "more devices match than the 3 listed") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
}

// tsclient --help names every command.
func TestUsageNamesEveryCommand(t *testing.T) {
	for _, c := range commands() {
		if !strings.Contains(usage, "tsclient "+c.name+" ") {
			t.Errorf("the usage text does not name %q", c.name)
		}
	}
	if code, _, errs := runCmd(context.Background(), "--help"); code != exitOK || errs != usage {
		t.Errorf("--help: exit %d", code)
	}
}
