package features

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tssim/tssim/internal/junit"
)

// The JUnit report is the suite's own: godog's (v0.16) measures a
// feature's time from its first scenario in file order to its last, which
// is negative when they ran in another order, writes a skipped step as an
// <error> that no count counts, and has no classname. This one writes one
// <testsuite> per feature, its time the wall time during which any of its
// scenarios ran (the union of their spans: never negative, never less than
// its longest case, and right with --concurrency), and one <testcase> per
// scenario, with the feature as its classname, its capability and tags as
// properties, and at most one of <failure>, <error> or <skipped>, each
// counted. testdata/junit-10.xsd, the schema of Jenkins's xUnit plugin,
// holds it (TestJUnitReportsValidate), but for the properties of a test
// case, which pytest, Jenkins's JUnit plugin and others also write.

// writeJUnit writes the report of the scenarios that ran; features names
// each feature file's feature.
func (r *report) writeJUnit(w io.Writer, name string, features map[string]string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	byURI := map[string][]*scenarioRun{}
	for _, s := range r.runs {
		byURI[s.uri] = append(byURI[s.uri], s)
	}
	out := junit.Suites{Name: name, Time: junit.Seconds(r.finished.Sub(r.started))}
	for _, uri := range slices.Sorted(maps.Keys(byURI)) {
		suite := junitSuiteOf(uri, cmp.Or(features[uri], uri), byURI[uri])
		out.Tests += suite.Tests
		out.Failures += suite.Failures
		out.Errors += suite.Errors
		out.Suites = append(out.Suites, suite)
	}
	return out.Write(w)
}

// junitSuiteOf is one feature's scenarios, in the order of the file.
func junitSuiteOf(uri, feature string, runs []*scenarioRun) junit.Suite {
	slices.SortFunc(runs, func(a, b *scenarioRun) int { return comparePickleIDs(a.id, b.id) })
	suite := junit.Suite{Name: feature, File: uri, Tests: len(runs)}
	names := map[string]int{}
	for _, s := range runs {
		names[s.name]++
	}
	seen := map[string]int{}
	spans := make([][2]time.Time, 0, len(runs))
	for _, s := range runs {
		name := s.name
		if names[name] > 1 { // the examples of an outline share its name
			seen[name]++
			name = fmt.Sprintf("%s #%d", name, seen[name])
		}
		c := junit.Case{Name: name, Classname: feature, Time: junit.Seconds(s.end.Sub(s.start)), Properties: &junit.Properties{}}
		capability := capabilityOf(s.tags)
		if capability != "" {
			c.Properties.Items = append(c.Properties.Items, junit.Property{Name: "capability", Value: capabilities[capability]})
		}
		c.Properties.Items = append(c.Properties.Items, junit.Property{Name: "tags", Value: strings.Join(s.tags, " ")})
		if f := s.failure(); f != nil {
			res := &junit.Result{Message: f.message(), Type: cmp.Or(f.capability, "scenario"), Text: f.details()}
			switch f.outcome {
			case failed:
				c.Failure = res
				suite.Failures++
			case errored:
				res.Type = f.status
				c.Error = res
				suite.Errors++
			case skipped:
				c.Skipped = &junit.Result{Message: f.message()}
				suite.Skipped++
			}
		}
		suite.Cases = append(suite.Cases, c)
		spans = append(spans, [2]time.Time{s.start, s.end})
	}
	suite.Time = junit.Seconds(wallTime(spans))
	if len(spans) > 0 {
		first := slices.MinFunc(spans, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
		suite.Timestamp = first[0].Format("2006-01-02T15:04:05")
	}
	return suite
}

// message is a scenario's outcome on one line: the step, what it said
// (its first line) and, for a failure, the capability to blame (an
// undefined or skipped step is the suite's doing, not the client's).
func (f *failure) message() string {
	err, _, _ := strings.Cut(f.err, "\n")
	msg := "The scenario's set-up or tear-down: " + err
	if f.step != "" {
		msg = "Step " + f.step + ": " + err
	}
	if text := capabilityText(f.capability); text != "" && f.outcome == failed {
		msg += ". Capability: " + text
	}
	return msg
}

// details is what the message leaves out: the rest of the error (what
// tssim saw), and the steps skipped after the failure.
func (f *failure) details() string {
	var b strings.Builder
	if _, rest, ok := strings.Cut(f.err, "\n"); ok {
		b.WriteString(rest + "\n")
	}
	for _, s := range f.after {
		b.WriteString("skipped after it: " + s + "\n")
	}
	return xmlText(b.String())
}

// xmlText replaces what XML cannot hold (control characters an adapter
// may have said) with U+FFFD: the encoder writes CDATA as it is.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r != 0xFFFE && r != 0xFFFF && (r < 0xD800 || r > 0xDFFF)) {
			return r
		}
		return '\uFFFD'
	}, s)
}

// wallTime is how long any of the spans was under way: the length of
// their union.
func wallTime(spans [][2]time.Time) time.Duration {
	spans = slices.Clone(spans)
	slices.SortFunc(spans, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var total time.Duration
	var cur [2]time.Time
	for i, s := range spans {
		switch {
		case i == 0:
			cur = s
		case !s[0].After(cur[1]):
			if s[1].After(cur[1]) {
				cur[1] = s[1]
			}
		default:
			total += max(cur[1].Sub(cur[0]), 0)
			cur = s
		}
	}
	if len(spans) > 0 {
		total += max(cur[1].Sub(cur[0]), 0)
	}
	return total
}

// comparePickleIDs orders godog's pickle ids, numbers given in the order
// of the files.
func comparePickleIDs(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA != nil || errB != nil {
		return strings.Compare(a, b)
	}
	return cmp.Compare(x, y)
}
