package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tssim/tssim/client"
)

// capacity measures what one tssim holds for a team: how many `tssim
// contract` runs a minute against it, and how many worlds with a client
// each acting at a steady pace it serves, with the p99 of their requests.
func capacity(args []string) int {
	fs := flag.NewFlagSet("tsload capacity", flag.ExitOnError)
	bin := fs.String("tssim", "bin/tssim", "the tssim binary (also runs tssim contract)")
	d := fs.Duration("duration", 30*time.Second, "how long each step lasts")
	parallel := fs.String("parallel", "1,2,4", "contract runs at once, one step each")
	worldSteps := fs.String("worlds", "100,300,1000", "worlds with an active client, one step each")
	every := fs.Duration("every", time.Second, "each client's pace: a delete and its status every so often")
	_ = fs.Parse(args)
	if err := measureCapacity(*bin, *d, ints(*parallel), ints(*worldSteps), *every); err != nil {
		fmt.Fprintln(os.Stderr, "tsload capacity:", err)
		return 1
	}
	return 0
}

func ints(list string) []int {
	var out []int
	for f := range strings.SplitSeq(list, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

func measureCapacity(bin string, d time.Duration, parallel, worldSteps []int, every time.Duration) error {
	fmt.Println("| contract runs at once | runs completed | runs a minute | failed | tssim CPU per run | tssim RSS after |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, p := range parallel {
		if err := contractStep(bin, d, p); err != nil {
			return err
		}
	}
	fmt.Println()
	fmt.Printf("| worlds, each a client with a delete and a status every %s | requests/s | p50 | p99 | max | errors | callbacks acknowledged | tssim CPU | tssim RSS after |\n", every)
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, n := range worldSteps {
		if err := worldsStep(bin, d, n, every); err != nil {
			return err
		}
	}
	return nil
}

// contractStep runs p loops of tssim contract --url against one tssim for
// d, and counts the runs that completed.
func contractStep(bin string, d time.Duration, p int) error {
	srv, _, err := startTssim(bin, "--clock", "manual", "--max-worlds-per-source", "1000", "--log-level", "warn")
	if err != nil {
		return err
	}
	defer srv.stop()
	cpu0 := srv.cpuSeconds()
	var passed, failed atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range p {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				out, err := exec.Command(bin, "contract", "--url", "http://"+srv.addr).CombinedOutput()
				if err != nil {
					failed.Add(1)
					fmt.Fprintf(os.Stderr, "tssim contract: %v\n%s\n", err, lastLines(string(out), 5))
					continue
				}
				passed.Add(1)
			}
		})
	}
	start := time.Now()
	wg.Wait()
	elapsed := time.Since(start)
	n := passed.Load()
	cpu := srv.cpuSeconds() - cpu0
	fmt.Printf("| %d | %d | %.1f | %d | %.2f s | %.0f MB |\n", p, n, float64(n)/elapsed.Minutes(), failed.Load(), cpu/float64(max(n, 1)), srv.rssMB())
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// worldsStep serves n worlds on one tssim, each with a client of its own
// that registers a listener, then deletes the seed profile and asks for
// the request's status once every every, for d; it reports the latency of
// those requests.
func worldsStep(bin string, d time.Duration, n int, every time.Duration) error {
	l, err := newAckListener("127.0.0.1:0")
	if err != nil {
		return err
	}
	srv, _, err := startTssim(bin, "--max-worlds", strconv.Itoa(n), "--max-worlds-per-source", strconv.Itoa(n), "--log-level", "warn")
	if err != nil {
		return err
	}
	defer srv.stop()
	tr := &timing{base: &http.Transport{MaxIdleConnsPerHost: n}}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx := context.Background()
	clients := make([]*client.Client, n)
	var setup sync.WaitGroup
	var setupErr atomic.Pointer[error]
	sem := make(chan struct{}, 32)
	for i := range clients {
		setup.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, err := client.New(fmt.Sprintf("http://%s/w/cap-%d", srv.addr, i), client.WithCredentials("demo-key", "demo-secret"),
				client.WithUser("demo", "demo"), client.WithHTTPClient(hc), client.WithRetries(0))
			if err == nil {
				err = c.RegisterCallback(ctx, account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: l.url})
			}
			if err != nil {
				setupErr.Store(&err)
			}
			clients[i] = c
		})
	}
	setup.Wait()
	if err := setupErr.Load(); err != nil {
		return fmt.Errorf("%d worlds: setting up: %w", n, *err)
	}

	tr.start()
	cpu0 := srv.cpuSeconds()
	acks0, _ := l.count()
	deadline := time.Now().Add(d)
	var errs atomic.Int64
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			// Each client starts at a moment of its own within the first
			// period, so that the load is steady, not in waves.
			next := time.Now().Add(time.Duration(rand.Int64N(int64(every))))
			for {
				time.Sleep(time.Until(next))
				if time.Now().After(deadline) {
					return
				}
				id, err := c.DeleteProfile(ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}})
				if err == nil {
					_, err = c.RequestStatus(ctx, account, id)
				}
				if err != nil {
					errs.Add(1)
				}
				next = next.Add(every)
			}
		})
	}
	wg.Wait()
	res := tr.stop()
	cpu := srv.cpuSeconds() - cpu0
	acks, _ := l.count()
	fmt.Printf("| %d | %.0f | %s | %s | %s | %d | %d | %.0f%% of a core | %.0f MB |\n", n, res.rps(), ms(res.pct(0.5)), ms(res.pct(0.99)),
		ms(res.pct(1)), errs.Load(), acks-acks0, 100*cpu/res.elapsed.Seconds(), srv.rssMB())
	return nil
}

// timing is a transport that records how long each request took, from
// start to stop.
type timing struct {
	base http.RoundTripper
	mu   sync.Mutex
	on   bool
	from time.Time
	lat  []time.Duration
}

func (t *timing) RoundTrip(r *http.Request) (*http.Response, error) {
	t0 := time.Now()
	resp, err := t.base.RoundTrip(r)
	took := time.Since(t0)
	t.mu.Lock()
	if t.on {
		t.lat = append(t.lat, took)
	}
	t.mu.Unlock()
	return resp, err
}

func (t *timing) start() {
	t.mu.Lock()
	t.on, t.from, t.lat = true, time.Now(), nil
	t.mu.Unlock()
}

func (t *timing) stop() runResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.on = false
	res := runResult{requests: len(t.lat), elapsed: time.Since(t.from), lat: t.lat}
	slices.Sort(res.lat)
	return res
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
