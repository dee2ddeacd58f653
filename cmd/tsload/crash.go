package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/gen"
)

const crashUsage = `tsload crash: the kill -9 test. It starts tssim with --state-file on
generated devices and drives each device through deletes and downloads of
its local profile, one accepted request at a time, half of them through
the warning-then-success scenario on a fast clock, so that steps and
callbacks are pending at any moment. Meanwhile it kills tssim with SIGKILL
--kills times, at random moments, and starts it again on the same state
file. Then it lets every accepted request finish and checks:
  - lost: a request answered 200 whose device never got a final callback
    (Success or Failed);
  - contradictions: a device whose enabled profile is not the one the last
    Success delivered for it reported.
It prints one line per kill and a summary, and exits 1 when either count
is not 0. Everything runs on 127.0.0.1.

Usage: tsload crash [--tssim bin/tssim] [--kills 20] [--devices 32] [--seed N]

`

func crash(args []string) int {
	fs := flag.NewFlagSet("tsload crash", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), crashUsage)
		fs.PrintDefaults()
	}
	bin := fs.String("tssim", "bin/tssim", "the tssim binary to kill")
	kills := fs.Int("kills", 20, "how many times tssim is killed")
	devices := fs.Int("devices", 32, "devices driven at once, one request in flight each")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "seed of the kill moments")
	_ = fs.Parse(args)
	if err := runCrash(*bin, *kills, *devices, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "tsload crash:", err)
		return 1
	}
	return 0
}

func runCrash(bin string, kills, devices int, seed uint64) error {
	dir, err := os.MkdirTemp("", "tsload-crash-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fixture := filepath.Join(dir, "fixtures.json")
	if err := writeFixture(bin, fixture, devices); err != nil {
		return err
	}
	rec := &recorder{finals: map[string]string{}, lastSuccess: map[string]string{}, waiting: map[string]chan struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = http.Serve(ln, rec) }()
	defer ln.Close()

	args := []string{"--fixtures", fixture, "--state-file", filepath.Join(dir, "state.db"),
		"--time-scale", "0.001", "--default-scenario", "warning-then-success", "--log-level", "warn"}
	p, _, err := startTssim(bin, args...)
	if err != nil {
		return err
	}
	base := "http://" + p.addr
	api, err := client.New(base, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"),
		client.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}))
	if err != nil {
		p.stop()
		return err
	}
	if err := api.RegisterCallback(context.Background(), account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: "http://" + ln.Addr().String() + "/callbacks"}); err != nil {
		p.stop()
		return err
	}
	d := &driver{rec: rec, api: api, admin: client.NewAdmin(base, &http.Client{Timeout: 5 * time.Second}, ""), accepted: map[string]string{}}

	sending, stopSending := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range devices {
		wg.Go(func() { d.drive(sending, i) })
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	fmt.Printf("seed %d: %d devices, %d kills\n", seed, devices, kills)
	var stalled []int
	last := 0
	for k := 1; k <= kills; k++ {
		time.Sleep(time.Duration(100+rng.IntN(900)) * time.Millisecond)
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		accepted, finals := d.counts()
		fmt.Printf("kill %2d: %d requests accepted, %d final callbacks so far\n", k, accepted, finals)
		if accepted == last {
			stalled = append(stalled, k)
		}
		last = accepted
		if p, _, err = startTssimAt(bin, p.addr, args...); err != nil {
			stopSending()
			wg.Wait()
			return fmt.Errorf("restart after kill %d: %w", k, err)
		}
	}
	stopSending()
	wg.Wait()
	defer p.stop()
	if err := d.verify(60 * time.Second); err != nil {
		return err
	}
	if len(stalled) > 0 {
		return fmt.Errorf("no request was accepted before kills %v: the test stopped testing", stalled)
	}
	return nil
}

// recorder is the listener: it keeps the first final callback of every
// request and device, and the enabled profile the last Success reported
// for each device, in the order they first came.
type recorder struct {
	mu          sync.Mutex
	finals      map[string]string // requestId/eid -> status
	lastSuccess map[string]string // eid -> enabled ICCID
	received    int
	duplicates  int
	// waiting is closed, by request and device, when its final callback
	// comes.
	waiting map[string]chan struct{}
}

type crashCallback struct {
	RequestID      string `json:"requestId"`
	Status         string `json:"status"`
	DeviceResponse struct {
		DeviceProfileResponse struct {
			DeviceIdentifierCollection []struct{ Kind, ID string } `json:"deviceIdentifierCollection"`
		} `json:"deviceProfileResponse"`
	} `json:"deviceResponse"`
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var cb crashCallback
	body, _ := io.ReadAll(req.Body)
	if err := json.Unmarshal(body, &cb); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	ids := map[string]string{}
	for _, id := range cb.DeviceResponse.DeviceProfileResponse.DeviceIdentifierCollection {
		ids[id.Kind] = id.ID
	}
	eid := ids["eid"]
	r.mu.Lock()
	defer r.mu.Unlock()
	r.received++
	if cb.Status == "Warning" {
		return
	}
	key := cb.RequestID + "/" + eid
	if _, seen := r.finals[key]; seen {
		r.duplicates++
		return
	}
	r.finals[key] = cb.Status
	if ch, ok := r.waiting[key]; ok {
		close(ch)
		delete(r.waiting, key)
	}
	if cb.Status == "Success" {
		r.lastSuccess[eid] = ids["iccid"]
	}
}

// await waits until the final callback of a request and device has come,
// or until, and reports whether it came.
func (r *recorder) await(key string, until time.Time) bool {
	r.mu.Lock()
	if _, ok := r.finals[key]; ok {
		r.mu.Unlock()
		return true
	}
	ch, ok := r.waiting[key]
	if !ok {
		ch = make(chan struct{})
		r.waiting[key] = ch
	}
	r.mu.Unlock()
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

// driver sends the profile actions with the Go client, which renews its
// token and session as they expire (in seconds, at this time scale).
type driver struct {
	rec   *recorder
	api   *client.Client
	admin *client.Admin

	mu       sync.Mutex
	accepted map[string]string // requestId/eid -> action
}

// drive sends device i's actions one at a time until ctx ends: a delete
// of its local profile when the device has it, a download of it when not.
// After a 200 it waits for the final callback, tssim killed or not.
func (d *driver) drive(ctx context.Context, i int) {
	eid, iccid := gen.EID(i), gen.ICCID(i)
	var header http.Header
	if i%2 == 0 {
		header = http.Header{"X-Tssim-Scenario": {"immediate-success"}}
	}
	for ctx.Err() == nil {
		dev, err := d.admin.Device(ctx, eid)
		if err != nil || dev.Pending != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		action := client.ActionDownloadEnable
		if slices.ContainsFunc(dev.Profiles, func(p client.SimProfile) bool { return p.ICCID == iccid }) {
			action = client.ActionDelete
		}
		id, err := d.api.ProfileActionWith(ctx, action, client.ProfileRequest{AccountName: account, SMSROID: smsrOID,
			Devices: []client.DeviceRef{{EID: eid, ICCID: iccid}}}, header)
		if err != nil {
			time.Sleep(20 * time.Millisecond) // killed before it answered: not accepted
			continue
		}
		key := id + "/" + eid
		d.mu.Lock()
		d.accepted[key] = action
		d.mu.Unlock()
		d.rec.await(key, time.Now().Add(30*time.Second))
	}
}

func (d *driver) counts() (accepted, finals int) {
	d.mu.Lock()
	accepted = len(d.accepted)
	d.mu.Unlock()
	d.rec.mu.Lock()
	finals = len(d.rec.finals)
	d.rec.mu.Unlock()
	return accepted, finals
}

// verify waits up to wait for every accepted request's final callback,
// then compares each device with the last Success it reported.
func (d *driver) verify(wait time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var lost []string
	until := time.Now().Add(wait)
	for key := range d.accepted {
		if !d.rec.await(key, until) {
			lost = append(lost, key)
		}
	}
	d.rec.mu.Lock()
	defer d.rec.mu.Unlock()
	var contradictions []string
	for eid, want := range d.rec.lastSuccess {
		dev, err := d.admin.Device(context.Background(), eid)
		if err != nil {
			return err
		}
		if got := dev.Enabled(); got != want {
			contradictions = append(contradictions, fmt.Sprintf("%s enables %s, the last Success reported %s", eid, got, want))
		}
	}
	fmt.Printf("\n%d requests accepted; %d callbacks received, %d final, %d duplicates (at least once)\n",
		len(d.accepted), d.rec.received, len(d.rec.finals), d.rec.duplicates)
	fmt.Printf("lost: %d; contradictions: %d\n", len(lost), len(contradictions))
	for _, l := range lost {
		fmt.Printf("  lost: %s (%s)\n", l, d.accepted[l])
	}
	for _, c := range contradictions {
		fmt.Println("  contradiction:", c)
	}
	if len(lost) > 0 || len(contradictions) > 0 {
		return fmt.Errorf("%d accepted requests lost, %d devices contradict a delivered callback", len(lost), len(contradictions))
	}
	return nil
}
