package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// worlds measures what worlds cost: tssim's RSS with the demo fixture
// before and after --worlds worlds each got a token, a session and a
// callback registration; then deletes per second at --conns connections
// in the default world, and spread over --spread worlds in turn, on a
// tssim of their own with a generated fixture.
func worlds(args []string) int {
	fs := flag.NewFlagSet("tsload worlds", flag.ExitOnError)
	bin := fs.String("tssim", "bin/tssim", "the tssim binary to measure")
	n := fs.Int("worlds", 1000, "worlds made for the memory figure")
	spread := fs.Int("spread", 100, "worlds the second load run spreads its requests over")
	conns := fs.Int("conns", 32, "connections of the load runs")
	d := fs.Duration("duration", 5*time.Second, "how long each load run lasts")
	_ = fs.Parse(args)
	if err := measureWorlds(*bin, *n, *spread, *conns, *d); err != nil {
		fmt.Fprintln(os.Stderr, "tsload worlds:", err)
		return 1
	}
	return 0
}

func measureWorlds(bin string, n, spread, conns int, d time.Duration) error {
	l, err := newAckListener("127.0.0.1:0")
	if err != nil {
		return err
	}
	before, after, err := worldsRSS(bin, n, l.url)
	if err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "tsload-worlds")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	devices := max(100_000, int(40_000*d.Seconds()*1.4))
	fixture := filepath.Join(dir, "fixtures.json")
	if err := writeFixture(bin, fixture, devices); err != nil {
		return err
	}
	// Each run on a tssim of its own: a run leaves its deletes pending (2
	// minutes ahead), which would weigh on the run after it.
	run := func(prefixes []string) (runResult, error) {
		p, _, err := startTssim(bin, "--fixtures", fixture, "--max-worlds", strconv.Itoa(spread), "--max-worlds-per-source", strconv.Itoa(spread))
		if err != nil {
			return runResult{}, err
		}
		defer p.stop()
		targets := make([]target, len(prefixes))
		for i, prefix := range prefixes {
			h, err := session("http://"+p.addr+prefix, l.url)
			if err != nil {
				return runResult{}, err
			}
			h.Set("X-Tssim-Scenario", "delayed-success")
			targets[i] = target{prefix + deletePath, h}
		}
		next, bodies := newOrder(devices).next, deletes(devices)
		loadTargets(p.addr, targets, conns, d/5, next, bodies)
		return loadTargets(p.addr, targets, conns, d, next, bodies), nil
	}
	r1, err := run([]string{""})
	if err != nil {
		return err
	}
	var prefixes []string
	for i := range spread {
		prefixes = append(prefixes, "/w/load"+strconv.Itoa(i))
	}
	rn, err := run(prefixes)
	if err != nil {
		return err
	}

	fmt.Printf("| worlds | figure |\n|---|---|\n")
	fmt.Printf("| RSS, default world only (demo fixture, one session) | %.1f MB |\n", before)
	fmt.Printf("| RSS after %d more worlds, each with a token, a session and a registration | %.1f MB (+%.1f MB, %.1f KB a world) |\n",
		n, after, after-before, (after-before)*1024/float64(n))
	fmt.Printf("| deletes/s at %d connections, one world | %.0f (p50 %s, errors %d) |\n", conns, r1.rps(), r1.pct(0.5), r1.errors)
	fmt.Printf("| deletes/s at %d connections, spread over %d worlds | %.0f (p50 %s, errors %d) |\n", conns, spread, rn.rps(), rn.pct(0.5), rn.errors)
	fmt.Printf("| ratio | %.2f |\n", rn.rps()/r1.rps())
	return nil
}

// worldsRSS is tssim's RSS with the default world only, then with n more
// worlds, each with a token, a session and a registration.
func worldsRSS(bin string, n int, listener string) (before, after float64, err error) {
	p, _, err := startTssim(bin, "--clock", "manual", "--max-worlds", strconv.Itoa(n), "--max-worlds-per-source", strconv.Itoa(n))
	if err != nil {
		return 0, 0, err
	}
	defer p.stop()
	base := "http://" + p.addr
	if _, err := session(base, listener); err != nil {
		return 0, 0, err
	}
	before = p.rssMB()
	for i := range n {
		if _, err := session(base+"/w/w"+strconv.Itoa(i), listener); err != nil {
			return 0, 0, err
		}
	}
	return before, p.rssMB(), nil
}
