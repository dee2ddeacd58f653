package features

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

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
	"@simulator":       "tssim's own answers to raw requests: a failure here is tssim's, not your client's; please report it.",
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

// failure is one failed scenario.
type failure struct {
	scenario, uri, step, err, capability string
}

// report collects what failed, and why, while godog runs.
type report struct {
	mu       sync.Mutex
	passed   int
	failures []failure
}

// watch hooks the report into one scenario (godog initializes each
// scenario on its own).
func (r *report) watch(sc *godog.ScenarioContext) {
	var f failure
	sc.StepContext().After(func(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
		if f.step == "" && status != godog.StepPassed && status != godog.StepSkipped {
			f.step, f.err = st.Text, status.String()
			if err != nil {
				f.err = err.Error()
			}
		}
		return ctx, err
	})
	sc.After(func(ctx context.Context, s *godog.Scenario, err error) (context.Context, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if err == nil && f.step == "" {
			r.passed++
			return ctx, nil
		}
		if f.err == "" {
			f.err = err.Error()
		}
		tags := make([]string, len(s.Tags))
		for i, t := range s.Tags {
			tags[i] = t.Name
		}
		f.scenario, f.uri, f.capability = s.Name, s.Uri, capabilityOf(tags)
		r.failures = append(r.failures, f)
		return ctx, nil
	})
}

func (r *report) ran() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.passed + len(r.failures)
}

func (r *report) failed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.failures)
}

// print writes the summary: each failure with its step, its error and the
// capability it belongs to, then the capabilities that failed and the
// closing count.
func (r *report) print(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(w)
	if len(r.failures) > 0 {
		fmt.Fprintf(w, "%d of %d scenarios failed:\n", len(r.failures), r.passed+len(r.failures))
		byCap := map[string]bool{}
		for _, f := range r.failures {
			fmt.Fprintf(w, "\nFAIL  %s  (%s)\n", f.scenario, f.uri)
			if f.step != "" {
				fmt.Fprintf(w, "      step:       %s\n", f.step)
			}
			fmt.Fprintf(w, "      error:      %s\n", indent(f.err))
			if text, ok := capabilities[f.capability]; ok {
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
	fmt.Fprintf(w, "contract: %d passed, %d failed\n", r.passed, len(r.failures))
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n                  ") }
