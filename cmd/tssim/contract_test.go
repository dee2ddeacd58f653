package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
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
	} {
		if code, _, errs := runContract(t, args, nil); code != 2 || errs == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a reason", args, code, errs)
		}
	}
}
