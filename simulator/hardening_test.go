package simulator_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/simulator"
)

// addDevices creates n Active devices on the demo account.
func (e *env) addDevices(n int) []client.DeviceRef {
	e.t.Helper()
	var refs []client.DeviceRef
	for i := range n {
		d := client.SimDevice{EID: fmt.Sprintf("777%029d", i), Account: account, State: "Active",
			Profiles: []client.SimProfile{{ICCID: fmt.Sprintf("8901%016d", i), Type: "bootstrap", Status: "disabled"},
				{ICCID: fmt.Sprintf("8914%016d", i), Type: "local", Status: "enabled"}}}
		if err := e.admin.PutDevice(e.ctx, d); err != nil {
			e.t.Fatal(err)
		}
		refs = append(refs, client.DeviceRef{EID: d.EID, ICCID: d.Profiles[1].ICCID})
	}
	return refs
}

// TestConcurrentDeletes: 50 clients delete on the same device at once and
// 50 on 50 other devices. Exactly one action wins the shared device, the
// others fail as busy in their callback; every accepted request gets its
// callbacks; the state is consistent after.
func TestConcurrentDeletes(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	if err := e.admin.AssignAccountScenario(e.ctx, account, "warning-then-success"); err != nil {
		t.Fatal(err)
	}
	others := e.addDevices(50)
	const same = 50
	var wg sync.WaitGroup
	ids := make(chan string, same+len(others))
	for i := range same + len(others) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref := client.DeviceRef{EID: seedEID, ICCID: seedICCID}
			if i >= same {
				ref = others[i-same]
			}
			id, err := e.api.DeleteProfile(e.ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{ref}})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- id
		}()
	}
	wg.Wait()
	close(ids)
	if len(ids) != same+len(others) {
		t.Fatalf("%d requests accepted", len(ids))
	}
	e.callbacks("", same+len(others), 0)
	e.advance(10 * time.Minute)
	wins, busy := 0, 0
	for id := range ids {
		res, err := e.listener.Await(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for eid, r := range res {
			switch {
			case r.Succeeded:
				if eid == seedEID {
					wins++
				}
			case r.Code == "1.2/4.4" && eid == seedEID:
				busy++
			default:
				t.Errorf("%s: %+v", eid, r)
			}
		}
	}
	if wins != 1 || busy != same-1 {
		t.Errorf("on the shared device: %d won, %d busy; want 1 and %d", wins, busy, same-1)
	}
	for _, ref := range append(others, client.DeviceRef{EID: seedEID}) {
		if d := e.device(ref.EID); d.Pending != nil || len(d.Profiles) != 1 || d.Profiles[0].Type != "bootstrap" || d.Enabled() == "" {
			t.Errorf("device %s after: %+v", ref.EID, d)
		}
	}
}

// faultyListener serves a listener that misbehaves one way.
func faultyListener(t *testing.T, fault string) string {
	t.Helper()
	switch fault {
	case "down":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr + "/cb"
	case "garbage":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				buf := make([]byte, 4096)
				_, _ = c.Read(buf)
				_, _ = c.Write([]byte("this is not HTTP\r\n\r\n"))
				c.Close()
			}
		}()
		return "http://" + ln.Addr().String() + "/cb"
	}
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch fault {
		case "slow":
			time.Sleep(50 * time.Millisecond) // a listener that takes its time, well within the timeout
		case "hanging":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "500":
			w.WriteHeader(500)
		case "closing":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		case "redirect":
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect)
		}
	}))
	t.Cleanup(func() { close(release); hs.Close() })
	return hs.URL + "/cb"
}

// TestListenerFaults: each misbehaving listener ends in the documented
// retries and a recorded final state, and leaves no worker stuck.
func TestListenerFaults(t *testing.T) {
	tests := []struct {
		fault    string
		attempts int
		state    string
	}{
		{"slow", 1, "delivered"},
		{"down", 4, "failed"},
		{"hanging", 4, "failed"},
		{"500", 4, "failed"},
		{"garbage", 4, "failed"},
		{"closing", 4, "failed"},
		{"redirect", 4, "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			e := newEnv(t, func(o *simulator.Options) { o.CallbackTimeout = 300 * time.Millisecond })
			if err := e.api.RegisterCallback(e.ctx, account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: faultyListener(t, tt.fault)}); err != nil {
				t.Fatal(err)
			}
			id := e.delete(seedEID, seedICCID)
			e.callbacks(id, 1, 1)
			e.advance(time.Hour)
			cb := e.callbacks(id, 1, tt.attempts)[0]
			if len(cb.Attempts) != tt.attempts || cb.State != tt.state {
				t.Fatalf("%d attempts, state %s: %+v", len(cb.Attempts), cb.State, cb.Attempts)
			}
			for i, a := range cb.Attempts {
				if a.CallbackCount != i+1 || (tt.state == "failed" && a.Error == "") {
					t.Errorf("attempt %d: %+v", i+1, a)
				}
			}
			// The workers are free: a good listener gets the next callback.
			e.register(account)
			id = e.delete("666456789123456789123456784009", "89148000000840784260")
			if cb := e.callbacks(id, 1, 0)[0]; cb.State != "delivered" {
				t.Errorf("after the faulty listener: %+v", cb)
			}
		})
	}
}

// TestFullQueueRetriesLater: with a queue of one and one worker held by a
// slow listener, callbacks that find the queue full count as failed
// attempts and are delivered at their retry.
func TestFullQueueRetriesLater(t *testing.T) {
	e := newEnv(t, func(o *simulator.Options) { o.Workers, o.QueueSize = 1, 1 })
	block := make(chan struct{})
	var once sync.Once
	f := func(w http.ResponseWriter, r *http.Request) bool {
		<-block
		return false
	}
	e.answer.Store(&f)
	e.register(account)
	refs := e.addDevices(5)
	id, err := e.api.DeleteProfile(e.ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: refs})
	if err != nil {
		t.Fatal(err)
	}
	full := 0
	for _, cb := range e.callbacks(id, 3, 0) {
		if len(cb.Attempts) > 0 && cb.Attempts[0].Error == "callback queue full" {
			full++
		}
	}
	if full < 3 {
		t.Fatalf("%d callbacks found the queue full, want at least 3", full)
	}
	e.answer.Store(nil)
	once.Do(func() { close(block) })
	e.advance(5 * time.Minute)
	for _, cb := range e.callbacks(id, 5, 0) {
		if cb.State != "delivered" {
			t.Errorf("%s: %s after %d attempts", cb.EID, cb.State, len(cb.Attempts))
		}
	}
}

// TestNoGrowthAfterBursts: two bursts of deletes leave as many goroutines
// after the second as after the first, as much heap, and a journal kept to
// its limit.
func TestNoGrowthAfterBursts(t *testing.T) {
	sender := delivery.NewHTTPSender(8)
	e := newEnv(t, func(o *simulator.Options) { o.JournalSize, o.Sender = 100, sender })
	// quiet drops every idle connection and waits, for a bounded time,
	// until the goroutines serving them are gone, so that no more than
	// atMost are left.
	quiet := func(atMost int) int {
		http.DefaultClient.CloseIdleConnections()
		sender.CloseIdleConnections()
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > atMost && time.Now().Before(deadline) {
			runtime.Gosched()
		}
		return runtime.NumGoroutine()
	}
	burst := func() {
		if err := e.admin.Reset(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.register(account)
		var wg sync.WaitGroup
		for range 300 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = e.api.DeleteProfile(e.ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID,
					Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}})
			}()
		}
		wg.Wait()
		e.advance(time.Nanosecond) // returns once every delivery under way has ended
	}
	// heap is what stays reachable: the second collection also empties
	// the sync.Pools (of net/http's buffers among others) that the first
	// only set aside.
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	idle := runtime.NumGoroutine()
	burst()
	first := quiet(idle)
	heap1 := heap()
	burst()
	second := quiet(first + 5)
	heap2 := heap()
	if second > first+5 {
		t.Errorf("goroutines: %d after the first burst, %d after the second", first, second)
	}
	if heap2 > heap1+heap1/2 {
		t.Errorf("heap: %d bytes after the first burst, %d after the second", heap1, heap2)
	}
	if cbs, _ := e.admin.Callbacks(e.ctx, client.CallbackQuery{}); len(cbs) != 100 {
		t.Errorf("the callback journal holds %d, its limit is 100", len(cbs))
	}
}
