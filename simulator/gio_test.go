package simulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/schemas"
)

// A device of the demo fixtures with three profiles.
const (
	gioEID   = "666456789123456789123456784009"
	gioIMEI  = "666456789014009"
	gioBoot  = "11245055053268336887" // the bootstrap, disabled
	gioOn    = "89148000000840784260" // enabled
	gioOff   = "89148000000840784261" // disabled
	gioNewID = "89148000000840789001" // on no device
)

const gioPath = "/api/m2m/v1/devices/profile/actions/"

// gioEnv is an env whose listener's callbacks can be awaited by
// requestId, each checked against gio-callback.json when awaited.
type gioEnv struct {
	*env
	h      http.Header
	schema *jsonschema.Schema

	mu      sync.Mutex
	bodies  [][]byte
	changed chan struct{}
}

func newGIOEnv(t *testing.T) *gioEnv {
	t.Helper()
	s, err := schemas.Compile("gio-callback.json")
	if err != nil {
		t.Fatal(err)
	}
	g := &gioEnv{env: newEnv(t), schema: s, changed: make(chan struct{})}
	g.register(account)
	g.h = g.authed()
	capture := func(_ http.ResponseWriter, r *http.Request) bool {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading a callback: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		g.mu.Lock()
		defer g.mu.Unlock()
		g.bodies = append(g.bodies, b)
		close(g.changed)
		g.changed = make(chan struct{})
		return false
	}
	g.answer.Store(&capture)
	return g
}

// gioCallback is a GIO callback as the listener got it.
type gioCallback struct {
	RequestID      string `json:"requestId"`
	Status         string `json:"status"`
	DeviceResponse struct {
		DeviceProfileResponse domain.GIOProfileResponse `json:"deviceProfileResponse"`
	} `json:"deviceResponse"`
}

func (c gioCallback) profile() domain.GIOProfileResponse {
	return c.DeviceResponse.DeviceProfileResponse
}

// post sends a body to a path as the demo user and returns the status
// and the body of the answer.
func (g *gioEnv) post(path, body string) (int, string) {
	g.t.Helper()
	return g.raw("POST", path, g.h, body)
}

// start posts an action that must be accepted and returns its requestId.
func (g *gioEnv) start(path, body string) string {
	g.t.Helper()
	st, got := g.post(path, body)
	var a struct {
		RequestID string `json:"requestId"`
	}
	if err := json.Unmarshal([]byte(got), &a); st != 200 || err != nil || a.RequestID == "" {
		g.t.Fatalf("POST %s %s: %d %s", path, body, st, got)
	}
	return a.RequestID
}

// await waits for n callbacks of the request, checks each against
// gio-callback.json and returns them.
func (g *gioEnv) await(requestID string, n int) []gioCallback {
	g.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		g.mu.Lock()
		var out []gioCallback
		for _, b := range g.bodies {
			var c gioCallback
			if err := json.Unmarshal(b, &c); err != nil {
				g.t.Fatalf("a callback: %v\n%s", err, b)
			}
			if c.RequestID == requestID {
				check(g.t, g.schema, "GIO callback", b)
				out = append(out, c)
			}
		}
		changed := g.changed
		g.mu.Unlock()
		if len(out) >= n {
			return out
		}
		select {
		case <-changed:
		case <-timeout:
			g.t.Fatalf("request %s: %d callbacks after 10 s, want %d", requestID, len(out), n)
		}
	}
}

// run posts an action and returns its one callback.
func (g *gioEnv) run(path, body string) gioCallback {
	g.t.Helper()
	return g.await(g.start(path, body), 1)[0]
}

// dev returns a device as the control API shows it, GIO marks included.
func (g *gioEnv) dev(eid string) domain.Device {
	g.t.Helper()
	st, body := g.raw("GET", "/_sim/devices/"+eid, nil, "")
	var d domain.Device
	if err := json.Unmarshal([]byte(body), &d); st != 200 || err != nil {
		g.t.Fatalf("device %s: %d %s", eid, st, body)
	}
	return d
}

func profileOf(d domain.Device, iccid string) domain.Profile {
	for _, p := range d.Profiles {
		if p.ICCID == iccid {
			return p
		}
	}
	return domain.Profile{}
}

// ids is one device of a GIO body, as {"deviceIds": [...]}, from kind and
// id pairs.
func ids(kv ...string) string {
	return `{"deviceIds":` + idList(kv...) + `}`
}

func idList(kv ...string) string {
	var parts []string
	for i := 0; i < len(kv); i += 2 {
		parts = append(parts, fmt.Sprintf(`{"kind":%q,"id":%q}`, kv[i], kv[i+1]))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// gioBody is a GIO body for the demo account, extra fields first.
func gioBody(extra string, devices ...string) string {
	return fmt.Sprintf(`{%s"accountName":%q,"devices":[%s]}`, extra, account, strings.Join(devices, ","))
}

// isStatusError reports whether body is the GIO family's error: errorCode
// the status, and errorMessage alone beside it.
func isStatusError(body string, status int) bool {
	var e map[string]string
	return json.Unmarshal([]byte(body), &e) == nil && len(e) == 2 && e["errorCode"] == fmt.Sprint(status) && e["errorMessage"] != ""
}

type gioCall struct{ path, body string }

// Each Global IoT operation: what it does, a refusal it answers with a
// failure callback, and a body it refuses at once with a 400 naming the
// field.
func TestGIOOperations(t *testing.T) {
	eid := func(extra ...string) string { return ids(append([]string{"eid", gioEID}, extra...)...) }
	profile := func(iccid string) string { return ids("iccid", iccid) }
	tests := []struct {
		op    string
		path  string
		setup []gioCall
		// body is accepted, and its callback succeeds, naming iccid
		// ("" for none), with the device then passing ok.
		body  string
		iccid string
		ok    func(d domain.Device) bool
		// refused is accepted, and its callback fails with desc.
		refused, desc string
		// bad is refused at once, naming field.
		bad, field string
	}{
		{
			op: "gio_activate", path: gioPath + "activate",
			setup: []gioCall{{gioPath + "deactivate", gioBody("", eid("iccid", gioOff))}},
			body:  gioBody(`"servicePlan":"RP1","mdnZipCode":"12345","smsrOid":"1.2.3","primaryPlaceOfUse":{"address":{}},`, eid("iccid", gioOff)), iccid: gioOff,
			ok:      func(d domain.Device) bool { return !profileOf(d, gioOff).Deactivated },
			refused: gioBody("", eid("iccid", gioNewID)), desc: "Profile " + gioNewID + " is not on this eUICC",
			bad: gioBody("", ids("mdn", "2022324009")), field: "/devices/0/deviceIds/0/kind",
		},
		{
			op: "gio_deactivate", path: gioPath + "deactivate",
			body: gioBody(`"reasonCode":"FF","etfWaiver":true,`, `{"ids":`+idList("imei", gioIMEI)+`}`), iccid: gioOn,
			ok:      func(d domain.Device) bool { return profileOf(d, gioOn).Deactivated && d.Enabled() == gioOn },
			refused: gioBody("", eid()), desc: "Profile " + gioOn + " is already deactivated",
			bad: gioBody("", `{"ids":`+idList("eid", gioEID)+`}`), field: "/reasonCode",
		},
		{
			op: "gio_enable", path: gioPath + "enable",
			body: gioBody(`"servicePlan":"RP1",`, eid("iccid", gioOff)), iccid: gioOff,
			ok: func(d domain.Device) bool {
				return d.Enabled() == gioOff && profileOf(d, gioOn).Status == domain.StatusDisabled
			},
			refused: gioBody("", eid("iccid", gioNewID)), desc: "Profile " + gioNewID + " is not on this eUICC",
			bad: gioBody("", eid()), field: "/devices/0/deviceIds",
		},
		{
			op: "gio_download_enable", path: gioPath + "download_enable",
			body: gioBody("", eid("iccid", gioNewID)), iccid: gioNewID,
			ok:      func(d domain.Device) bool { return d.Enabled() == gioNewID && len(d.Profiles) == 4 },
			refused: gioBody("", eid("iccid", gioNewID)), desc: "Profile " + gioNewID + " is already on this eUICC",
			bad: gioBody("", eid("iccid", "8914800000084078426X")), field: "/devices/0/deviceIds/1/id",
		},
		{
			op: "gio_download", path: gioPath + "download",
			body: gioBody("", ids("imei", gioIMEI)), iccid: "891480123456784009",
			ok:      func(d domain.Device) bool { return d.Enabled() == gioOn && len(d.Profiles) == 4 },
			refused: gioBody("", ids("imei", gioIMEI, "iccid", gioOff)), desc: "Profile " + gioOff + " is already on this eUICC",
			bad: gioBody("", ids("msisdn", "2022324009")), field: "/devices/0/deviceIds/0/kind",
		},
		{
			op: "gio_delete", path: gioPath + "delete",
			body: gioBody("", eid("iccid", gioOff)), iccid: gioOff,
			ok:      func(d domain.Device) bool { return len(d.Profiles) == 2 && profileOf(d, gioOff).ICCID == "" },
			refused: gioBody("", eid("iccid", gioOn)), desc: "Profile " + gioOn + " is enabled: disable it first",
			bad: gioBody("", ids("imsi", "1", "iccid", gioOff)), field: "/devices/0/deviceIds/0/kind",
		},
		{
			op: "gio_profile_suspend", path: gioPath + "profile_suspend",
			body: gioBody("", profile(gioOff)), iccid: gioOff,
			ok:      func(d domain.Device) bool { return profileOf(d, gioOff).Suspended },
			refused: gioBody("", profile(gioOff)), desc: "Profile is already suspended",
			bad: gioBody("", eid()), field: "/devices/0/deviceIds/0/kind",
		},
		{
			op: "gio_profile_resume", path: gioPath + "profile_resume",
			setup: []gioCall{{gioPath + "profile_suspend", gioBody("", profile(gioOff))}},
			body:  gioBody("", profile(gioOff)), iccid: gioOff,
			ok:      func(d domain.Device) bool { return !profileOf(d, gioOff).Suspended },
			refused: gioBody("", profile(gioOff)), desc: "Profile is already resumed",
			bad: gioBody("", ids("imei", gioIMEI)), field: "/devices/0/deviceIds/0/kind",
		},
		{
			op: "gio_device_suspend", path: gioPath + "device_suspend",
			body:    gioBody("", eid()),
			ok:      func(d domain.Device) bool { return d.ProfilesSuspended },
			refused: gioBody("", eid()), desc: "Device " + gioEID + " is already suspended",
			bad: gioBody("", profile(gioOff)), field: "/devices/0/deviceIds/0/kind",
		},
		{
			op: "gio_device_resume", path: gioPath + "device_resume",
			setup:   []gioCall{{gioPath + "device_suspend", gioBody("", eid())}},
			body:    gioBody("", eid()),
			ok:      func(d domain.Device) bool { return !d.ProfilesSuspended },
			refused: gioBody("", eid()), desc: "Device " + gioEID + " is already resumed",
			bad: gioBody("", eid("eid", gioEID)), field: "/devices/0/deviceIds",
		},
		{
			op: "gio_setfallbackattribute", path: gioPath + "setfallbackattribute",
			body: gioBody("", idList("iccid", gioOff, "eid", gioEID)), iccid: gioOff,
			ok:      func(d domain.Device) bool { return profileOf(d, gioOff).Fallback && !profileOf(d, gioBoot).Fallback },
			refused: gioBody("", eid("iccid", gioNewID)), desc: "Profile " + gioNewID + " is not on this eUICC",
			bad: `{"accountName":"x","devices":[` + idList("eid", gioEID) + `]}`, field: "/accountName",
		},
		{
			op: "gio_setfallbackattribute_sdk", path: "/api/v1/devices/profile/actions/setfallbackattribute",
			body: gioBody("", eid()), iccid: gioOn,
			ok:      func(d domain.Device) bool { return profileOf(d, gioOn).Fallback },
			refused: gioBody("", idList("imei", gioIMEI, "iccid", gioNewID)), desc: "Profile " + gioNewID + " is not on this eUICC",
			bad: gioBody("", `{"ids":`+idList("eid", gioEID)+`}`), field: "/devices/0/deviceIds",
		},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			g := newGIOEnv(t)
			for _, s := range tt.setup {
				if c := g.run(s.path, s.body); c.Status != "Success" {
					t.Fatalf("setup %s: %+v", s.path, c)
				}
			}
			action := tt.path[strings.LastIndex(tt.path, "/")+1:]

			c := g.run(tt.path, tt.body)
			p := c.profile()
			if c.Status != "Success" || p.ProfileStatus != action || p.EUICCStatus != "EXECUTED_SUCCESS" {
				t.Errorf("callback %+v", c)
			}
			if tt.iccid != "" && !strings.HasPrefix(p.ICCID, tt.iccid) || tt.iccid == "" && p.ICCID != "" {
				t.Errorf("callback names profile %q, want %q", p.ICCID, tt.iccid)
			}
			if d := g.dev(gioEID); !tt.ok(d) || d.Pending != nil {
				t.Errorf("device after: %+v", d)
			}

			c = g.run(tt.path, tt.refused)
			if p := c.profile(); c.Status != "Failed" || p.EUICCStatus != "FAILED" || p.EUICCStatusDesc != tt.desc {
				t.Errorf("refusal: %+v, want %q", c, tt.desc)
			}

			st, got := g.post(tt.path, tt.bad)
			if st != 400 || !isStatusError(got, 400) || !strings.Contains(got, tt.field) {
				t.Errorf("bad body: %d %s, want a 400 naming %s", st, got, tt.field)
			}
			if r := g.lastRequest(); r.Status != 400 || !strings.HasPrefix(r.ErrorCode, "UnifiedWebService.") {
				t.Errorf("journal %+v, want the specific code", r)
			}
		})
	}
}

// device_suspend and device_resume tell, in their one callback a device,
// each profile's result; a profile suspended on its own stays suspended
// when its device resumes.
func TestGIODeviceSuspendTellsEachProfile(t *testing.T) {
	g := newGIOEnv(t)
	g.run(gioPath+"profile_suspend", gioBody("", ids("iccid", gioOff)))
	c := g.run(gioPath+"device_suspend", gioBody("", ids("eid", gioEID)))
	want := []domain.GIOProfileResult{
		{ICCID: gioBoot, Status: "Success", Description: "Profile is suspended"},
		{ICCID: gioOn, Status: "Success", Description: "Profile is suspended"},
		{ICCID: gioOff, Status: "Failed", Description: "Profile is already suspended"},
	}
	if got := c.profile().Profiles; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("device_suspend: %+v, want %+v", got, want)
	}
	// Suspended, the device cannot connect: it takes no new profile.
	c = g.run(gioPath+"download_enable", gioBody("", ids("eid", gioEID, "iccid", gioNewID)))
	if d := c.profile().EUICCStatusDesc; c.Status != "Failed" || !strings.Contains(d, "not connected") {
		t.Errorf("download_enable on a suspended device: %+v", c)
	}
	c = g.run(gioPath+"device_resume", gioBody("", ids("eid", gioEID)))
	if got := c.profile().Profiles; len(got) != 3 || got[2].Status != "Failed" || got[0].Status != "Success" {
		t.Errorf("device_resume: %+v", got)
	}
	if d := g.dev(gioEID); d.ProfilesSuspended || !profileOf(d, gioOff).Suspended || profileOf(d, gioOn).Suspended {
		t.Errorf("after device_resume: %+v", d)
	}
}

// A download naming no profile gets an ICCID of tssim's, which the
// callback names and by which the device is then found.
func TestGIODownloadAssignsAnICCID(t *testing.T) {
	g := newGIOEnv(t)
	c := g.run(gioPath+"download", gioBody("", ids("eid", gioEID)))
	iccid := c.profile().ICCID
	if !regexp.MustCompile(`^[0-9]{20}$`).MatchString(iccid) || profileOf(g.dev(gioEID), iccid).Status != domain.StatusDisabled {
		t.Fatalf("downloaded %q: %+v", iccid, g.dev(gioEID))
	}
	if c := g.run(gioPath+"enable", gioBody("", ids("iccid", iccid))); c.Status != "Success" || profileOf(g.dev(gioEID), iccid).Status != domain.StatusEnabled {
		t.Errorf("enable the downloaded profile: %+v", c)
	}
}

// enable, download_enable and delete share their path with the
// local-profile actions: a body naming an SM-SR is the local action's,
// with its DeviceProfileResponse callback and its error form; any other
// JSON object is Global IoT's.
func TestGIOAndLocalActionsShareTheirPaths(t *testing.T) {
	for _, action := range []string{"enable", "download_enable", "delete"} {
		t.Run(action, func(t *testing.T) {
			path := gioPath + action
			iccid := gioOff
			if action == "download_enable" {
				iccid = gioNewID
			}

			g := newGIOEnv(t)
			id := g.start(path, actionBody(account, smsrOID, dev(gioEID, iccid)))
			cb := g.callbacks(id, 1, 1)[0].Message
			if r := cb.DeviceResponse.DeviceProfileResponse; cb.Status != "Success" || r.SMSROID != smsrOID || r.ProfileStatus != action {
				t.Errorf("local body: %+v", cb)
			}
			g.mu.Lock()
			last := g.bodies[len(g.bodies)-1]
			g.mu.Unlock()
			if schemas.Check(g.schema, last) == nil {
				t.Errorf("the local action's callback is a GIO one: %s", last)
			}

			g = newGIOEnv(t)
			c := g.run(path, gioBody("", ids("eid", gioEID, "iccid", iccid)))
			if p := c.profile(); c.Status != "Success" || p.ProfileStatus != action || p.ICCID != iccid || p.FallbackICCID != gioBoot {
				t.Errorf("GIO body: %+v", c)
			}

			// Each refuses a bad body in its own family's form.
			st, got := g.post(path, actionBody(account, "oid", dev(gioEID, gioOff)))
			if st != 400 || !strings.Contains(got, `"errorCode":"`+tserr.CodeUnexpected+`"`) || !strings.Contains(got, "/smsrOid") {
				t.Errorf("a bad local body: %d %s", st, got)
			}
			st, got = g.post(path, gioBody("", ids("eid", "123", "iccid", gioOff)))
			if st != 400 || !isStatusError(got, 400) || !strings.Contains(got, "/devices/0/deviceIds/0/id") {
				t.Errorf("a bad GIO body: %d %s", st, got)
			}
			// A body that is no JSON object names neither: the local
			// action refuses it, as before the paths were shared.
			st, got = g.post(path, `{"devices":[`)
			if st != 400 || !strings.Contains(got, `"errorCode":"`+tserr.CodeUnexpected+`"`) {
				t.Errorf("broken JSON: %d %s", st, got)
			}
		})
	}
	// disable has no GIO twin: a body without smsrOid is still refused.
	g := newGIOEnv(t)
	st, got := g.post(gioPath+"disable", gioBody(`"servicePlan":"RP1",`, ids("eid", gioEID, "iccid", gioOn)))
	if st != 400 || !strings.Contains(got, "/smsrOid: is required") || !strings.Contains(got, "Global IoT") {
		t.Errorf("disable without smsrOid: %d %s", st, got)
	}
}

// Every synchronous refusal of a GIO operation is in the GIO family's
// form, {"errorCode":"<status>","errorMessage":...}, naming what is wrong;
// the journal keeps ThingSpace's specific code.
func TestGIOSynchronousErrors(t *testing.T) {
	g := newGIOEnv(t)
	suspended := ids("eid", "666456789123456789123456784015", "iccid", "89148000000840784267")
	for _, tt := range []struct {
		name, path, body, code, msg string
	}{
		{"a suspended line", "enable", gioBody("", suspended), tserr.CodeDeviceStateInvalid, "is Suspend"},
		{"a deactivated line", "device_suspend", gioBody("", ids("eid", "666456789123456789123456784016")), tserr.CodeDeviceStateInvalid, "is Deactive"},
		{"an unknown device", "download", gioBody("", ids("eid", "666456789123456789123456789999")), tserr.CodeDeviceNotFound, "/devices/0"},
		{"an unknown account", "activate", `{"accountName":"9999999999-00001","devices":[` + ids("eid", gioEID) + `]}`, tserr.CodeAccountNotFound, "9999999999-00001"},
		{"another user's account", "activate", `{"accountName":"` + otherAccount + `","devices":[` + ids("eid", "89049032000001000000000000006001") + `]}`, tserr.CodeAccountName, otherAccount},
		{"no accountName", "profile_suspend", `{"devices":[` + ids("iccid", gioOff) + `]}`, tserr.CodeAccountNotDefined, "/accountName: is required"},
		{"no devices", "profile_resume", `{"accountName":"` + account + `"}`, tserr.CodeUnexpected, "/devices: is required"},
		{"zero devices", "download", gioBody(""), tserr.CodeUnexpected, "/devices"},
		{"two EIDs", "download", gioBody("", ids("eid", gioEID, "eid", gioEID)), tserr.CodeUnexpected, `more than one identifier of kind \"eid\"`},
		{"deviceIds and ids", "deactivate", gioBody("", `{"deviceIds":`+idList("eid", gioEID)+`,"ids":`+idList("eid", gioEID)+`}`), tserr.CodeUnexpected, "deviceIds or ids"},
		{"a bad reasonCode", "deactivate", gioBody(`"reasonCode":"x",`, ids("eid", gioEID)), tserr.CodeUnexpected, "/reasonCode"},
		{"a bad servicePlan", "activate", gioBody(`"servicePlan":"$",`, ids("eid", gioEID)), tserr.CodeUnexpected, "/servicePlan"},
		{"a FallBack device that is an object without deviceIds", "setfallbackattribute", gioBody("", `{"ids":[]}`), tserr.CodeUnexpected, "/devices/0/deviceIds: is required"},
		{"an apostrophe", "device_resume", `{"accountName":"12'3","devices":[` + ids("eid", gioEID) + `]}`, tserr.CodeInvalidCharacter, "/accountName"},
		{"a key given twice", "download", `{"accountName":"` + account + `","accountName":"` + account2 + `","devices":[` + ids("eid", gioEID) + `]}`, tserr.CodeUnexpected, "/accountName: the key is given twice"},
		{"an unknown scenario", "download", gioBody("", ids("eid", gioEID)), tserr.CodeSimUnknownScenario, "nope"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := g.h.Clone()
			if tt.code == tserr.CodeSimUnknownScenario {
				h.Set(domain.ScenarioHeader, "nope")
			}
			st, got := g.raw("POST", gioPath+tt.path, h, tt.body)
			if st != 400 || !isStatusError(got, 400) || !strings.Contains(got, tt.msg) {
				t.Errorf("got %d %s, want a 400 naming %q", st, got, tt.msg)
			}
			if r := g.lastRequest(); r.ErrorCode != tt.code {
				t.Errorf("journal code %q, want %q", r.ErrorCode, tt.code)
			}
		})
	}
	if d := g.dev(gioEID); d.Pending != nil || len(d.Profiles) != 3 {
		t.Errorf("a refused request changed the device: %+v", d)
	}
}

// GIO actions run the same scenarios as the local ones, on the same clock.
func TestGIOActionsRunTheirScenario(t *testing.T) {
	g := newGIOEnv(t)
	h := g.h.Clone()
	h.Set(domain.ScenarioHeader, "warning-then-success")
	st, got := g.raw("POST", gioPath+"profile_suspend", h, gioBody("", ids("iccid", gioOff)))
	if st != 200 {
		t.Fatalf("%d %s", st, got)
	}
	var a struct {
		RequestID string `json:"requestId"`
	}
	if err := json.Unmarshal([]byte(got), &a); err != nil {
		t.Fatal(err)
	}
	if c := g.await(a.RequestID, 1); c[0].Status != "Warning" || g.dev(gioEID).Pending == nil || profileOf(g.dev(gioEID), gioOff).Suspended {
		t.Fatalf("at once: %+v", c)
	}
	g.advance(10 * time.Minute)
	if c := g.await(a.RequestID, 2); c[1].Status != "Success" || !profileOf(g.dev(gioEID), gioOff).Suspended {
		t.Errorf("ten minutes later: %+v", c)
	}
}

// A GIO action waiting for its scenario, and the marks GIO actions left
// on a device, survive a restart; the action then ends as it would have.
func TestGIOActionsSurviveARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	device := func(in *instance) domain.Device {
		t.Helper()
		resp, err := http.Get(in.hs.URL + "/_sim/devices/" + gioEID)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var d domain.Device
		if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	a := start(t, path)
	h := loginHeaders(t, a.srv.Handler())
	post := func(action, scenario, body string) {
		t.Helper()
		req := httptest.NewRequest("POST", gioPath+action, strings.NewReader(body))
		req.Header = h.Clone()
		if scenario != "" {
			req.Header.Set(domain.ScenarioHeader, scenario)
		}
		w := httptest.NewRecorder()
		a.srv.Handler().ServeHTTP(w, req)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", action, w.Code, w.Body)
		}
	}
	post("setfallbackattribute", "", gioBody("", idList("iccid", gioOff)))
	post("profile_suspend", "", gioBody("", ids("iccid", gioOff)))
	post("device_suspend", "warning-then-success", gioBody("", ids("eid", gioEID)))
	a.stop(t)

	b := start(t, path)
	defer b.stop(t)
	d := device(b)
	if p := profileOf(d, gioOff); !p.Suspended || !p.Fallback || d.ProfilesSuspended || d.Pending == nil || d.Pending.Action != "gio_device_suspend" {
		t.Fatalf("after the restart: %+v", d)
	}
	if _, err := b.admin.Advance(context.Background(), 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if d := device(b); !d.ProfilesSuspended || d.Pending != nil {
		t.Errorf("once the scenario ends: %+v", d)
	}
}

// Errors the edge answers before a Global IoT handler runs (an empty body,
// a wrong Content-Type) are in the family's form too: the HTTP status as
// errorCode. The gateway's own faults keep theirs.
func TestGIOEdgeErrorsAreInTheStatusForm(t *testing.T) {
	e := newEnv(t)
	path := "/api/m2m/v1/devices/profile/actions/profile_suspend"
	h := e.authed()
	if st, body := e.raw("POST", path, h, ""); st != 400 || !strings.Contains(body, `"errorCode":"400"`) {
		t.Errorf("an empty body: %d %s", st, body)
	}
	h.Set("Content-Type", "text/plain")
	if st, body := e.raw("POST", path, h, `{"accountName":"1223334444-00001"}`); st != 415 || !strings.Contains(body, `"errorCode":"415"`) {
		t.Errorf("a text body: %d %s", st, body)
	}
	if st, body := e.raw("POST", path, nil, `{}`); st != 401 || !strings.Contains(body, `"fault"`) {
		t.Errorf("no credentials: %d %s", st, body)
	}
}
