package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// fair measures what one world's slow listener costs another world: deletes
// at full rate in world "slow", whose listener reads one byte a second and
// never answers, while world "healthy" sends a delete every --every and
// times each callback from the request to its arrival at its listener.
func fair(args []string) int {
	fs := flag.NewFlagSet("tsload fair", flag.ExitOnError)
	bin := fs.String("tssim", "bin/tssim", "the tssim binary")
	d := fs.Duration("duration", 30*time.Second, "how long both worlds run")
	every := fs.Duration("every", 10*time.Millisecond, "time between the healthy world's deletes")
	conns := fs.Int("conns", 8, "connections sending the slow world's deletes")
	_ = fs.Parse(args)

	slowLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return exitOf(err)
	}
	defer slowLn.Close()
	go trickle(slowLn)
	arrived := &arrivals{at: map[string]time.Time{}}
	healthyLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return exitOf(err)
	}
	go func() { _ = http.Serve(healthyLn, arrived) }()
	defer healthyLn.Close()

	p, _, err := startTssim(*bin)
	if err != nil {
		return exitOf(err)
	}
	defer p.stop()
	base := "http://" + p.addr
	slowHeader, err := session(base+"/w/slow", "http://"+slowLn.Addr().String()+"/callbacks")
	if err != nil {
		return exitOf(err)
	}
	healthyHeader, err := session(base+"/w/healthy", "http://"+healthyLn.Addr().String()+"/callbacks")
	if err != nil {
		return exitOf(err)
	}
	seed := `{"devices":[{"deviceIds":[{"kind":"eid","id":"666456789123456789123456784008"},{"kind":"iccid","id":"89148000000840784259"}]}],"accountName":"` + account + `","smsrOid":"` + smsrOID + `"}`
	slowBody := [][]byte{[]byte(seed)}
	done := make(chan runResult)
	go func() {
		done <- load(p.addr, "/w/slow"+deletePath, slowHeader, *conns, *d, func() int { return 0 }, slowBody)
	}()
	answered := map[string]time.Time{}
	c := &http.Client{Timeout: 10 * time.Second}
	for end := time.Now().Add(*d); time.Now().Before(end); time.Sleep(*every) {
		req, _ := http.NewRequest("POST", base+"/w/healthy"+deletePath, strings.NewReader(seed))
		req.Header = healthyHeader.Clone()
		sent := time.Now()
		var out struct{ RequestID string }
		if err := doJSON(c, req, &out); err != nil {
			fmt.Println("tsload fair: the healthy world's delete:", err)
			continue
		}
		answered[out.RequestID] = sent
	}
	slow := <-done
	arrived.came.await(len(answered), 2*time.Second)
	var lat []time.Duration
	missing := 0
	arrived.mu.Lock()
	for id, t0 := range answered {
		t1, ok := arrived.at[id]
		if !ok {
			missing++
			continue
		}
		lat = append(lat, t1.Sub(t0))
	}
	arrived.mu.Unlock()
	slices.Sort(lat)
	pct := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*q))]
	}
	fmt.Printf("| slow world's deletes | healthy world's callbacks | p50 | p99 | max | not arrived | RSS |\n|---|---|---|---|---|---|---|\n")
	fmt.Printf("| %d (%.0f/s) | %d | %s | %s | %s | %d | %.1f MB |\n", slow.requests, slow.rps(), len(lat),
		pct(0.5).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond), missing, p.rssMB())
	return 0
}

// trickle takes every connection and reads one byte a second from it,
// answering nothing: a listener as slow as a listener can be.
func trickle(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			b := make([]byte, 1)
			for {
				if _, err := c.Read(b); err != nil {
					return
				}
				time.Sleep(time.Second)
			}
		}()
	}
}

// arrivals notes when each request's callback first arrives.
type arrivals struct {
	mu sync.Mutex
	at map[string]time.Time
	// came counts the requests whose callback arrived.
	came progress
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	b, _ := io.ReadAll(r.Body)
	var m struct{ RequestID string }
	if json.Unmarshal(b, &m) == nil {
		a.mu.Lock()
		if _, ok := a.at[m.RequestID]; !ok {
			a.at[m.RequestID] = now
			a.came.add()
		}
		a.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}
