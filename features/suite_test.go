package features

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"
)

// godogFlags are godog's own flags (go test ./features -godog.tags=@client
// -godog.format=pretty -godog.random=SEED); the run takes their tags,
// format and order.
var godogFlags godog.Options

func init() { godog.BindFlags("godog.", flag.CommandLine, &godogFlags) }

// TestFeatures runs the contract as `tssim contract` does, configured by
// the same environment variables as its flags: TSSIM_URL (a running tssim
// on a manual clock), TSSIM_ADMIN_TOKEN, TSSIM_ADAPTER or
// TSSIM_ADAPTER_URL (a client behind the adapter protocol instead of the Go
// client in process), TSSIM_CLIENT_URL, TSSIM_CALLBACK_LISTEN and
// TSSIM_CALLBACK_HOST. Scenarios run four at a time, each in a world of
// its own, but through an HTTP adapter.
func TestFeatures(t *testing.T) {
	run(t, Config{
		URL: os.Getenv("TSSIM_URL"), AdminToken: os.Getenv("TSSIM_ADMIN_TOKEN"),
		Adapter: os.Getenv("TSSIM_ADAPTER"), AdapterURL: os.Getenv("TSSIM_ADAPTER_URL"),
		ClientURL:      os.Getenv("TSSIM_CLIENT_URL"),
		CallbackListen: os.Getenv("TSSIM_CALLBACK_LISTEN"), CallbackHost: os.Getenv("TSSIM_CALLBACK_HOST"),
	})
}

// run runs the contract in this test, failing it unless every scenario
// passed, and checks its JUnit and Cucumber reports.
func run(t *testing.T, c Config) {
	t.Helper()
	flag.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "godog.tags", "godog.t":
			c.Tags = godogFlags.Tags
		case "godog.format", "godog.f":
			c.Formats = strings.Split(godogFlags.Format, ",")
		case "godog.random":
			c.Seed = godogFlags.Randomize
		}
	})
	var out bytes.Buffer
	c.T, c.Stdout, c.Stderr = t, io.MultiWriter(os.Stdout, &out), os.Stderr
	if c.AdapterURL == "" {
		c.Concurrency = 4
	}
	if len(c.Formats) == 0 {
		c.Formats = []string{"progress"}
	}
	dir := t.TempDir()
	junit, cucumber := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "cucumber.json")
	c.Formats = append(c.Formats, "junit:"+junit, "cucumber:"+cucumber)
	if code := Run(context.Background(), c); code != Passed {
		t.Fatalf("the contract suite exited %d", code)
	}
	if strings.Contains(out.String(), "Not graded") {
		t.Errorf("the client was not graded on every capability: a reference client has them all")
	}
	checkReports(t, junit, cucumber)
}

// TestAdapters runs the @client scenarios through the adapter protocol, with
// three clients: the reference client (tsclient adapter) on stdin and
// stdout and over HTTP, a Python standard-library client on stdin and
// stdout, and a Node.js standard-library client over HTTP.
func TestAdapters(t *testing.T) {
	if os.Getenv("TSSIM_ADAPTER") != "" || os.Getenv("TSSIM_ADAPTER_URL") != "" {
		t.Skip("an adapter is set: TestFeatures runs it")
	}
	bin := filepath.Join(t.TempDir(), "tsclient")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/tsclient").CombinedOutput(); err != nil {
		t.Fatalf("building tsclient: %v\n%s", err, out)
	}
	t.Run("tsclient", func(t *testing.T) { run(t, Config{Adapter: bin + " adapter"}) })
	t.Run("tsclient-http", func(t *testing.T) {
		run(t, Config{AdapterURL: serveAdapter(t, exec.Command(bin, "adapter", "--http", "127.0.0.1:0"))})
	})
	t.Run("python", func(t *testing.T) {
		run(t, Config{Adapter: need(t, "python3") + " adapters/python/tsclient_adapter.py"})
	})
	t.Run("node", func(t *testing.T) {
		run(t, Config{AdapterURL: serveAdapter(t, exec.Command(need(t, "node"), "adapters/node/adapter.mjs"))})
	})
}

// need returns the path of a program the test cannot do without.
func need(t *testing.T, program string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		t.Fatalf("%s is needed: %v", program, err)
	}
	return p
}

// serveAdapter starts an adapter served over HTTP and returns its URL,
// which it prints first.
func serveAdapter(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "adapter listening on ")
	if err != nil || !ok {
		t.Fatalf("%s said %q (%v)", cmd, line, err)
	}
	return url
}

// TestBrokenClientsFail runs deliberately broken clients: each run fails,
// and its summary names the scenario, the step and the capability, and
// what tssim saw of the listener; the reports hold.
func TestBrokenClientsFail(t *testing.T) {
	python := need(t, "python3")
	for _, tc := range []struct {
		mode, tags, scenario, capability string
		// timeout shortens the callback timeout, for a listener late by a
		// second.
		timeout time.Duration
		// says are more of what the summary must say, and never what it
		// must not.
		says  []string
		never []string
	}{
		{mode: "succeeded-false", tags: "@results && ~@burst", scenario: "Deleting the enabled local profile hands over to the bootstrap profile", capability: capabilities["@results"]},
		{mode: "no-ack", tags: "@acknowledges", scenario: "Every callback taken is acknowledged with a 2xx", capability: capabilities["@acknowledges"],
			says: []string{"what tssim saw delivering callbacks", "attempts answered 500: EID 666456789123456789123456784008 (attempt 1)", "hint: after a 5xx"}},
		{mode: "backlog-1", tags: "@burst", scenario: "A burst of 1,000 callbacks", capability: capabilities["@burst"],
			says: []string{"what tssim saw delivering callbacks", "refused at connect: EID 89049033", "a listen backlog too small"}},
		{mode: "late 1.5", tags: "@acknowledges", scenario: "Every callback taken is acknowledged with a 2xx", capability: capabilities["@acknowledges"], timeout: time.Second,
			says:  []string{"step:       the client's listener acknowledged every callback with a 2xx", "late, ThingSpace waits 1s"},
			never: []string{"was given no callback"}},
		{mode: "eager-hello", tags: "@refusals", scenario: "Wrong app credentials", capability: startUpText,
			says:  []string{"starting the client (hello): 401 invalid_client"},
			never: []string{"  - " + capabilities["@refusals"]}},
		{mode: "wrong-field", tags: "@fault-form", scenario: "ThingSpace's fault form is a final failure", capability: protocolText,
			says:  []string{"the answer to results breaks the adapter protocol (adapter-schemas/results.answer.json) at /final/0/callbackCount: expected integer, but got string"},
			never: []string{"  - " + capabilities["@fault-form"]}},
		{mode: "ignores-retry-after", tags: "@retry-after", scenario: "A delete throttled with 429 goes through once Retry-After has passed", capability: capabilities["@retry-after"],
			says: []string{`after ThingSpace answered it 429 with "Retry-After: 2": it must wait at least 2s`}},
		{mode: "status-failed", tags: "@status", scenario: "Pending while the device is unreachable, then Failure", capability: capabilities["@status"],
			says: []string{`as "Failed", want "Failure"`}},
		{mode: "wrong-service", tags: "@carrier", scenario: "Suspend a line, then restore it", capability: capabilities["@carrier"],
			says: []string{"failed: no CarrierService listener registered for account 1223334444-00001: EID 666456789123456789123456784008 (attempt 1)"}},
	} {
		t.Run(strings.Fields(tc.mode)[0], func(t *testing.T) {
			t.Parallel() // each run waits on its adapter's clock more than it computes
			dir := t.TempDir()
			junit, cucumber := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "cucumber.json")
			var out, stderr bytes.Buffer
			code := Run(context.Background(), Config{
				Adapter: python + " testdata/broken_adapter.py " + tc.mode, Tags: tc.tags, CallbackTimeout: tc.timeout,
				Formats: []string{"progress", "junit:" + junit, "cucumber:" + cucumber}, Stdout: &out, Stderr: &stderr,
			})
			if code != Failed {
				t.Fatalf("exit %d, want %d\n%s%s", code, Failed, out.String(), stderr.String())
			}
			summary := out.String()[strings.LastIndex(out.String(), "scenarios failed:"):]
			for _, want := range append([]string{"FAIL  " + tc.scenario, "step:", "capability: " + tc.capability, "failed\n"}, tc.says...) {
				if !strings.Contains(summary, want) {
					t.Errorf("the summary does not say %q:\n%s", want, summary)
				}
			}
			for _, never := range tc.never {
				if strings.Contains(summary, never) {
					t.Errorf("the summary says %q:\n%s", never, summary)
				}
			}
			r := checkReports(t, junit, cucumber)
			found := false
			for _, s := range r.Suites {
				for _, c := range s.Cases {
					found = found || (c.Name == tc.scenario && c.Failure != nil && strings.Contains(c.Failure.Message, tc.capability))
				}
			}
			if !found {
				t.Errorf("the JUnit report has no failure for %q blaming %q", tc.scenario, tc.capability)
			}
		})
	}
}

// An adapter whose hello answer breaks the protocol is bad setup, before
// any scenario runs, with the field named.
func TestAWrongHelloIsBadSetup(t *testing.T) {
	var out, stderr bytes.Buffer
	code := Run(context.Background(), Config{Adapter: need(t, "python3") + " testdata/broken_adapter.py wrong-hello", Stdout: &out, Stderr: &stderr})
	want := "the answer to hello breaks the adapter protocol (adapter-schemas/hello.answer.json) at its top level: missing properties: 'listenerUrl'"
	if code != BadSetup || !strings.Contains(stderr.String(), want) || strings.Contains(out.String(), "contract:") {
		t.Errorf("exit %d, stdout %q, stderr %q; want %d before any scenario, saying %q", code, out.String(), stderr.String(), BadSetup, want)
	}
}

// A client that declares no capability is graded on the base protocol
// alone, passes, and the summary says what was not graded; a run that
// selects nothing else is bad setup.
func TestUndeclaredCapabilitiesAreNotGraded(t *testing.T) {
	adapter := need(t, "python3") + " testdata/broken_adapter.py no-capabilities"
	var out, stderr bytes.Buffer
	code := Run(context.Background(), Config{Adapter: adapter, Tags: "@fault-form or @status or @carrier or @retry-after", Stdout: &out, Stderr: &stderr})
	if code != Passed {
		t.Fatalf("exit %d, want %d\n%s%s", code, Passed, out.String(), stderr.String())
	}
	summary := out.String()
	for _, want := range []string{
		"Not graded: the client (python stdlib adapter) did not declare these capabilities",
		`  - @retry-after (2 scenarios, "retry-after" in hello)`,
		`  - @status (4 scenarios, "status" in hello)`,
		`  - @carrier (4 scenarios, "carrier" in hello)`,
		"contract: 1 passed, 0 failed",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary does not say %q:\n%s", want, summary)
		}
	}
	stderr.Reset()
	code = Run(context.Background(), Config{Adapter: adapter, Tags: "@status", Stderr: &stderr})
	if want := `selects only scenarios of capabilities the client did not declare in hello's "capabilities" (@status)`; code != BadSetup || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, stderr %q; want %d saying %q", code, stderr.String(), BadSetup, want)
	}
}

func TestAnAdapterThatDoesNotAnswerHelloIsBadSetup(t *testing.T) {
	var stderr bytes.Buffer
	code := Run(context.Background(), Config{Adapter: "echo 'Traceback: no module named thingspace' >&2; exit 3", Stderr: &stderr})
	if code != BadSetup || !strings.Contains(stderr.String(), "does not answer hello") || !strings.Contains(stderr.String(), "no module named thingspace") {
		t.Errorf("exit %d, stderr %q; want %d with the adapter's standard error", code, stderr.String(), BadSetup)
	}
}

func TestEveryScenarioNamesItsCapability(t *testing.T) {
	scs, err := Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scs {
		n := 0
		for _, tag := range s.Tags {
			if _, ok := capabilities[tag]; ok {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s:%d %q has %d capability tags, want 1: %v", s.File, s.Line, s.Name, n, s.Tags)
		}
	}
}

// The suite makes a world per scenario: a world's URL, which cannot hold
// worlds, is refused with a sentence.
func TestWorldURLIsRefused(t *testing.T) {
	var stderr strings.Builder
	code := Run(context.Background(), Config{URL: "http://127.0.0.1:1/w/mine", Stderr: &stderr})
	if code != BadSetup || !strings.Contains(stderr.String(), "is a world's URL") {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
}
