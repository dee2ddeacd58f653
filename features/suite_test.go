package features

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
// passed.
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
	c.T, c.Stdout, c.Stderr = t, os.Stdout, os.Stderr
	if c.AdapterURL == "" {
		c.Concurrency = 4
	}
	if code := Run(context.Background(), c); code != Passed {
		t.Fatalf("the contract suite exited %d", code)
	}
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
// and its summary names the scenario, the step and the capability.
func TestBrokenClientsFail(t *testing.T) {
	python := need(t, "python3")
	for _, tc := range []struct {
		mode, tags, scenario, capability string
	}{
		{"succeeded-false", "@results && ~@burst", "Deleting the enabled local profile hands over to the bootstrap profile", capabilities["@results"]},
		{"no-ack", "@acknowledges", "Every callback taken is acknowledged with a 2xx", capabilities["@acknowledges"]},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			junit := filepath.Join(t.TempDir(), "junit.xml")
			var out, stderr bytes.Buffer
			code := Run(context.Background(), Config{
				Adapter: python + " testdata/broken_adapter.py " + tc.mode, Tags: tc.tags,
				Formats: []string{"progress", "junit:" + junit}, Stdout: &out, Stderr: &stderr,
			})
			if code != Failed {
				t.Fatalf("exit %d, want %d\n%s%s", code, Failed, out.String(), stderr.String())
			}
			for _, want := range []string{"FAIL  " + tc.scenario, "step:", "capability: " + tc.capability, "failed\n"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("the summary does not say %q:\n%s", want, out.String())
				}
			}
			checkJUnit(t, junit, tc.scenario)
		})
	}
}

// checkJUnit reads a JUnit report: one test case per scenario run, and
// the failed scenario among the failures.
func checkJUnit(t *testing.T, path, failed string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Tests  int `xml:"tests,attr"`
		Suites []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &report); err != nil {
		t.Fatalf("the JUnit report is not XML: %v\n%s", err, b)
	}
	cases, found := 0, false
	for _, s := range report.Suites {
		for _, c := range s.Cases {
			cases++
			found = found || (c.Name == failed && c.Failure != nil)
		}
	}
	if cases == 0 || cases != report.Tests {
		t.Errorf("the JUnit report has %d test cases and says tests=%d", cases, report.Tests)
	}
	if !found {
		t.Errorf("the JUnit report has no failure for %q:\n%s", failed, b)
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
