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
	p, _, err := startTssim(bin, "--clock", "manual", "--max-worlds", strconv.Itoa(max(n, spread)))
	if err != nil {
		return err
	}
	defer p.stop()
	base := "http://" + p.addr
	if _, err := session(base, l.url); err != nil {
		return err
	}
	before := p.rssMB()
	for i := range n {
		if _, err := session(base+"/w/w"+strconv.Itoa(i), l.url); err != nil {
			return err
		}
	}
	after := p.rssMB()
	p.stop()

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
	p, _, err = startTssim(bin, "--fixtures", fixture, "--max-worlds", strconv.Itoa(spread))
	if err != nil {
		return err
	}
	defer p.stop()
	base = "http://" + p.addr
	next, bodies := sequence(devices)
	targetsOf := func(prefixes []string) ([]target, error) {
		out := make([]target, len(prefixes))
		for i, prefix := range prefixes {
			h, err := session(base+prefix, l.url)
			if err != nil {
				return nil, err
			}
			h.Set("X-Tssim-Scenario", "delayed-success")
			out[i] = target{prefix + deletePath, h}
		}
		return out, nil
	}
	one, err := targetsOf([]string{""})
	if err != nil {
		return err
	}
	var prefixes []string
	for i := range spread {
		prefixes = append(prefixes, "/w/load"+strconv.Itoa(i))
	}
	many, err := targetsOf(prefixes)
	if err != nil {
		return err
	}
	loadTargets(p.addr, one, conns, d/5, next, bodies)
	loadTargets(p.addr, many, conns, d/5, next, bodies)
	r1 := loadTargets(p.addr, one, conns, d, next, bodies)
	rn := loadTargets(p.addr, many, conns, d, next, bodies)

	fmt.Printf("| worlds | figure |\n|---|---|\n")
	fmt.Printf("| RSS, default world only (demo fixture, one session) | %.1f MB |\n", before)
	fmt.Printf("| RSS after %d more worlds, each with a token, a session and a registration | %.1f MB (+%.1f MB, %.1f KB a world) |\n",
		n, after, after-before, (after-before)*1024/float64(n))
	fmt.Printf("| deletes/s at %d connections, one world | %.0f (p50 %s, errors %d) |\n", conns, r1.rps(), r1.pct(0.5), r1.errors)
	fmt.Printf("| deletes/s at %d connections, spread over %d worlds | %.0f (p50 %s, errors %d) |\n", conns, spread, rn.rps(), rn.pct(0.5), rn.errors)
	fmt.Printf("| ratio | %.2f |\n", rn.rps()/r1.rps())
	return nil
}
