package drift_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tssim/tssim/internal/drift"
	"github.com/tssim/tssim/internal/record"
	"github.com/tssim/tssim/internal/record/standin"
	"github.com/tssim/tssim/simulator"
)

var update = flag.Bool("update", false, "record testdata/session.jsonl and testdata/planted.jsonl again, against the stand-ins")

// The recorded sessions in the repository, made against the stand-ins:
// session.jsonl against one identical to tssim, planted.jsonl against the
// planted one.
const (
	sessionFile = "testdata/session.jsonl"
	plantedFile = "testdata/planted.jsonl"
)

func read(t *testing.T, path string) *record.Recording {
	t.Helper()
	rec, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// recordLife records the stand-in's life afresh.
func recordLife(t *testing.T, planted bool) *record.Recording {
	t.Helper()
	r, err := standin.Record(context.Background(), t.TempDir(), "life.jsonl", planted)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, r.Path)
}

func run(t *testing.T, rec *record.Recording, opts drift.Options) *drift.Report {
	t.Helper()
	rep, err := drift.Run(context.Background(), rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func text(t *testing.T, rep *drift.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestRecordedSessions replays the sessions in the repository: the one
// made against a stand-in identical to tssim shows no drift, the planted
// one exactly the planted differences. Should tssim change what it
// answers or sends, record them again (go test ./internal/drift -run
// TestRecordedSessions -update) once the change is meant.
func TestRecordedSessions(t *testing.T) {
	if *update {
		for file, planted := range map[string]bool{sessionFile: false, plantedFile: true} {
			r, err := standin.Record(context.Background(), t.TempDir(), "life.jsonl", planted)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(r.Path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, file := range []string{sessionFile, plantedFile} {
		if found, err := standin.SecretsIn(file, nil); err != nil || len(found) > 0 {
			t.Errorf("%s holds secrets: %v %v", file, found, err)
		}
	}
	rep := run(t, read(t, sessionFile), drift.Options{Name: sessionFile})
	if rep.Drift() || rep.Exchanges != 19 || rep.Callbacks != 8 || rep.Devices != 4 || len(rep.Notes) > 0 {
		t.Errorf("%s (record it again with -update if tssim changed on purpose):\n%s", sessionFile, text(t, rep))
	}
	assertPlanted(t, run(t, read(t, plantedFile), drift.Options{Name: plantedFile}))
}

// A whole life recorded afresh against a stand-in identical to tssim
// shows no drift; against the planted one, exactly what was planted, each
// difference named with its request and device.
func TestDriftFindsWhatWasPlanted(t *testing.T) {
	rep := run(t, recordLife(t, false), drift.Options{Name: "same"})
	if rep.Drift() {
		t.Errorf("against an identical stand-in:\n%s", text(t, rep))
	}
	assertPlanted(t, run(t, recordLife(t, true), drift.Options{Name: "planted"}))
}

func assertPlanted(t *testing.T, rep *drift.Report) {
	t.Helper()
	type found struct{ kind, request, device string }
	var got []found
	for _, d := range rep.Differences {
		got = append(got, found{d.Kind, d.Request, d.Device})
	}
	want := []found{
		{drift.KindShape, "#2 POST /api/ts/v1/oauth2/token (token)", ""},
		{drift.KindError, "#3 POST /api/m2m/v1/session/login (login)", ""},
		{drift.KindCallbacks, "#15 POST /api/m2m/v1/devices/profile/actions/enable (enable)", standin.EIDD},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("differences:\n got %v\nwant %v\n%s", got, want, text(t, rep))
	}
	d := rep.Differences
	if !strings.Contains(d[0].Summary, "/"+standin.PlantedMissingField+": ThingSpace sent none, tssim a number") {
		t.Errorf("missing field: %+v", d[0])
	}
	if !strings.Contains(d[1].Summary, standin.PlantedErrorCode) || !strings.Contains(d[1].Summary, "UnifiedWebService.INPUT_INVALID.Password.Invalid") {
		t.Errorf("error code: %+v", d[1])
	}
	if len(d[2].ThingSpace) != 2 || !strings.Contains(d[2].ThingSpace[0], "Warning EXECUTED_WITHWARNING") ||
		!strings.Contains(d[2].ThingSpace[1], "Failed EXPIRED 1.2.367, callbackCount 1, at +30m0s") ||
		len(d[2].Tssim) != 1 || !strings.Contains(d[2].Tssim[0], "Success EXECUTED_SUCCESS 1.2.365, callbackCount 1, at +0s") {
		t.Errorf("callbacks: %+v", d[2])
	}
}

// entry returns the first entry of a recording that matches.
func entry(rec *record.Recording, match func(*record.Entry) bool) *record.Entry {
	for i := range rec.Entries {
		if match(&rec.Entries[i]) {
			return &rec.Entries[i]
		}
	}
	return nil
}

// A callback later than tssim sends it, past the tolerance, is timing
// drift; within it, none. A status ThingSpace answered otherwise is
// status drift, named with both answers.
func TestTimingAndStatus(t *testing.T) {
	rec := read(t, sessionFile)
	success := entry(rec, func(e *record.Entry) bool {
		return e.Type == record.TypeCallback && bytes.Contains(e.Request.Body, []byte(standin.EIDA)) && bytes.Contains(e.Request.Body, []byte(`"EXECUTED_SUCCESS"`))
	})
	success.At = success.At.Add(20 * time.Second)
	if rep := run(t, rec, drift.Options{}); rep.Drift() {
		t.Errorf("20 s late, within 30 s:\n%s", text(t, rep))
	}
	success.At = success.At.Add(time.Minute)
	rep := run(t, rec, drift.Options{})
	if len(rep.Differences) != 1 || rep.Differences[0].Kind != drift.KindTiming || rep.Differences[0].Device != standin.EIDA ||
		!strings.Contains(rep.Differences[0].Summary, "1 callback beyond 30s") || !strings.Contains(rep.Differences[0].Details[0], "ThingSpace at +11m20s, tssim at +10m0s") {
		t.Errorf("80 s late:\n%s", text(t, rep))
	}

	rec = read(t, sessionFile)
	status := entry(rec, func(e *record.Entry) bool { return e.Operation == "request_status" })
	status.Response.Status = 404
	status.Response.Body = json.RawMessage(`{"errorCode":"UnifiedWebService.REQUEST_FAILED.Request.NotFound","errorMessage":"gone"}`)
	rep = run(t, rec, drift.Options{})
	if len(rep.Differences) != 1 || rep.Differences[0].Kind != drift.KindStatus ||
		!slices.Equal(rep.Differences[0].ThingSpace, []string{"404 UnifiedWebService.REQUEST_FAILED.Request.NotFound gone"}) || !slices.Equal(rep.Differences[0].Tssim, []string{"200"}) {
		t.Errorf("status:\n%s", text(t, rep))
	}
}

// Fields tssim sends that ThingSpace does not, and types, are drift too;
// a callback's fields likewise.
func TestShapes(t *testing.T) {
	rec := read(t, sessionFile)
	login := entry(rec, func(e *record.Entry) bool { return e.Operation == "login" && e.Response.Status == 200 })
	login.Response.Body = json.RawMessage(`{"sessionToken":"redacted-session-token-1","expiresIn":1200}`)
	list := entry(rec, func(e *record.Entry) bool { return e.Operation == "devices_list" })
	list.Response.Body = bytes.Replace(list.Response.Body, []byte(`"hasMoreData":false`), []byte(`"hasMoreData":"false"`), 1)
	cb := entry(rec, func(e *record.Entry) bool { return e.Type == record.TypeCallback && e.Service == "CarrierService" })
	cb.Request.Body = bytes.Replace(cb.Request.Body, []byte(`"state":"Suspend"`), []byte(`"state":"Suspend","lineStatus":"SUSPENDED"`), 1)
	rep := run(t, rec, drift.Options{})
	var got []string
	for _, d := range rep.Differences {
		got = append(got, d.Kind+" "+d.Summary)
	}
	want := []string{
		"shape answer shape: /expiresIn: ThingSpace sent a number, tssim none",
		"shape answer shape: /hasMoreData: ThingSpace sent a string, tssim a boolean",
		"callback-shape callback shape: /deviceResponse/suspendResponse/lineStatus: ThingSpace sent a string, tssim none",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Against a running tssim (--url), drift makes a world of its own there,
// and removes it after.
func TestDriftAgainstARunningTssim(t *testing.T) {
	srv, err := simulator.New(simulator.Options{Clock: "real"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer func() {
		hs.Close()
		_ = srv.Close(context.Background())
	}()
	rep := run(t, read(t, plantedFile), drift.Options{URL: hs.URL, Name: plantedFile})
	if rep.Target != hs.URL {
		t.Errorf("target %q", rep.Target)
	}
	assertPlanted(t, rep)
	var worlds []any
	resp, err := hs.Client().Get(hs.URL + "/_sim/worlds")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&worlds); err != nil || len(worlds) != 0 {
		t.Errorf("worlds left: %v %v", worlds, err)
	}
}

// The report as JSON and as JUnit: one test case per recorded request,
// each difference failing its request's.
func TestReportFormats(t *testing.T) {
	rep := run(t, read(t, plantedFile), drift.Options{Name: plantedFile})
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Recording   string
		Differences []drift.Difference
	}
	if err := json.Unmarshal(b.Bytes(), &j); err != nil || j.Recording != plantedFile || len(j.Differences) != 3 {
		t.Errorf("JSON: %v\n%s", err, b.String())
	}
	b.Reset()
	if err := rep.WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	type testCase struct {
		Name    string `xml:"name,attr"`
		Failure *struct {
			Message string `xml:"message,attr"`
			Text    string `xml:",chardata"`
		} `xml:"failure"`
	}
	var x struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suite    struct {
			Cases []testCase `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &x); err != nil {
		t.Fatal(err)
	}
	if lint, err := exec.LookPath("xmllint"); err == nil {
		path := filepath.Join(t.TempDir(), "drift.xml")
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(lint, "--noout", "--schema", "../../features/testdata/junit-10.xsd", path).CombinedOutput(); err != nil {
			t.Errorf("the JUnit report breaks features/testdata/junit-10.xsd: %v\n%s\n%s", err, out, b.String())
		}
	}
	if x.Tests != 19 || x.Failures != 3 || len(x.Suite.Cases) != 19 {
		t.Fatalf("JUnit: %d tests, %d failures:\n%s", x.Tests, x.Failures, b.String())
	}
	i := slices.IndexFunc(x.Suite.Cases, func(c testCase) bool {
		return c.Name == "#15 POST /api/m2m/v1/devices/profile/actions/enable (enable)"
	})
	if i < 0 {
		t.Fatal("no case of request #15")
	}
	c := x.Suite.Cases[i]
	if c.Failure == nil ||
		!strings.Contains(c.Failure.Text, "device "+standin.EIDD) || !strings.Contains(c.Failure.Text, "Failed EXPIRED") {
		t.Errorf("case 15: %+v", c)
	}
}

// fixtures --from: the world the session shows is the stand-in's, and
// each device's callbacks are a scenario tssim takes; a device D whose
// scenario is assigned answers as the planted stand-in did.
func TestDerive(t *testing.T) {
	d, err := drift.Derive(read(t, plantedFile), "planted.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var want drift.Fixtures
	if err := json.Unmarshal(standin.Fixtures(false), &want); err != nil {
		t.Fatal(err)
	}
	f := d.Fixtures
	if len(f.Clients) != 1 || f.Clients[0].AppKey != standin.AppKey || !strings.HasPrefix(f.Clients[0].AppSecret, record.LabelPrefix) ||
		len(f.Users) != 1 || f.Users[0].Username != standin.User || !slices.Equal(f.Users[0].Accounts, []string{standin.Account}) ||
		len(f.Accounts) != 1 || f.Accounts[0].SMSROID != standin.SMSROID {
		t.Errorf("credentials and accounts: %+v %+v %+v", f.Clients, f.Users, f.Accounts)
	}
	if len(f.Devices) != 4 {
		t.Fatalf("devices: %d", len(f.Devices))
	}
	for i, dev := range f.Devices {
		w := want.Devices[i]
		if dev.EID != w.EID || dev.IMEI != w.IMEI || dev.MDN != w.MDN || dev.State != w.State || dev.IPAddress != w.IPAddress ||
			dev.ServicePlan != w.ServicePlan || !slices.Equal(dev.Profiles, w.Profiles) {
			t.Errorf("device %d:\n got %+v\nwant %+v", i, dev, w)
		}
	}
	var names []string
	for _, s := range d.Scenarios {
		names = append(names, s.Name+": "+s.Description)
	}
	if len(d.Scenarios) != 5 || f.Devices[3].Scenario == "" {
		t.Fatalf("scenarios:\n%s\nD's: %q", strings.Join(names, "\n"), f.Devices[3].Scenario)
	}
	dir := t.TempDir()
	for _, s := range d.Scenarios {
		b, _ := json.Marshal(s)
		if err := os.WriteFile(filepath.Join(dir, s.Name+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(f)
	fixtures := filepath.Join(t.TempDir(), "fixtures.json")
	if err := os.WriteFile(fixtures, b, 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := simulator.New(simulator.Options{Fixtures: fixtures, Scenarios: dir, Clock: "manual"})
	if err != nil {
		t.Fatalf("tssim takes them not: %v", err)
	}
	_ = srv.Close(context.Background())
	var dScenario drift.Scenario
	for _, s := range d.Scenarios {
		if s.Name == f.Devices[3].Scenario {
			dScenario = s
		}
	}
	if got := dScenario.Description; !strings.Contains(got, "Warning (EXECUTED_WITHWARNING) at 0s, then Failed (EXPIRED) at 30m0s") {
		t.Errorf("D's scenario: %s", got)
	}
}

// A device no list showed before it was acted on is derived from its
// actions, and a note says so.
func TestDeriveWithoutADeviceList(t *testing.T) {
	rec := read(t, sessionFile)
	rec.Entries = slices.DeleteFunc(rec.Entries, func(e record.Entry) bool { return e.Operation == "devices_list" })
	d, err := drift.Derive(rec, "no list")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Notes) != 4 || !strings.Contains(d.Notes[0], "inferred from its actions") {
		t.Errorf("notes: %v", d.Notes)
	}
	a := d.Fixtures.Devices[0]
	if a.EID != standin.EIDA || a.State != "Active" || len(a.Profiles) != 2 || a.Profiles[0].Type != "bootstrap" || a.Profiles[0].Status != "enabled" ||
		a.Profiles[1].ICCID != standin.ICCID(standin.EIDA, 2) || a.Profiles[1].Status != "disabled" {
		t.Errorf("A: %+v", a)
	}
	if rep := run(t, rec, drift.Options{}); rep.Drift() || len(rep.Notes) != 4 {
		t.Errorf("what its actions imply is enough for this life:\n%s", text(t, rep))
	}
}
