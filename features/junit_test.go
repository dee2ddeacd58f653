package features

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"
)

// Every outcome a scenario can have, as the JUnit report writes it: a
// pass, a failure (with steps skipped after it and what tssim saw), a
// client that did not start, an undefined step, a skipped scenario, a
// tear-down that failed, and an outline's examples; run side by side, in
// an order of their own.
func TestJUnitOfEveryOutcome(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ok := func(text string) stepRun { return stepRun{text: text, status: godog.StepPassed} }
	r := &report{started: at(0), finished: at(5000), runs: []*scenarioRun{
		{id: "9", name: "Outlined", uri: "b.feature", tags: []string{"@client", "@results"}, start: at(100), end: at(900), steps: []stepRun{ok("a")}},
		{id: "3", name: "Outlined", uri: "b.feature", tags: []string{"@client", "@results"}, start: at(50), end: at(2050), steps: []stepRun{ok("a")}},
		{id: "12", name: "Fails", uri: "b.feature", tags: []string{"@client", "@acknowledges"}, start: at(3000), end: at(3500), steps: []stepRun{
			ok("given"),
			{text: `the client's listener acknowledged every callback with a 2xx`, status: godog.StepFailed,
				err: errors.New("the client's listener answered callback 1 of 4 with 500\nwhat tssim saw: 4 attempts answered 500\x00")},
			{text: "then", status: godog.StepSkipped},
		}},
		{id: "20", name: "Does not start", uri: "b.feature", tags: []string{"@client", "@refusals"}, start: at(3600), end: at(3700), steps: []stepRun{
			{text: "the client deletes", status: godog.StepFailed, err: &startupError{errors.New("401 invalid_client: no")}},
		}},
		{id: "1", name: "Undefined", uri: "a.feature", tags: []string{"@http", "@simulator"}, start: at(10), end: at(20), steps: []stepRun{
			{text: "a step no one wrote", status: godog.StepUndefined, err: godog.ErrUndefined},
		}},
		{id: "2", name: "Skipped", uri: "a.feature", tags: []string{"@http", "@simulator"}, start: at(4000), end: at(4001), steps: []stepRun{
			ok("given"), {text: "a step that skips", status: godog.StepSkipped, err: fmt.Errorf("%w: not today", godog.ErrSkip)},
		}},
		{id: "4", name: "Tear-down fails", uri: "a.feature", tags: []string{"@http", "@simulator"}, start: at(4500), end: at(4600), steps: []stepRun{ok("given")},
			hookErr: errors.New("adapter did not stop within 5s of bye")},
	}}
	path := filepath.Join(t.TempDir(), "junit.xml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.writeJUnit(f, "tssim contract", map[string]string{"a.feature": "Feature A", "b.feature": "Feature B"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got := checkReports(t, path, "")
	b, _ := os.ReadFile(path)
	want := map[string]string{
		// the union of [50,2050], [100,900], [3000,3500] and [3600,3700]
		"Feature B": "2.600",
		"Feature A": "0.111",
	}
	for _, s := range got.Suites {
		if s.Time != want[s.Name] {
			t.Errorf("suite %q took %s, want %s", s.Name, s.Time, want[s.Name])
		}
	}
	if got.Tests != 7 || got.Failures != 3 || got.Errors != 1 || got.Time != "5.000" {
		t.Errorf("tests=%d failures=%d errors=%d time=%s", got.Tests, got.Failures, got.Errors, got.Time)
	}
	for _, frag := range []string{
		`<testcase name="Outlined #1" classname="Feature B" time="2.000">`,
		`<testcase name="Outlined #2" classname="Feature B" time="0.800">`,
		`<property name="capability" value="Acknowledging: answer every callback`,
		`<property name="tags" value="@client @acknowledges">`,
		`<failure message="Step the client&#39;s listener acknowledged every callback with a 2xx: the client&#39;s listener answered callback 1 of 4 with 500. Capability: Acknowledging:`,
		"what tssim saw: 4 attempts answered 500\uFFFD\nskipped after it: then\n",
		`type="start-up"`, "401 invalid_client: no. Capability: Start-up:",
		`<error message="Step a step no one wrote: step is undefined" type="undefined">`,
		`<skipped message="Step a step that skips: skipped: not today"></skipped>`,
		`<failure message="The scenario&#39;s set-up or tear-down: adapter did not stop within 5s of bye. Capability: tssim&#39;s own answers`,
		`skipped="1"`,
	} {
		if !strings.Contains(string(b), frag) {
			t.Errorf("the report does not say %q:\n%s", frag, b)
		}
	}
}

func TestWallTimeIsTheUnionOfTheSpans(t *testing.T) {
	t0 := time.Now()
	span := func(from, to int) [2]time.Time {
		return [2]time.Time{t0.Add(time.Duration(from) * time.Second), t0.Add(time.Duration(to) * time.Second)}
	}
	for _, tc := range []struct {
		spans [][2]time.Time
		want  time.Duration
	}{
		{nil, 0},
		{[][2]time.Time{span(0, 3)}, 3 * time.Second},
		{[][2]time.Time{span(5, 7), span(0, 3)}, 5 * time.Second},
		{[][2]time.Time{span(0, 10), span(2, 3), span(4, 12)}, 12 * time.Second},
		{[][2]time.Time{span(0, 2), span(2, 4)}, 4 * time.Second},
		{[][2]time.Time{span(3, 1)}, 0},
	} {
		if got := wallTime(tc.spans); got != tc.want {
			t.Errorf("wallTime(%v) = %s, want %s", tc.spans, got, tc.want)
		}
	}
}
