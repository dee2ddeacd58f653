// Command tsload measures tssim: requests per second and latency of profile
// deletes side by side with a minimal net/http handler (the ceiling of a Go
// HTTP server on this machine), start-up time, memory, a 10,000-device
// request, end-to-end deletes with their callbacks, and a 100,000-device
// fixture. It starts every server it measures as its own process on
// 127.0.0.1 and sends traffic nowhere else.
//
//	tsload [--tssim bin/tssim] [--duration 5s] [--conns 32] [--rounds 2] [--soak 1m]
//	tsload baseline --addr 127.0.0.1:0     the minimal handler (started by tsload itself)
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

const (
	account = "1223334444-00001"
	smsrOID = "1.3.6.1.4.1.31746.1.500.200.101.5"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "baseline" {
		os.Exit(baseline(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "fair" {
		os.Exit(fair(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "soak" {
		os.Exit(soak(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "crash" {
		os.Exit(crash(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "worlds" {
		os.Exit(worlds(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "balance" {
		os.Exit(balance(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "capacity" {
		os.Exit(capacity(os.Args[2:]))
	}
	fs := flag.NewFlagSet("tsload", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	tssim := fs.String("tssim", "bin/tssim", "the tssim binary to measure")
	duration := fs.Duration("duration", 5*time.Second, "how long each load run lasts")
	conns := fs.Int("conns", 32, "connections of the concurrent runs")
	soak := fs.Duration("soak", time.Minute, "how long tssim is under load (the peers' workload) before its RSS is read")
	rounds := fs.Int("rounds", 2, "rounds of the side-by-side runs, tssim and the handler in turn")
	_ = fs.Parse(os.Args[1:])
	if err := measure(*tssim, *duration, *conns, max(1, *rounds), *soak); err != nil {
		fmt.Fprintln(os.Stderr, "tsload:", err)
		os.Exit(1)
	}
}

const usage = `tsload: measures tssim on this machine, all on 127.0.0.1, and prints
Markdown tables (BENCHMARKS.md explains them):
  - delete requests per second at --conns connections, requests per
    second of the server's CPU time, and latencies at --conns and at 1
    connection, side by side with a minimal net/http handler that only
    decodes the body, in --rounds rounds of the same run, on two
    workloads: the same delete each time with relaxed auth and no
    listener (the peers'), and a new device each time;
  - RSS after --soak of load, start-up time and idle memory with the demo
    fixture, memory before and after load;
  - deletes per second with --state-file against without;
  - deletes per second end to end (request accepted, callback
    acknowledged by tsload's listener) and tssim's CPU time per delete;
  - one request for 10,000 devices: time to the 200, and until every
    callback is acknowledged;
  - start-up time and memory with a 100,000-device fixture.
It starts every process itself (tssim, the handler, the listener); with
the defaults it takes about 5 minutes. Build tssim first: make build.

Usage: tsload [--tssim bin/tssim] [--duration 5s] [--conns 32] [--rounds 2] [--soak 1m]
       tsload soak [--tssim bin/tssim] [--down 10m] [--up 2m] [--conns 8] [--hang]
           deletes at full rate on one device with its listener down (or,
           with --hang, taking connections and never answering), then up:
           RSS every 10 s and the callbacks delivered, given up on and
           pending (tsload soak --help)
       tsload fair [--tssim bin/tssim] [--duration 30s] [--every 10ms] [--conns 8]
           one world's listener reads a byte a second while another world's
           callbacks are timed from answer to arrival: p50, p99, max
       tsload worlds [--tssim bin/tssim] [--worlds 1000] [--spread 100] [--conns 32]
           what worlds cost: RSS of 1,000 worlds, and deletes per second in
           one world and spread over 100
       tsload crash [--tssim bin/tssim] [--kills 20] [--devices 32]
           the kill -9 test: tssim killed at random moments under load;
           fails when an accepted request or a delivered result is lost
           (tsload crash --help)
       tsload balance [--tssim bin/tssim] [--haproxy haproxy] [--worlds 300]
           the recipe of deploy/haproxy tested: three tssim behind HAProxy,
           each world on one instance, one killed and restarted (needs
           HAProxy: apt-get install haproxy)
       tsload capacity [--tssim bin/tssim] [--duration 30s] [--parallel 1,2,4] [--worlds 100,300,1000]
           what one tssim holds: tssim contract runs a minute, and worlds
           with a client each acting every second, with the p99 of their
           requests

`

// baseline serves the minimal handler: decode the body, answer a UUID.
func baseline(args []string) int {
	fs := flag.NewFlagSet("tsload baseline", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	_ = fs.Parse(args)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(ln.Addr().String())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var b [16]byte
		_, _ = rand.Read(b[:])
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"requestId":%q}`, hex.EncodeToString(b[:]))
	})
	return exitOf((&http.Server{Handler: h}).Serve(ln))
}

func exitOf(err error) int {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func measure(bin string, d time.Duration, conns, rounds int, soak time.Duration) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%w (build it first: make build)", err)
	}
	l, err := newAckListener("127.0.0.1:0")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "tsload")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	total0, steal0 := stolen()
	// Start-up and idle memory with the demo fixture. Start-up is the
	// median of several starts: one can take twice as long, when the
	// go command that godog runs as it initialises (to find the Go
	// tools) has just seen its cache change.
	var idle float64
	startups := make([]time.Duration, 5)
	for i := range startups {
		demo, startup, err := startTssim(bin)
		if err != nil {
			return err
		}
		idle = demo.rssMB()
		demo.stop()
		startups[i] = startup
	}
	slices.Sort(startups)
	startup := startups[len(startups)/2]

	// The side-by-side runs, on a fixture with a device for every request
	// tssim is sent: at most 35,000 a second at --conns and 12,000 at 1
	// (the --state-file runs that follow send fewer).
	devices := int((35_000*(0.2+float64(rounds)) + 12_000*float64(rounds)) * d.Seconds())
	fixture := filepath.Join(dir, "fixtures.json")
	if err := writeFixture(bin, fixture, devices); err != nil {
		return err
	}
	bodies := deletes(devices)
	base, err := startBaseline()
	if err != nil {
		return err
	}
	defer base.stop()

	// The peers' workload: the same delete each time, relaxed auth, no
	// listener registered, on the demo fixture and one generated device.
	fixture1 := filepath.Join(dir, "fixtures-1.json")
	if err := writeFixture(bin, fixture1, 1); err != nil {
		return err
	}
	tss, _, err := startTssim(bin, "--fixtures", fixture1, "--auth", "relaxed")
	if err != nil {
		return err
	}
	defer tss.stop()
	relaxed := http.Header{"Authorization": {"Bearer any"}, "Vz-M2m-Token": {"any"}, "Content-Type": {"application/json"}}
	same := func() int { return 0 }
	one := measureSideBySide(tss, base, relaxed, conns, rounds, d, workload{bodies, same, same})
	// The rest of soak's load, for the RSS after it.
	if rest := soak - one.tssim.loaded; rest > 0 {
		load(tss.addr, deletePath, relaxed, conns, rest, same, bodies)
	}
	soakRSS, baseRSS := tss.rssMB(), base.rssMB()
	tss.stop()

	// Distinct devices, a session and a listener. Each device's callback
	// is scheduled two minutes ahead (delayed-success): the simulator does
	// all its work for a request, the listener's work comes later, in the
	// end-to-end run, which delivers at once.
	tss, loadTime, err := startTssim(bin, "--fixtures", fixture)
	if err != nil {
		return err
	}
	defer tss.stop()
	loadedRSS := tss.rssMB()
	header, err := session("http://"+tss.addr, l.url)
	if err != nil {
		return err
	}
	scheduled := header.Clone()
	scheduled.Set("X-Tssim-Scenario", "delayed-success")
	fresh := newOrder(devices)
	distinct := measureSideBySide(tss, base, scheduled, conns, rounds, d, workload{bodies, fresh.next, newOrder(devices).next})
	if fresh.wrapped() {
		return fmt.Errorf("distinct devices: tssim was sent more deletes than the fixture's %d devices, so some were for a device it had deleted already", devices)
	}
	afterRSS := tss.rssMB()
	tss.stop()
	base.stop()

	// The same deletes with --state-file: each on disk before its answer.
	stateFile := filepath.Join(dir, "state.db")
	tsf, _, err := startTssim(bin, "--fixtures", fixture, "--state-file", stateFile)
	if err != nil {
		return err
	}
	defer tsf.stop()
	if header, err = session("http://"+tsf.addr, l.url); err != nil {
		return err
	}
	scheduled = header.Clone()
	scheduled.Set("X-Tssim-Scenario", "delayed-success")
	withFile := newOrder(devices)
	warm := load(tsf.addr, deletePath, scheduled, conns, d/5, withFile.next, bodies)
	s32 := load(tsf.addr, deletePath, scheduled, conns, d, withFile.next, bodies)
	s1 := load(tsf.addr, deletePath, scheduled, 1, d, withFile.next, bodies)
	tsf.stop()
	if withFile.wrapped() {
		return fmt.Errorf("--state-file: tssim was sent more deletes than the fixture's %d devices", devices)
	}
	stateSize := fileMB(stateFile)

	// End to end, then one request for 10,000 devices, on a tssim of their
	// own: the runs above left hundreds of thousands of devices and of
	// callbacks scheduled for later, which have nothing to do with these.
	// Requests come faster than the listener acknowledges their callbacks,
	// and once the callbacks not yet acknowledged pass --max-pending
	// (20,000) the oldest are given up on: this tssim may keep one for
	// every device (its queue of attempts holds 100,000, several seconds
	// of the backlog), so that what is measured is delivery, not that
	// bound.
	e2eDevices := max(100_000, int(25_000*d.Seconds())+10_000)
	fixture = filepath.Join(dir, "fixtures-e2e.json")
	if err := writeFixture(bin, fixture, e2eDevices); err != nil {
		return err
	}
	tss, _, err = startTssim(bin, "--fixtures", fixture, "--max-pending", strconv.Itoa(e2eDevices))
	if err != nil {
		return err
	}
	defer tss.stop()
	if header, err = session("http://"+tss.addr, l.url); err != nil {
		return err
	}
	e2eOrder := newOrder(e2eDevices - 10_000)
	bodies = deletes(e2eDevices - 10_000)
	before, _ := l.count()
	cpuBefore := tss.cpuSeconds()
	start := time.Now()
	e2e := load(tss.addr, deletePath, header, conns, d, e2eOrder.next, bodies)
	if e2eOrder.wrapped() {
		return fmt.Errorf("end to end: tssim was sent more deletes than the %d devices kept for them", e2eDevices-10_000)
	}
	l.await(before+int64(e2e.requests), 30*time.Second)
	acks, last := l.count()
	completed := acks - before
	e2eRate := float64(completed) / last.Sub(start).Seconds()
	e2eCPU := (tss.cpuSeconds() - cpuBefore) / float64(completed) * 1e6

	before, _ = l.count()
	req, _ := http.NewRequest("POST", "http://"+tss.addr+deletePath, bytes.NewReader(deleteBody(e2eDevices-10_000, 10_000)))
	req.Header = header
	t0 := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	to200 := time.Since(t0)
	if resp.StatusCode != 200 {
		return fmt.Errorf("10,000-device request: %d", resp.StatusCode)
	}
	if !l.await(before+10_000, time.Minute) {
		return errors.New("10,000-device request: callbacks not all acknowledged within a minute")
	}
	toAcks := time.Since(t0)
	tss.stop()

	// A 100,000-device fixture on its own.
	fixture100k := filepath.Join(dir, "fixtures-100k.json")
	if err := writeFixture(bin, fixture100k, 100_000); err != nil {
		return err
	}
	t100k, load100k, err := startTssim(bin, "--fixtures", fixture100k)
	if err != nil {
		return err
	}
	rss100k := t100k.rssMB()
	t100k.stop()

	total1, steal1 := stolen()
	ms := func(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d.Microseconds())/1000) }
	fmt.Printf("delete requests, %d rounds of %s per run, load generator on the same machine, each server alone; \"one device\" is the peers' workload (the same delete each time, relaxed auth, no listener), \"distinct devices\" a new device each time with a session and a listener, its callback scheduled 2 minutes ahead\n\n", rounds, d)
	fmt.Printf("| | tssim | minimal net/http | ratio | target |\n|---|---|---|---|---|\n")
	for _, w := range []struct {
		name string
		r    sideBySide
	}{{"one device", one}, {"distinct devices", distinct}} {
		t, b := w.r.tssim, w.r.base
		fmt.Printf("| requests/s, %d connections, %s | %.0f | %.0f | %.2f | ≥ 0.7 |\n", conns, w.name, t.c32.rps(), b.c32.rps(), t.c32.rps()/b.c32.rps())
		fmt.Printf("| requests per CPU-second, %s | %.0f | %.0f | %.2f | ≥ 0.6 |\n", w.name, t.c32.perCPUSecond(), b.c32.perCPUSecond(), t.c32.perCPUSecond()/b.c32.perCPUSecond())
		fmt.Printf("| p50, %d connections, %s | %s | %s | %.2f | |\n", conns, w.name, ms(t.c32.pct(0.5)), ms(b.c32.pct(0.5)), float64(t.c32.pct(0.5))/float64(b.c32.pct(0.5)))
		fmt.Printf("| p99, %d connections, %s | %s | %s | %.2f | |\n", conns, w.name, ms(t.c32.pct(0.99)), ms(b.c32.pct(0.99)), float64(t.c32.pct(0.99))/float64(b.c32.pct(0.99)))
		fmt.Printf("| p50, 1 connection, %s | %s | %s | %.2f | ≤ 1.2 |\n", w.name, ms(t.c1.pct(0.5)), ms(b.c1.pct(0.5)), float64(t.c1.pct(0.5))/float64(b.c1.pct(0.5)))
		fmt.Printf("| errors, %s | %d | %d | | 0 |\n", w.name, t.c32.errors+t.c1.errors, b.c32.errors+b.c1.errors)
	}
	fmt.Printf("| RSS after %s of load (one device) | %.1f MB | %.1f MB | | ≤ 64 MB |\n", soak, soakRSS, baseRSS)
	fmt.Printf("| start to healthy, demo fixture (median of %d; slowest %s) | %s | | | ≤ 30 ms |\n\n", len(startups), ms(startups[len(startups)-1]), ms(startup))
	t32, t1 := distinct.tssim.c32, distinct.tssim.c1
	fmt.Printf("| deletes, distinct devices | tssim | tssim --state-file | ratio | target |\n|---|---|---|---|---|\n")
	fmt.Printf("| requests/s, %d connections | %.0f | %.0f | %.2f | ≥ 0.5 |\n", conns, t32.rps(), s32.rps(), s32.rps()/t32.rps())
	fmt.Printf("| p50, 1 connection | %s | %s | %.2f | |\n", ms(t1.pct(0.5)), ms(s1.pct(0.5)), float64(s1.pct(0.5))/float64(t1.pct(0.5)))
	fmt.Printf("| errors | %d | %d | | 0 |\n", t32.errors+t1.errors, s32.errors+s1.errors)
	fmt.Printf("| state file after %d deletes | | %.1f MB | | |\n\n", warm.requests+s32.requests+s1.requests, stateSize)
	fmt.Printf("| figure | value |\n|---|---|\n")
	fmt.Printf("| RSS idle, demo fixture | %.1f MB |\n", idle)
	fmt.Printf("| RSS with %d devices loaded, before load / after load | %.1f MB / %.1f MB |\n", devices, loadedRSS, afterRSS)
	fmt.Printf("| start to healthy with %d devices | %s |\n", devices, ms(loadTime))
	fmt.Printf("| end to end, %d connections: completed deletes/s (request accepted, callback acknowledged) | %.0f (%d of %d acknowledged) |\n", conns, e2eRate, completed, e2e.requests)
	fmt.Printf("| end to end: tssim's CPU time (user and system) per completed delete | %.0f µs |\n", e2eCPU)
	fmt.Printf("| 10,000-device request: time to the 200 | %s |\n", ms(to200))
	fmt.Printf("| 10,000-device request: time until all 10,000 callbacks acknowledged | %s |\n", ms(toAcks))
	fmt.Printf("| 100,000-device fixture: start to healthy / RSS | %s / %.1f MB |\n", ms(load100k), rss100k)
	if total1 > total0 {
		fmt.Printf("| CPU time the hypervisor gave other guests during the measurement (steal) | %.1f%% |\n", 100*(steal1-steal0)/(total1-total0))
	}
	return nil
}

// fileMB is the size of a file, in MB.
func fileMB(path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return float64(fi.Size()) / 1e6
}

// writeFixture has tssim write the demo fixtures with n generated devices.
func writeFixture(bin, path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.CommandContext(context.Background(), bin, "fixtures", "--devices", strconv.Itoa(n))
	cmd.Stdout = f
	cmd.Stderr = os.Stderr
	return cmd.Run()
}
