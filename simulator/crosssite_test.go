package simulator_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A page served from another origin, in a real headless browser, POSTs to
// the control API as any web page could (no-cors, text/plain): it once
// moved the clock and added fault rules of a tssim without an admin
// token. Now nothing changes.
func TestAnotherSitesPageChangesNothing(t *testing.T) {
	bin := browser(t)
	e := newEnv(t)
	before, err := e.admin.Now(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf(`<!doctype html><script>
const post = (path, body) => fetch(%q + path, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body}).catch(() => {});
Promise.all([post("/_sim/clock/advance", '{"by":"1h"}'), post("/_sim/faults", '{"route":"*","fault":{"status":500}}')])
  .then(() => { document.title = "done"; });
</script>`, e.url)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(page))
	}))
	defer evil.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Navigate(evil.URL)); err != nil {
		t.Fatalf("the other site's page: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.title === "done"`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("waiting for the page's requests: %v", err)
	}
	after, err := e.admin.Now(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Equal(before) {
		t.Errorf("the clock moved from %s to %s", before, after)
	}
	if rules, err := e.admin.Faults(e.ctx); err != nil || len(rules) != 0 {
		t.Errorf("fault rules: %+v %v", rules, err)
	}
	reqs, err := e.admin.Requests(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, r := range reqs {
		if r.Status == http.StatusForbidden {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("%d of the page's 2 requests were refused: %+v", refused, reqs)
	}
}
