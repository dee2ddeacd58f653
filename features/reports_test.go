package features

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tssim/tssim/internal/junit"
)

// The reports CI systems read: the JUnit file, checked against a
// well-known schema (testdata/junit-10.xsd, by xmllint) and for the
// invariants a schema cannot say, and the Cucumber JSON, checked for its
// structure, its invariants and its agreement with the JUnit file.

// cucumberReport is godog's Cucumber JSON as read back.
type cucumberReport []struct {
	URI      string `json:"uri"`
	Name     string `json:"name"`
	Elements []struct {
		Name  string `json:"name"`
		Type  string `json:"type"`
		Steps []struct {
			Name   string `json:"name"`
			Result struct {
				Status   string `json:"status"`
				Error    string `json:"error_message"`
				Duration *int64 `json:"duration"`
			} `json:"result"`
		} `json:"steps"`
	} `json:"elements"`
}

// junitSchema writes testdata/junit-10.xsd where xmllint reads it, with
// the one extension testdata/README.md tells of: a test case's properties.
func junitSchema(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/junit-10.xsd")
	if err != nil {
		t.Fatal(err)
	}
	const at = `<xs:element ref="skipped"/>` // in the test case's choice, alone
	if n := bytes.Count(b, []byte(at)); n != 1 {
		t.Fatalf("testdata/junit-10.xsd has %s %d times, want once", at, n)
	}
	b = bytes.Replace(b, []byte(at), []byte(`<xs:element ref="properties"/>`+at), 1)
	path := filepath.Join(t.TempDir(), "junit.xsd")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// xmllint returns xmllint's path, or "" when it is not installed.
func xmllint() string {
	p, _ := exec.LookPath("xmllint")
	return p
}

// validateJUnit checks a JUnit file against the schema with xmllint.
func validateJUnit(t *testing.T, lint, path string) {
	t.Helper()
	out, err := exec.Command(lint, "--noout", "--schema", junitSchema(t), path).CombinedOutput()
	if err != nil {
		b, _ := os.ReadFile(path)
		t.Errorf("%s does not validate against testdata/junit-10.xsd: %v\n%s\n%s", path, err, out, b)
	}
}

// checkReports checks a run's JUnit file and Cucumber JSON (cucumber ""
// for none), validating the JUnit file when xmllint is installed, and
// returns the JUnit report.
func checkReports(t *testing.T, junitPath, cucumber string) junit.Suites {
	t.Helper()
	if lint := xmllint(); lint != "" {
		validateJUnit(t, lint, junitPath)
	}
	b, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	var r junit.Suites
	if err := xml.Unmarshal(b, &r); err != nil {
		t.Fatalf("the JUnit report is not XML: %v\n%s", err, b)
	}
	checkJUnitInvariants(t, r, b)
	if cucumber != "" {
		checkCucumber(t, cucumber, r)
	}
	return r
}

func seconds(t *testing.T, what, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		t.Errorf("%s has time %q, want seconds ≥ 0", what, s)
	}
	return f
}

// checkJUnitInvariants: times ≥ 0, a suite's time at least its longest
// case's and at most the run's, counts that add up, a classname and a
// capability on every case, at most one outcome each.
func checkJUnitInvariants(t *testing.T, r junit.Suites, raw []byte) {
	t.Helper()
	total := seconds(t, "the run", r.Time)
	tests, failures, errors := 0, 0, 0
	for _, s := range r.Suites {
		st := seconds(t, "suite "+s.Name, s.Time)
		if st > total {
			t.Errorf("suite %q took %gs, more than the whole run's %gs", s.Name, st, total)
		}
		var f, e, sk int
		names := map[string]bool{}
		for _, c := range s.Cases {
			if ct := seconds(t, "case "+c.Name, c.Time); ct > st {
				t.Errorf("case %q took %gs, more than its suite %q's %gs", c.Name, ct, s.Name, st)
			}
			if c.Classname != s.Name {
				t.Errorf("case %q has classname %q, want its feature %q", c.Name, c.Classname, s.Name)
			}
			if names[c.Name] {
				t.Errorf("suite %q has two cases named %q", s.Name, c.Name)
			}
			names[c.Name] = true
			capability := ""
			for _, p := range c.Properties.Items {
				if p.Name == "capability" {
					capability = p.Value
				}
			}
			if capability == "" {
				t.Errorf("case %q has no capability property", c.Name)
			}
			outcomes := 0
			if c.Failure != nil {
				outcomes++
				f++
				if !strings.HasPrefix(c.Failure.Message, "Step ") && !strings.HasPrefix(c.Failure.Message, "The scenario's") || !strings.Contains(c.Failure.Message, ". Capability: ") {
					t.Errorf("case %q: the failure message %q does not say the step, the error and the capability", c.Name, c.Failure.Message)
				}
			}
			if c.Error != nil {
				outcomes++
				e++
			}
			if c.Skipped != nil {
				outcomes++
				sk++
			}
			if outcomes > 1 {
				t.Errorf("case %q has %d outcomes", c.Name, outcomes)
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != sk {
			t.Errorf("suite %q says tests=%d failures=%d errors=%d skipped=%d; its cases: %d, %d, %d, %d",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, sk)
		}
		tests, failures, errors = tests+s.Tests, failures+s.Failures, errors+s.Errors
	}
	if tests == 0 || r.Tests != tests || r.Failures != failures || r.Errors != errors {
		t.Errorf("the run says tests=%d failures=%d errors=%d; its suites add up to %d, %d, %d", r.Tests, r.Failures, r.Errors, tests, failures, errors)
	}
	if t.Failed() {
		t.Logf("the JUnit report:\n%s", raw)
	}
}

// checkCucumber checks godog's Cucumber JSON: each scenario with steps of
// a known status and a duration ≥ 0, each failure said once, and the same
// scenarios, failures and features as the JUnit report.
func checkCucumber(t *testing.T, path string, report junit.Suites) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r cucumberReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("the Cucumber report is not its JSON: %v\n%s", err, b)
	}
	statuses := map[string]bool{"passed": true, "failed": true, "skipped": true, "undefined": true, "pending": true, "ambiguous": true}
	suites := map[string]int{}
	for _, s := range report.Suites {
		suites[s.Name] = s.Tests
	}
	var failedErrors []string
	scenarios := 0
	for _, f := range r {
		if f.URI == "" || f.Name == "" || len(f.Elements) == 0 {
			t.Errorf("feature %q (%s) has no name, uri or scenario", f.Name, f.URI)
		}
		if suites[f.Name] != len(f.Elements) {
			t.Errorf("feature %q: %d scenarios in the Cucumber report, %d in the JUnit one", f.Name, len(f.Elements), suites[f.Name])
		}
		for _, e := range f.Elements {
			scenarios++
			if e.Name == "" || e.Type != "scenario" || len(e.Steps) == 0 {
				t.Errorf("%s: scenario %q of type %q has %d steps", f.Name, e.Name, e.Type, len(e.Steps))
			}
			for _, s := range e.Steps {
				if !statuses[s.Result.Status] {
					t.Errorf("%s: step %q has status %q", e.Name, s.Name, s.Result.Status)
				}
				if s.Result.Duration != nil && *s.Result.Duration < 0 {
					t.Errorf("%s: step %q took %dns", e.Name, s.Name, *s.Result.Duration)
				}
				if s.Result.Status != "failed" {
					continue
				}
				msg := s.Result.Error
				if msg == "" {
					t.Errorf("%s: step %q failed without an error", e.Name, s.Name)
				}
				if half := len(msg) / 2; len(msg) > 2 && msg[:half] == msg[len(msg)-half:] {
					t.Errorf("%s: step %q says its error twice: %q", e.Name, s.Name, msg)
				}
				first, _, _ := strings.Cut(msg, "\n")
				failedErrors = append(failedErrors, first)
			}
		}
	}
	if scenarios != report.Tests || len(failedErrors) != report.Failures {
		t.Errorf("the Cucumber report has %d scenarios, %d failed; the JUnit one %d, %d", scenarios, len(failedErrors), report.Tests, report.Failures)
	}
	for _, e := range failedErrors {
		found := false
		for _, s := range report.Suites {
			for _, c := range s.Cases {
				if c.Failure != nil && strings.Count(c.Failure.Message, e) == 1 {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("no JUnit failure says, once, %q", e)
		}
	}
}

// TestJUnitReportsValidate checks the JUnit reports of a passing run, of
// a run of a broken client, and of a run of 8 scenarios at once against
// testdata/junit-10.xsd, and with their Cucumber JSON (TestFeatures and
// TestAdapters check theirs too, against the schema when xmllint is
// installed). CI installs xmllint and fails when this test skips.
func TestJUnitReportsValidate(t *testing.T) {
	lint := xmllint()
	if lint == "" {
		t.Skip("xmllint is not installed (Debian: apt-get install libxml2-utils): the JUnit reports cannot be checked against testdata/junit-10.xsd")
	}
	python := need(t, "python3")
	// The @retry-after scenarios wait real seconds for Retry-After, and
	// add nothing to the reports' shape.
	for _, tc := range []struct {
		name string
		c    Config
		want int
	}{
		{"passing", Config{Tags: "not @burst and not @retry-after"}, Passed},
		{"broken-adapter", Config{Adapter: python + " testdata/broken_adapter.py no-ack", Tags: "@acknowledges or @retries or @refusals"}, Failed},
		{"concurrency-8", Config{Tags: "not @burst and not @retry-after", Concurrency: 8}, Passed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			junit, cucumber := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "cucumber.json")
			var out, stderr bytes.Buffer
			c := tc.c
			c.Formats, c.Stdout, c.Stderr = []string{"progress", "junit:" + junit, "cucumber:" + cucumber}, &out, &stderr
			if code := Run(context.Background(), c); code != tc.want {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.want, out.String(), stderr.String())
			}
			validateJUnit(t, lint, junit)
			r := checkReports(t, junit, cucumber)
			if (r.Failures > 0) != (tc.want == Failed) {
				t.Errorf("%d failures in the JUnit report of a run that exited %d", r.Failures, tc.want)
			}
		})
	}
}
