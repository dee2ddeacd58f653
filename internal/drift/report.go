package drift

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/tssim/tssim/internal/junit"
)

// Report is what a drift run found.
type Report struct {
	Recording string `json:"recording"`
	// Target is the tssim replayed against: "tssim in process" or its
	// URL.
	Target    string `json:"target"`
	Exchanges int    `json:"exchanges"`
	Callbacks int    `json:"callbacks"`
	Devices   int    `json:"devices"`
	Tolerance string `json:"tolerance"`
	// Notes say what the recording did not show, and how drift made do.
	Notes       []string     `json:"notes"`
	Differences []Difference `json:"differences"`
	// requests are the exchanges' names, in order, for JUnit's cases.
	requests []string
}

// Difference is one place where tssim answered or called back otherwise
// than the recording says the upstream did.
type Difference struct {
	Kind string `json:"kind"`
	// Seq and Request name the recorded request ("#12 POST /api/…
	// (enable)"); Device, the device of a callback difference.
	Seq     int    `json:"seq"`
	Request string `json:"request"`
	Device  string `json:"device,omitempty"`
	Summary string `json:"summary"`
	// ThingSpace and Tssim are what each did, Details the places where
	// they differ.
	ThingSpace []string `json:"thingspace,omitempty"`
	Tssim      []string `json:"tssim,omitempty"`
	Details    []string `json:"details,omitempty"`
}

// Drift reports whether anything differed.
func (r *Report) Drift() bool { return len(r.Differences) > 0 }

// headings name the kinds in a report's text.
var headings = map[string]string{KindStatus: "status", KindError: "error", KindShape: "answer shape",
	KindCallbacks: "callbacks", KindCallbackShape: "callback shape", KindTiming: "timing"}

// title is the difference's first line in a report's text: the request,
// the device, and the kind; the lines under it say the rest.
func (d Difference) title() string {
	t := d.Request
	if d.Device != "" {
		t += ", device " + d.Device
	}
	return t + ": " + headings[d.Kind]
}

// WriteText writes the report as a person reads it.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "tssim drift: %s (%d request%s, %d callback%s, %d device%s) replayed against %s, timing tolerance %s\n",
		r.Recording, r.Exchanges, plural(r.Exchanges), r.Callbacks, plural(r.Callbacks), r.Devices, plural(r.Devices), r.Target, r.Tolerance)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if !r.Drift() {
		b.WriteString("\nno drift: tssim answered every request and sent every callback as the recording says\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "\n%d difference%s:\n", len(r.Differences), plural(len(r.Differences)))
	for _, d := range r.Differences {
		fmt.Fprintf(&b, "\n%s\n", d.title())
		writeLines(&b, "ThingSpace: ", d.ThingSpace)
		writeLines(&b, "tssim:      ", d.Tssim)
		for _, l := range d.Details {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeLines writes lines under a label, the label on the first only.
func writeLines(b *strings.Builder, label string, lines []string) {
	if lines == nil {
		return
	}
	if len(lines) == 0 {
		lines = []string{"nothing"}
	}
	for i, l := range lines {
		if i > 0 {
			label = strings.Repeat(" ", len(label))
		}
		fmt.Fprintf(b, "    %s%s\n", label, l)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// WriteJSON writes the report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteJUnit writes the report as JUnit XML: one test case per recorded
// request, failed by each difference found for it or its callbacks.
func (r *Report) WriteJUnit(w io.Writer) error {
	suite := junit.Suite{Name: "tssim drift: " + r.Recording, Time: junit.Seconds(0)}
	index := map[string]int{}
	for _, name := range r.requests {
		index[name] = len(suite.Cases)
		suite.Cases = append(suite.Cases, junit.Case{Name: name, Classname: "drift", Time: junit.Seconds(0)})
	}
	for _, d := range r.Differences {
		i, ok := index[d.Request]
		if !ok {
			index[d.Request] = len(suite.Cases)
			i = len(suite.Cases)
			suite.Cases = append(suite.Cases, junit.Case{Name: d.Request, Classname: "drift", Time: junit.Seconds(0)})
		}
		var text strings.Builder
		fmt.Fprintf(&text, "%s\n", d.title())
		writeLines(&text, "ThingSpace: ", d.ThingSpace)
		writeLines(&text, "tssim:      ", d.Tssim)
		for _, l := range d.Details {
			fmt.Fprintf(&text, "    %s\n", l)
		}
		c := &suite.Cases[i]
		// One failure a case, as JUnit's schema has it: the differences of
		// one request are joined.
		if c.Failure == nil {
			c.Failure = &junit.Result{Message: d.Summary, Type: d.Kind}
			suite.Failures++
		} else {
			c.Failure.Message += "; " + d.Summary
			c.Failure.Text += "\n"
		}
		c.Failure.Text += text.String()
	}
	suite.Tests = len(suite.Cases)
	doc := junit.Suites{Name: "tssim drift", Tests: suite.Tests, Failures: suite.Failures, Time: suite.Time, Suites: []junit.Suite{suite}}
	return doc.Write(w)
}
