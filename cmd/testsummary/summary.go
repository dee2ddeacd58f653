package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json), build output
// included.
type event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	ImportPath  string
	FailedBuild string
}

// maxLines bounds what is kept of one test's (or package's, or build's)
// output until it ends: a failure shows its last maxLines lines.
const maxLines = 2000

// lines keeps the last maxLines lines written to it.
type lines struct {
	kept    []string
	dropped int
}

func (l *lines) add(s string) {
	if len(l.kept) == maxLines {
		l.kept = l.kept[1:]
		l.dropped++
	}
	l.kept = append(l.kept, s)
}

func (l *lines) write(w io.Writer, prefix string) {
	if l.dropped > 0 {
		fmt.Fprintf(w, "%s... (%d lines before these)\n", prefix, l.dropped)
	}
	for _, s := range l.kept {
		fmt.Fprint(w, prefix+s)
	}
}

// count is how many tests passed, failed and skipped.
type count struct{ passed, failed, skipped int }

func (c *count) add(o count) {
	c.passed += o.passed
	c.failed += o.failed
	c.skipped += o.skipped
}

// skip is a skipped test and why.
type skip struct{ module, pkg, test, reason string }

// summary reads the events of each module's `go test -json`, streams each
// package's result line and each failure's output as it comes, and keeps
// the counts, the skipped tests with their reasons and the failures for
// the end.
type summary struct {
	out     io.Writer
	modules []string
	counts  map[string]*count
	skips   []skip
	failed  []string
	// ran are the tests that passed or failed, skipped those that skipped,
	// by name; for --require-run.
	ran, skipped map[string]bool
}

func newSummary(out io.Writer) *summary {
	return &summary{out: out, counts: map[string]*count{}, ran: map[string]bool{}, skipped: map[string]bool{}}
}

// module is one module's run: its events, and the output of the tests,
// packages and builds under way (dropped once they pass).
type module struct {
	*summary
	name     string
	tests    map[string]*lines // by package and test
	packages map[string]*lines
	builds   map[string]*lines
	// testFailed are the packages in which a test failed.
	testFailed map[string]bool
}

// read consumes one module's `go test -json`; a line that is not an event
// is passed through.
func (s *summary) read(name string, r io.Reader) error {
	s.add(name)
	m := &module{summary: s, name: name, tests: map[string]*lines{}, packages: map[string]*lines{},
		builds: map[string]*lines{}, testFailed: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(s.out, sc.Text())
			continue
		}
		m.event(e)
	}
	return sc.Err()
}

// add makes a module's row.
func (s *summary) add(name string) {
	if _, ok := s.counts[name]; !ok {
		s.modules = append(s.modules, name)
		s.counts[name] = &count{}
	}
}

// moduleFailed records a module whose go test failed without a failing
// test or package to show for it (it did not start, say).
func (s *summary) moduleFailed(name, why string) {
	s.add(name)
	s.counts[name].failed++
	s.failed = append(s.failed, name+": "+why)
}

func get(m map[string]*lines, k string) *lines {
	l, ok := m[k]
	if !ok {
		l = &lines{}
		m[k] = l
	}
	return l
}

func (m *module) event(e event) {
	c := m.counts[m.name]
	key := e.Package + " " + e.Test
	switch {
	case e.Action == "build-output":
		get(m.builds, e.ImportPath).add(e.Output)
	case e.Action == "build-fail":
	case e.Test == "" && e.Action == "output":
		if strings.HasPrefix(e.Output, "ok  ") || strings.HasPrefix(e.Output, "FAIL\t") {
			fmt.Fprint(m.out, e.Output)
		} else {
			get(m.packages, e.Package).add(e.Output)
		}
	case e.Test == "" && e.Action == "fail":
		if !m.testFailed[e.Package] {
			// No test failed: the package did not build, or it failed
			// outside its tests (TestMain, a panic, a timeout).
			fmt.Fprintf(m.out, "--- FAIL: package %s\n", e.Package)
			if b, ok := m.builds[e.FailedBuild]; ok {
				b.write(m.out, "    ")
			}
			get(m.packages, e.Package).write(m.out, "    ")
			c.failed++
			m.failed = append(m.failed, m.name+": "+e.Package+" (the package itself)")
		}
		delete(m.packages, e.Package)
	case e.Test == "" && (e.Action == "pass" || e.Action == "skip"):
		delete(m.packages, e.Package)
	case e.Test == "":
	case e.Action == "output":
		// "=== RUN" and the like say nothing a failure's header does not;
		// the closing "--- FAIL" line is the header.
		if !strings.HasPrefix(e.Output, "=== ") && !strings.HasPrefix(strings.TrimSpace(e.Output), "--- FAIL: ") {
			get(m.tests, key).add(e.Output)
		}
	case e.Action == "pass":
		c.passed++
		m.ran[e.Test] = true
		delete(m.tests, key)
	case e.Action == "fail":
		c.failed++
		m.ran[e.Test] = true
		m.testFailed[e.Package] = true
		m.failed = append(m.failed, m.name+": "+e.Package+" "+e.Test)
		fmt.Fprintf(m.out, "--- FAIL: %s (%s)\n", e.Test, e.Package)
		if l, ok := m.tests[key]; ok {
			l.write(m.out, "")
		}
		delete(m.tests, key)
	case e.Action == "skip":
		c.skipped++
		m.skipped[e.Test] = true
		m.skips = append(m.skips, skip{m.name, e.Package, e.Test, skipReason(m.tests[key])})
		delete(m.tests, key)
	}
}

// logLine is a line a test logged: "    file_test.go:12: text".
var logLine = regexp.MustCompile(`^\s+[\w.-]+\.go:\d+: (.*)`)

// skipReason is the last line a skipped test logged (t.Skip's message).
func skipReason(l *lines) string {
	if l == nil {
		return "no reason given"
	}
	for i := len(l.kept) - 1; i >= 0; i-- {
		if m := logLine.FindStringSubmatch(l.kept[i]); m != nil {
			return strings.TrimSpace(m[1])
		}
	}
	return "no reason given"
}

// print writes the summary: a table of the counts, the skipped tests with
// their reasons, the failures, and last the line `N passed, N failed, N
// skipped`.
func (s *summary) print(missing []string) {
	width := len("module")
	for _, name := range s.modules {
		width = max(width, len(name))
	}
	row := func(name string, a, b, c any) {
		fmt.Fprintf(s.out, "  %-*s  %7v  %7v  %7v\n", width, name, a, b, c)
	}
	fmt.Fprintln(s.out)
	row("module", "passed", "failed", "skipped")
	var total count
	for _, name := range s.modules {
		c := s.counts[name]
		total.add(*c)
		row(name, c.passed, c.failed, c.skipped)
	}
	row("total", total.passed, total.failed, total.skipped)
	if len(s.skips) > 0 {
		sort.SliceStable(s.skips, func(i, j int) bool { return s.skips[i].test < s.skips[j].test })
		fmt.Fprintln(s.out, "\nSkipped:")
		for _, k := range s.skips {
			fmt.Fprintf(s.out, "  %s (%s, %s): %s\n", k.test, k.module, k.pkg, k.reason)
		}
	}
	if len(s.failed) > 0 {
		fmt.Fprintln(s.out, "\nFailed:")
		for _, f := range s.failed {
			fmt.Fprintf(s.out, "  %s\n", f)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintln(s.out, "\nTests CI must run that did not:")
		for _, m := range missing {
			fmt.Fprintf(s.out, "  %s\n", m)
		}
	}
	fmt.Fprintf(s.out, "%d passed, %d failed, %d skipped\n", total.passed, total.failed, total.skipped)
}

// missing says, for each required test, why it did not run: it skipped,
// or no such test ran at all.
func (s *summary) missing(required []string) []string {
	var out []string
	for _, name := range required {
		switch {
		case s.ran[name]:
		case s.skipped[name]:
			reason := ""
			for _, k := range s.skips {
				if k.test == name {
					reason = k.reason
				}
			}
			out = append(out, name+" skipped: "+reason)
		default:
			out = append(out, name+" did not run: no test has that name, or its package did not build")
		}
	}
	return out
}
