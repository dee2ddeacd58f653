package simulator_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser finds a Chromium or Chrome to drive; outside CI, the test is
// skipped when there is none.
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium or Chrome on PATH: .ci/run installs Debian's chromium")
	}
	t.Skip("no Chromium or Chrome on PATH: install chromium (apt-get install chromium) to run the dashboard's browser test")
	return ""
}

// The dashboard, in a real headless browser: a warning-then-success delete
// shows its Warning, then, once "Advance" moves the manual clock 10
// minutes, its Success and the device's change; the page logs no error.
func TestDashboardInABrowser(t *testing.T) {
	bin := browser(t)
	e := newEnv(t)
	e.register(account)
	if err := e.admin.AssignScenario(e.ctx, seedEID, "warning-then-success"); err != nil {
		t.Fatal(err)
	}
	id := e.delete(seedEID, seedICCID)
	e.callbacks(id, 1, 1)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	var mu sync.Mutex
	var problems []string
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d, desc := ev.ExceptionDetails, ""
			if d.Exception != nil {
				desc = d.Exception.Description
			}
			problems = append(problems, fmt.Sprintf("exception at line %d: %s %s", d.LineNumber+1, d.Text, desc))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
			}
		}
	})
	if err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	// waitFor waits until the page's expression is true.
	waitFor := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	text := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const device = `document.querySelector("#devices tr").innerText`
	if err := chromedp.Do(ctx, chromedp.Navigate(e.url+"/_sim/ui")); err != nil {
		t.Fatal(err)
	}
	waitFor("the Warning", `document.getElementById("callbacks").innerText.includes("Warning")`)
	before := text(device)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("advance").click()`)); err != nil {
		t.Fatal(err)
	}
	waitFor("the Success", `document.getElementById("callbacks").innerText.includes("Success")`)
	waitFor("the device's change", device+`.includes("11245055053268336886 bootstrap enabled")`)
	timeline := text(`document.getElementById("callbacks").innerText`)
	if !strings.Contains(before, "next step at 2026-01-01 00:10:00") || !strings.Contains(before, "89148000000840784259 local enabled") {
		t.Errorf("the device while waiting for the SM-SR: %s", before)
	}
	if !strings.Contains(timeline, "callbackCount 1") || !strings.Contains(timeline, "delivered") {
		t.Errorf("the timeline: %s", timeline)
	}
	if now, _ := e.admin.Now(e.ctx); !now.Equal(time.Date(2026, 1, 1, 0, 10, 0, 0, time.UTC)) {
		t.Errorf("the page advanced the clock to %v", now)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the page logged:\n%s", strings.Join(problems, "\n"))
	}
}
