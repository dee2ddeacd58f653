package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// soak runs deletes at full rate on the seed device, whose scenario keeps
// it busy (warning-then-success): the first is accepted, every later one
// fails at once with the SM-SR's "busy", and each sends a callback. The
// account's listener is down for --down (nothing listens at its address),
// then up for --up. Every 10 s it prints tssim's RSS and what became of
// the callbacks (GET /_sim/delivery).
func soak(args []string) int {
	fs := flag.NewFlagSet("tsload soak", flag.ExitOnError)
	bin := fs.String("tssim", "bin/tssim", "the tssim binary to soak")
	down := fs.Duration("down", 10*time.Minute, "how long the listener is down, at full rate")
	up := fs.Duration("up", 2*time.Minute, "how long the listener is up after, at full rate")
	conns := fs.Int("conns", 8, "connections sending deletes")
	hang := fs.Bool("hang", false, "while --down lasts, the listener takes each connection and never answers, instead of refusing it")
	_ = fs.Parse(args)

	// The listener's address, reserved now and listened on only after
	// --down (or, with --hang, by one that never answers until then).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return exitOf(err)
	}
	listenAt := ln.Addr().String()
	stopHanging := func() {}
	if *hang {
		stopHanging = hangOn(ln)
	} else {
		_ = ln.Close()
	}

	p, _, err := startTssim(*bin)
	if err != nil {
		return exitOf(err)
	}
	defer p.stop()
	base := "http://" + p.addr
	header, err := session(base, "http://"+listenAt+"/callbacks")
	if err != nil {
		return exitOf(err)
	}
	header.Set("X-Tssim-Scenario", "warning-then-success")
	body := [][]byte{[]byte(`{"devices":[{"deviceIds":[{"kind":"eid","id":"666456789123456789123456784008"},{"kind":"iccid","id":"89148000000840784259"}]}],"accountName":"` + account + `","smsrOid":"` + smsrOID + `"}`)}
	next := func() int { return 0 }

	fmt.Printf("| time | listener | requests | RSS | delivered | given up | pending | queue full |\n|---|---|---|---|---|---|---|---|\n")
	start, total := time.Now(), 0
	phase := func(name string, d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
			r := load(p.addr, deletePath, header, *conns, min(10*time.Second, time.Until(end)), next, body)
			total += r.requests
			fmt.Printf("| %s | %s | %d | %.1f MB | %s |\n", time.Since(start).Round(time.Second), name, total, p.rssMB(), deliveryStats(base))
		}
	}
	name := "down"
	if *hang {
		name = "hangs"
	}
	phase(name, *down)
	stopHanging()
	acks, err := newAckListener(listenAt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tsload soak:", err)
		return 1
	}
	phase("up", *up)
	n, _ := acks.count()
	fmt.Printf("\n%d requests; %d callbacks acknowledged by the listener\n", total, n)
	return 0
}

// deliveryStats reads GET /_sim/delivery as four table cells.
func deliveryStats(base string) string {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(base + "/_sim/delivery")
	if err != nil {
		return "- | - | -"
	}
	defer resp.Body.Close()
	var st struct{ Delivered, GivenUp, Pending, QueueFull int }
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&st) != nil {
		return "- | - | - | -"
	}
	return fmt.Sprintf("%d | %d | %d | %d", st.Delivered, st.GivenUp, st.Pending, st.QueueFull)
}

// hangOn takes every connection ln accepts and holds it, reading nothing
// and answering nothing, until the returned func closes ln and them.
func hangOn(ln net.Listener) (stop func()) {
	var mu sync.Mutex
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	return func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			_ = c.Close()
		}
	}
}
