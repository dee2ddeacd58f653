package features

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"
)

// capabilities say, in a client developer's words, what the scenarios of
// each tag check. Every scenario carries exactly one of these tags
// (TestEveryScenarioNamesItsCapability), so that a failure says what the
// client must do.
var capabilities = map[string]string{
	"@tokens":          "Tokens: fetch an OAuth token and log in before a call, and when ThingSpace says the token or the session expired, renew it and retry once.",
	"@refusals":        "Refusals: report a request ThingSpace refuses at once with its HTTP status and its error code (errorCode, fault code or OAuth error).",
	"@results":         "Results: take one callback per device and report each device's final result with its status and SM-SR status; the outcome comes in the callback, not in the answer.",
	"@fault-form":      "Fault form: a callback with faultResponse (faultcode, faultstring) in place of deviceResponse is a final failure, faultcode its code.",
	"@warnings":        "Warnings: a Warning callback (device unreachable) is not the end; wait for the later Success or failure.",
	"@acknowledges":    "Acknowledging: answer every callback you take with a 2xx, quickly, or ThingSpace sends it again up to 4 times.",
	"@bad-callbacks":   "Bad callbacks: answer a body you cannot read with a 4xx, not a 2xx (which drops it silently) nor a 5xx.",
	"@retries":         "Retried callbacks: ThingSpace sends a callback again, callbackCount 2, 3, 4, when it saw no 2xx; take the result once, whichever send reaches you.",
	"@duplicates":      "Duplicates: the same callback may come twice; take it once.",
	"@stale":           "Late callbacks: a warning arriving after a device's final result changes nothing.",
	"@early-callbacks": "Early callbacks: a callback can arrive before your request has its requestId back; keep it and match it once the requestId is known.",
	"@burst":           "Bursts: 1,000 callbacks at once, each acknowledged and each device's result kept.",
	"@retry-after":     "Retry-After: a call answered 429 (throttled) or 503 (back end unavailable) is sent again, no sooner than its Retry-After header says (in seconds), until it goes through.",
	"@status":          "Request status: GET /api/m2m/v1/accounts/{account}/requests/{requestId}/status answers Pending until the device's final callback, then Success or Failure; report the status as ThingSpace wrote it.",
	"@carrier":         "CarrierService: register the listener for CarrierService, suspend and restore lines, and take their callbacks (deviceResponse.suspendResponse, restoreResponse, with the line's state) like the profile ones.",
	"@simulator":       "tssim's own answers to raw requests: a failure here is tssim's, not your client's; please report it.",
}

// optionalCapabilities are the capabilities beyond the base protocol. An
// adapter declares those its client has in hello's capabilities, by the
// tag's name without its @; the scenarios of the others are not graded
// (ADAPTER.md, "Capabilities"), so that an adapter written before one
// existed stays green.
var optionalCapabilities = []string{"@retry-after", "@status", "@carrier"}

// OptionalCapabilities returns the names an adapter's hello declares the
// capabilities beyond the base protocol by: retry-after, status, carrier.
func OptionalCapabilities() []string { return capabilityNames() }

// capabilityNames returns the names hello declares optionalCapabilities
// by.
func capabilityNames() []string {
	out := make([]string, len(optionalCapabilities))
	for i, tag := range optionalCapabilities {
		out[i] = strings.TrimPrefix(tag, "@")
	}
	return out
}

// startUp is what a failure is blamed on when the client did not start:
// no scenario checks it alone, every scenario needs it; protocol, when an
// adapter's answer broke the protocol's schemas.
const (
	startUp      = "start-up"
	startUpText  = "Start-up: hello sets the client up and starts its listener, and calls ThingSpace only when a request needs it (a wrong secret is for the request that meets it to report, as a refusal)."
	protocolBug  = "protocol"
	protocolText = "Adapter protocol: answer each request as features/ADAPTER.md and its schemas (features/adapter-schemas/OP.answer.json) say, each field of its name and type; the answer above says which field is wrong."
)

// capabilityText returns what a capability (a tag, startUp or
// protocolBug) asks of a client.
func capabilityText(c string) string {
	switch c {
	case startUp:
		return startUpText
	case protocolBug:
		return protocolText
	}
	return capabilities[c]
}

// capabilityOf returns the capability tag among a scenario's tags.
func capabilityOf(tags []string) string {
	for _, t := range tags {
		if _, ok := capabilities[t]; ok {
			return t
		}
	}
	return ""
}

// startupError is a client that did not start: its hello failed.
type startupError struct{ err error }

func (e *startupError) Error() string { return "starting the client (hello): " + e.err.Error() }
func (e *startupError) Unwrap() error { return e.err }

// outcome is how a scenario ended, as JUnit counts it.
type outcome int

const (
	passed  outcome = iota
	failed          // a step failed, or the scenario's own set-up or tear-down
	errored         // a step is undefined, pending or ambiguous: the suite's fault
	skipped         // a step skipped the scenario and none failed
)

// failure is why a scenario did not pass.
type failure struct {
	scenario, uri string
	// step is the step that failed ("" for the scenario's set-up or
	// tear-down), err what it said, capability the tag (or startUp) to
	// blame.
	step, err, capability string
	outcome               outcome
	// status is godog's word for the step's outcome.
	status string
	// after are the steps skipped after it.
	after []string
}

// stepRun is one step as it ran.
type stepRun struct {
	text   string
	status godog.StepResultStatus
	err    error
}

// scenarioRun is one scenario as it ran: filled in by its own hooks,
// read once the suite is over.
type scenarioRun struct {
	id, name, uri string
	tags          []string
	start, end    time.Time
	steps         []stepRun
	// hookErr is the error of the scenario's set-up or tear-down when no
	// step failed.
	hookErr error
}

// failure returns why the scenario did not pass, or nil.
func (s *scenarioRun) failure() *failure {
	f := &failure{scenario: s.name, uri: s.uri, capability: capabilityOf(s.tags)}
	var skip *stepRun
	for i, st := range s.steps {
		switch st.status {
		case godog.StepPassed:
			continue
		case godog.StepSkipped:
			if f.outcome != passed {
				f.after = append(f.after, st.text)
			} else if skip == nil {
				skip = &s.steps[i]
			}
			continue
		case godog.StepFailed:
			if f.outcome != passed {
				continue
			}
			f.outcome = failed
		default:
			if f.outcome != passed {
				continue
			}
			f.outcome = errored
		}
		f.step, f.status, f.err = st.text, st.status.String(), st.status.String()
		if st.err != nil {
			f.err = st.err.Error()
		}
		var se *startupError
		var pe *protocolError
		switch {
		case errors.As(st.err, &pe):
			f.capability = protocolBug
		case errors.As(st.err, &se):
			f.capability = startUp
		}
	}
	switch {
	case f.outcome != passed:
		return f
	case s.hookErr != nil:
		f.outcome, f.status, f.err = failed, godog.StepFailed.String(), s.hookErr.Error()
		return f
	case skip != nil:
		f.outcome, f.step, f.status, f.err = skipped, skip.text, skip.status.String(), skip.status.String()
		if skip.err != nil {
			f.err = skip.err.Error()
		}
		return f
	}
	return nil
}

// report collects each scenario while godog runs, for the summary and
// the JUnit report.
type report struct {
	mu                sync.Mutex
	runs              []*scenarioRun
	started, finished time.Time
	// client is the client under test, as hello named it; notGraded, the
	// capabilities its hello did not declare, each with the scenarios
	// that were selected and did not run; unknown, the names hello
	// declared that the suite does not know.
	client    string
	notGraded []notGraded
	unknown   []string
}

// notGraded is a capability whose scenarios did not run: the adapter did
// not declare it.
type notGraded struct {
	tag       string
	scenarios int
}

// watch hooks the report into one scenario (godog initializes each
// scenario on its own). Its first hook runs before the world's set-up and
// its last after the world's tear-down, both given in between.
func (r *report) watch(sc *godog.ScenarioContext, setUp func(*godog.ScenarioContext)) {
	run := &scenarioRun{}
	sc.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		run.id, run.name, run.uri, run.start = s.Id, s.Name, s.Uri, time.Now()
		for _, t := range s.Tags {
			run.tags = append(run.tags, t.Name)
		}
		r.runs = append(r.runs, run)
		return ctx, nil
	})
	sc.StepContext().After(func(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		run.steps = append(run.steps, stepRun{text: st.Text, status: status, err: err})
		run.end = time.Now()
		// The step's error is godog's already: returning it would add it
		// a second time.
		return ctx, nil
	})
	setUp(sc)
	sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		run.end = time.Now()
		if err != nil && !stepFailed(run.steps) {
			run.hookErr = err
		}
		return ctx, nil
	})
}

func stepFailed(steps []stepRun) bool {
	for _, st := range steps {
		if st.status != godog.StepPassed && st.status != godog.StepSkipped {
			return true
		}
	}
	return false
}

// counts returns how many scenarios ran, and how many of them did not pass.
func (r *report) counts() (ran int, notPassed []*failure) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.runs {
		if f := s.failure(); f != nil {
			notPassed = append(notPassed, f)
		}
	}
	return len(r.runs), notPassed
}

// print writes the summary: each failure with its step, its error and the
// capability it belongs to, then the capabilities that failed and the
// closing count.
func (r *report) print(w io.Writer) {
	ran, fs := r.counts()
	var failures []*failure
	skips := 0
	for _, f := range fs {
		if f.outcome == skipped {
			skips++
		} else {
			failures = append(failures, f)
		}
	}
	fmt.Fprintln(w)
	if len(failures) > 0 {
		fmt.Fprintf(w, "%d of %d scenarios failed:\n", len(failures), ran)
		byCap := map[string]bool{}
		for _, f := range failures {
			fmt.Fprintf(w, "\nFAIL  %s  (%s)\n", f.scenario, f.uri)
			if f.step != "" {
				fmt.Fprintf(w, "      step:       %s\n", f.step)
			}
			fmt.Fprintf(w, "      error:      %s\n", indent(f.err))
			if text := capabilityText(f.capability); text != "" {
				fmt.Fprintf(w, "      capability: %s\n", text)
				byCap[text] = true
			}
		}
		caps := make([]string, 0, len(byCap))
		for c := range byCap {
			caps = append(caps, c)
		}
		sort.Strings(caps)
		fmt.Fprintf(w, "\nWhat the client must fix:\n")
		for _, c := range caps {
			fmt.Fprintf(w, "  - %s\n", c)
		}
		fmt.Fprintln(w)
	}
	r.printCapabilities(w)
	fmt.Fprintf(w, "contract: %d passed, %d failed", ran-len(fs), len(failures))
	if skips > 0 {
		fmt.Fprintf(w, ", %d skipped", skips)
	}
	fmt.Fprintln(w)
}

// printCapabilities names the client, as its hello did, and says which
// capabilities were not graded, and why.
func (r *report) printCapabilities(w io.Writer) {
	who := "the client"
	if r.client != "" {
		who = fmt.Sprintf("the client (%s)", r.client)
		fmt.Fprintf(w, "Client under test: %s\n", r.client)
	}
	if len(r.notGraded) == 0 && len(r.unknown) == 0 {
		return
	}
	if len(r.notGraded) > 0 {
		fmt.Fprintf(w, "Not graded: %s did not declare these capabilities in hello's \"capabilities\" (ADAPTER.md, \"Capabilities\"), so their scenarios did not run:\n", who)
		for _, n := range r.notGraded {
			fmt.Fprintf(w, "  - %s (%d %s, %q in hello): %s\n", n.tag, n.scenarios, plural(n.scenarios, "scenario"), strings.TrimPrefix(n.tag, "@"), capabilities[n.tag])
		}
	}
	if len(r.unknown) > 0 {
		fmt.Fprintf(w, "Ignored: %s declared capabilities this suite does not know: %s (it knows %s)\n", who, strings.Join(r.unknown, ", "), strings.Join(capabilityNames(), ", "))
	}
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n                  ") }
