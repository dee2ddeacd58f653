package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/tssim/tssim/features"
)

func runContract(t *testing.T, args []string, vars map[string]string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"contract"}, args...), env(vars), &stdout, &stderr, nil)
	return code, stdout.String(), stderr.String()
}

func TestContractPassesWithNoFlags(t *testing.T) {
	code, out, errs := runContract(t, nil, nil)
	if code != 0 || !regexp.MustCompile(`(?m)^contract: [1-9][0-9]* passed, 0 failed$`).MatchString(out) {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}

func TestContractTakesItsFlagsFromTheEnvironment(t *testing.T) {
	code, out, errs := runContract(t, nil, map[string]string{"TSSIM_TAGS": "@simulator", "TSSIM_FORMAT": "progress"})
	if code != 0 || !strings.Contains(out, "contract: 9 passed, 0 failed") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}

func TestContractList(t *testing.T) {
	code, out, _ := runContract(t, []string{"--list"}, nil)
	for _, want := range []string{
		"listener.feature:", "@client @burst", "A burst of 1,000 callbacks",
		"@retries  ", "Retried callbacks: ThingSpace sends a callback again",
		"carrier.feature:", "@client @carrier",
		`graded on these only when its hello declares them in "capabilities": retry-after, status, carrier`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--list does not say %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestContractBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--adapter", "true", "--adapter-url", "http://127.0.0.1:1"},
		{"--no-such-flag"},
		{"extra"},
		{"--seed", "x"},
		{"--url", "http://127.0.0.1:1"},
		{"--format", "junit:"},
		{"--format", "xml"},
	} {
		if code, _, errs := runContract(t, args, nil); code != 2 || errs == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a reason", args, code, errs)
		}
	}
}

// A run that would test nothing fails: a tag no scenario has (a typo), or
// an expression that selects none, exits 2 and says why.
func TestContractWithTagsThatSelectNothingExits2(t *testing.T) {
	for args, want := range map[string]string{
		"@tokenz":                 "@tokenz is no tag of the contract",
		"@client and not @client": "selects no scenario",
		"@http && @client":        "selects no scenario",
		"@client ||":              "ends where a tag is expected",
		"client":                  "tags start with @",
	} {
		code, out, errs := runContract(t, []string{"--tags", args}, nil)
		if code != 2 || !strings.Contains(errs, want) || strings.Contains(out, "passed") {
			t.Errorf("--tags %q: exit %d, stdout %q, stderr %q; want 2 and %q", args, code, out, errs, want)
		}
	}
}

// The forms users type select the same scenarios.
func TestContractTakesTagExpressionsInEitherDialect(t *testing.T) {
	for _, tags := range []string{"@fault-form || @warnings", "@fault-form,@warnings", "@fault-form or @warnings", "(@warnings or @fault-form) and not @http"} {
		code, out, errs := runContract(t, []string{"--tags", tags}, nil)
		if code != 0 || !strings.Contains(out, "contract: 2 passed, 0 failed") {
			t.Errorf("--tags %q: exit %d\n%s\n%s", tags, code, out, errs)
		}
	}
}

// --help tells the callback timeout the contract's simulator uses, and it
// is tssim's own default.
func TestContractHelpTellsTheCallbackTimeout(t *testing.T) {
	_, _, help := runContract(t, []string{"--help"}, nil)
	if !strings.Contains(help, "The simulator waits "+features.CallbackTimeout.String()+" for your listener's answer") {
		t.Errorf("tssim contract --help does not tell the callback timeout:\n%s", help)
	}
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"--help"}, env(nil), &stdout, &stderr, nil)
	want := fmt.Sprintf("(default %s)", features.CallbackTimeout)
	m := regexp.MustCompile(`-callback-timeout duration\n[^\n]*`).FindString(stdout.String() + stderr.String())
	if !strings.Contains(m, want) {
		t.Errorf("tssim's --callback-timeout is not %s by default, as the contract's simulator has it: %q", features.CallbackTimeout, m)
	}
}

// A JUnit report on stdout is XML alone: the summary goes to stderr.
func TestContractJUnitOnStdoutIsXMLAlone(t *testing.T) {
	code, out, errs := runContract(t, []string{"--tags", "@warnings", "--format", "junit"}, nil)
	var r struct {
		Tests int `xml:"tests,attr"`
	}
	if err := xml.Unmarshal([]byte(out), &r); err != nil || r.Tests != 1 || !strings.HasPrefix(out, "<?xml") {
		t.Errorf("stdout is not the JUnit report of one test (%v):\n%s", err, out)
	}
	if code != 0 || !strings.Contains(errs, "contract: 1 passed, 0 failed") {
		t.Errorf("exit %d, stderr:\n%s", code, errs)
	}
}
