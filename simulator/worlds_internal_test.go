package simulator

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/delivery"
)

// A world unused for --world-ttl is removed: its timers stop, and its name
// makes a fresh world on next use.
func TestWorldExpiresAfterItsTTL(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	pass := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	h, err := newServer(Options{Clock: "manual", WorldTTL: time.Hour}, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	hs := httptest.NewServer(h.Handler())
	defer hs.Close()
	put := func(path, body string) int {
		req, _ := http.NewRequest("PUT", hs.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := put("/w/x/_sim/devices/666456789123456789123456784008/scenario", `{"scenario":"failure"}`); st != 200 {
		t.Fatalf("scenario in world x: %d", st)
	}
	put("/w/y/_sim/devices/666456789123456789123456784008/scenario", `{"scenario":"failure"}`)
	x := h.worlds["x"]
	// A Success step waiting on x's clock, 10 minutes after the Warning.
	c, _ := client.New(hs.URL+"/w/x", client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"))
	if _, err := c.ProfileActionWith(context.Background(), client.ActionDelete, client.ProfileRequest{AccountName: "1223334444-00001", SMSROID: "1.3.6.1.4.1.31746.1.500.200.101.5",
		Devices: []client.DeviceRef{{EID: "666456789123456789123456784008", ICCID: "89148000000840784259"}}}, http.Header{"X-Tssim-Scenario": {"warning-then-success"}}); err != nil {
		t.Fatal(err)
	}

	pass(59 * time.Minute)
	put("/w/y/_sim/devices/666456789123456789123456784008/scenario", `{"scenario":""}`) // y stays in use
	h.sweep()
	if h.worlds["x"] == nil {
		t.Fatal("world x removed before its TTL")
	}
	pass(2 * time.Minute)
	h.sweep()
	if h.worlds["x"] != nil || h.worlds["y"] == nil {
		t.Fatalf("after x's TTL: %v", h.worlds)
	}
	// Its timers stopped: the Success step does not run.
	x.manual.Advance(time.Hour, nil)
	if recs, _ := x.callbacks.Records(delivery.Filter{}); len(recs) != 1 || recs[0].Status != "Warning" {
		t.Errorf("callbacks of the removed world: %+v", recs)
	}
	if st := put("/w/x/_sim/devices/666456789123456789123456784008/scenario", `{"scenario":"failure"}`); st != 200 || h.worlds["x"] == x {
		t.Errorf("world x on next use: %d", st)
	}
}

// Saving costs in proportion to the worlds that changed: once 50 worlds
// are saved, a save with nothing changed takes the default world only.
// Before, each save took every world.
func TestSavingVisitsTheWorldsThatChanged(t *testing.T) {
	h, err := New(Options{Clock: "manual", StateFile: filepath.Join(t.TempDir(), "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	for i := range 50 {
		w, err := h.world(fmt.Sprint("w", i), httptest.NewRequest("GET", "/", nil))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.sim.AssignScenario("666456789123456789123456784008", "failure"); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.keeper.Durable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if taken := h.changes(); len(taken) != 1 || taken[0].Name != "" {
		t.Errorf("%d worlds taken with nothing changed, want the default one", len(taken))
	}
}
