package simulator_test

import (
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/simulator"
)

// One tssim shared by many: no request ends it, and what a request leaves
// in the journal is bounded in bytes whatever the request held.

// The clock stops at its horizon: advancing a world past year 9999 once
// made the next token's expiry unencodable, and the state file's keeper
// panicked, taking every world down.
func TestTheClockStopsAtItsHorizon(t *testing.T) {
	e := newEnv(t, func(o *simulator.Options) { o.StateFile = filepath.Join(t.TempDir(), "state.db") })
	json := http.Header{"Content-Type": {"application/json"}}
	refused := false
	for range 40 {
		st, body := e.raw("POST", "/_sim/clock/advance", json, `{"by":"2562047h"}`)
		if st == 400 {
			if !strings.Contains(body, tserr.CodeSimClockHorizon) || !strings.Contains(body, "/by") {
				t.Fatalf("refusal: %s", body)
			}
			refused = true
			break
		}
		if st != 200 {
			t.Fatalf("advance: %d %s", st, body)
		}
	}
	if !refused {
		t.Fatal("the clock was advanced 40 times by 292 years: no horizon")
	}
	if _, err := e.api.Token(e.ctx); err != nil {
		t.Fatalf("a token at the horizon: %v", err)
	}
	if _, err := e.admin.Requests(e.ctx); err != nil {
		t.Fatalf("the journal at the horizon: %v", err)
	}
}

// A long path is journalled cut to a stated size, as a copy: 10,000 paths
// of 60 KB once held 1.2 GB.
func TestTheJournalKeepsBoundedCopies(t *testing.T) {
	e := newEnv(t)
	long := "/api/m2m/v1/" + strings.Repeat("x", 30_000) + "?q=" + strings.Repeat("y", 30_000)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 2000 {
		if st, _ := e.raw("GET", long, nil, ""); st != 400 {
			t.Fatalf("a long unknown path: %d", st)
		}
	}
	reqs, err := e.admin.Requests(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := reqs[len(reqs)-1].Path
	if len(last) > 600 || !strings.Contains(last, "more bytes)") {
		t.Errorf("journalled path: %d bytes, %.80q…", len(last), last)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 16<<20 {
		t.Errorf("2,000 requests with a 60 KB path grew the heap by %d MB", grown>>20)
	}
}

// A page of another site cannot drive a local tssim's control API: with
// no admin token, a no-cors POST once added fault rules and moved the
// clock. curl (no Origin, no Sec-Fetch-Site) and the dashboard
// (same-origin) keep working.
func TestTheControlAPIRefusesOtherSites(t *testing.T) {
	e := newEnv(t)
	host := strings.TrimPrefix(e.url, "http://")
	for _, tt := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"curl", http.Header{}, 200},
		{"the dashboard", http.Header{"Origin": {"http://" + host}, "Sec-Fetch-Site": {"same-origin"}}, 200},
		{"another site", http.Header{"Origin": {"http://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}, 403},
		{"another port of this host", http.Header{"Origin": {"http://127.0.0.1:1"}}, 403},
		{"a sibling site", http.Header{"Sec-Fetch-Site": {"same-site"}}, 403},
		{"an opaque origin", http.Header{"Origin": {"null"}}, 403},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.header.Set("Content-Type", "text/plain")
			st, body := e.raw("POST", "/_sim/clock/advance", tt.header, `{"by":"1m"}`)
			if st != tt.status || (st == 403 && !strings.Contains(body, tserr.CodeSimCrossSite)) {
				t.Errorf("got %d %s, want %d", st, body, tt.status)
			}
		})
	}
	req, _ := http.NewRequest("GET", e.url+"/_sim/ui", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("the dashboard may be framed: CSP %q", csp)
	}
}
