package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tssim/tssim/internal/record/standin"
	"github.com/tssim/tssim/internal/validate"
)

// plantedRecording is the session in the repository recorded against the
// planted stand-in.
const plantedRecording = "../../internal/drift/testdata/planted.jsonl"

// recordLife runs tssim record in front of a stand-in while the stand-in's
// life is lived through it, and returns the recording and the tokens the
// life was given.
func recordLife(t *testing.T, planted bool) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	s, err := standin.Start(dir, planted)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l := standin.NewListener()
	defer l.Close()
	path := filepath.Join(dir, "life.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var out, errb syncBuffer
	go func() {
		done <- run(ctx, []string{"record", "--upstream", s.URL, "--addr", "127.0.0.1:0", "--out", path, "--clock", "upstream"}, env(nil), &out, &errb, ready)
	}()
	tokens, err := standin.Life(context.Background(), "http://"+<-ready, s, l)
	cancel()
	if code := <-done; code != 0 || err != nil {
		t.Fatalf("life: %v; tssim record: exit %d\n%s%s", err, code, out.String(), errb.String())
	}
	want := path + " written (requests: 19, callbacks: 8)"
	if planted {
		want = path + " written (requests: 19, callbacks: 9)"
	}
	if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "point your client at http://127.0.0.1:") {
		t.Errorf("tssim record said:\n%s", out.String())
	}
	return path, tokens
}

// noSecrets greps a recording for every secret the life used.
func noSecrets(t *testing.T, path string, tokens []string) {
	t.Helper()
	found, err := standin.SecretsIn(path, tokens)
	if err != nil || len(found) > 0 {
		t.Errorf("%s holds secrets: %v %v", path, found, err)
	}
}

// A whole life recorded through tssim record, then replayed by tssim
// drift: against an identical stand-in, exit 0 and no drift; against the
// planted one, exit 1 and exactly the planted differences, each with its
// request and device, in the text, the JSON and the JUnit file.
func TestRecordThenDrift(t *testing.T) {
	path, tokens := recordLife(t, false)
	noSecrets(t, path, tokens)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"drift", path}, env(nil), &out, &errb, nil); code != 0 || !strings.Contains(out.String(), "no drift") {
		t.Errorf("identical: exit %d\n%s%s", code, out.String(), errb.String())
	}

	path, tokens = recordLife(t, true)
	noSecrets(t, path, tokens)
	out.Reset()
	junit := filepath.Join(t.TempDir(), "drift.xml")
	code := run(context.Background(), []string{"drift", path, "--junit", junit}, env(nil), &out, &errb, nil)
	if code != 1 {
		t.Fatalf("planted: exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{
		"3 differences:",
		"#2 POST /api/ts/v1/oauth2/token (token): answer shape\n    /expires_in: ThingSpace sent none, tssim a number",
		"#3 POST /api/m2m/v1/session/login (login): error\n    errorCode: ThingSpace \"" + standin.PlantedErrorCode + "\", tssim \"UnifiedWebService.INPUT_INVALID.Password.Invalid\"",
		"#15 POST /api/m2m/v1/devices/profile/actions/enable (enable), device " + standin.EIDD + ": callbacks",
		"Failed EXPIRED 1.2.367, callbackCount 1, at +30m0s",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
	x, err := os.ReadFile(junit)
	if err != nil || !bytes.Contains(x, []byte(`failures="3"`)) {
		t.Errorf("JUnit: %v\n%s", err, x)
	}
	out.Reset()
	if code := run(context.Background(), []string{"drift", "--json", path}, env(nil), &out, &errb, nil); code != 1 {
		t.Errorf("--json: exit %d", code)
	}
	var rep struct {
		Differences []struct{ Kind, Request, Device string }
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || len(rep.Differences) != 3 || rep.Differences[2].Device != standin.EIDD {
		t.Errorf("--json: %v\n%s", err, out.String())
	}
}

// Bad usage and unreadable recordings exit 2, saying why.
func TestRecordAndDriftUsage(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"type":"exchange","seq":1,"at":"2026-01-01T00:00:00Z"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"drift"}, 2, "a recording is required"},
		{[]string{"drift", "a.jsonl", "b.jsonl"}, 2, "one recording at a time"},
		{[]string{"drift", "--tolerance", "soon", plantedRecording}, 2, "invalid value"},
		{[]string{"drift", filepath.Join(t.TempDir(), "none.jsonl")}, 2, "no such file"},
		{[]string{"drift", bad}, 2, "line 1"},
		{[]string{"drift", "--help"}, 0, "Exit status: 0 no drift, 1 drift, 2 bad usage"},
		{[]string{"record"}, 2, "--upstream and --out are required"},
		{[]string{"record", "--upstream", "http://127.0.0.1:1", "--out", bad, "--clock", "sundial"}, 2, "must be wall or upstream"},
		{[]string{"record", "--upstream", "ftp://127.0.0.1:1", "--out", filepath.Join(t.TempDir(), "r.jsonl"), "--addr", "127.0.0.1:0"}, 2, "not an http or https URL"},
		{[]string{"record", "--help"}, 0, "A recording proxy between your client and ThingSpace"},
		{[]string{"fixtures", "--from", bad}, 2, "line 1"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), c.args, env(nil), &out, &errb, nil)
		if code != c.code || !strings.Contains(out.String()+errb.String(), c.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s%s", c.args, code, c.code, c.want, out.String(), errb.String())
		}
	}
}

// tssim fixtures --from prints the world a recording shows as fixtures
// tssim loads, and writes each device's callbacks as a scenario, assigned
// to it; without --scenarios it says what it left out.
func TestFixturesFrom(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"fixtures", "--from", plantedRecording, "--scenarios", dir}, env(nil), &out, &errb, nil); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	v, err := validate.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	f, err := v.LoadFixtures("fixtures --from", out.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	scenarios, err := v.LoadScenarios(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Devices) != 4 || f.Devices[3].EID != standin.EIDD || scenarios[f.Devices[3].Scenario] == nil || len(scenarios[f.Devices[3].Scenario].Steps) != 2 {
		t.Errorf("device D: %+v; scenarios %v", f.Devices[3], scenarios)
	}
	out.Reset()
	errb.Reset()
	if code := run(context.Background(), []string{"fixtures", "--from", plantedRecording}, env(nil), &out, &errb, nil); code != 0 ||
		strings.Contains(out.String(), `"scenario"`) || !strings.Contains(errb.String(), "5 scenarios seen, not written: give --scenarios DIR") {
		t.Errorf("without --scenarios: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
}
