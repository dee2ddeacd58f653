package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tssim/tssim/internal/gen"
)

// session logs in to tssim and registers the listener.
func session(base, listener string) (http.Header, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	req, _ := http.NewRequest("POST", base+"/api/ts/v1/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth("demo-key", "demo-secret")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := doJSON(c, req, &tok); err != nil {
		return nil, err
	}
	req, _ = http.NewRequest("POST", base+"/api/m2m/v1/session/login", strings.NewReader(`{"username":"demo","password":"demo"}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	var sess struct {
		SessionToken string `json:"sessionToken"`
	}
	if err := doJSON(c, req, &sess); err != nil {
		return nil, err
	}
	h := http.Header{"Authorization": {"Bearer " + tok.AccessToken}, "Vz-M2m-Token": {sess.SessionToken}, "Content-Type": {"application/json"}}
	req, _ = http.NewRequest("POST", base+"/api/m2m/v1/callbacks/"+account, strings.NewReader(`{"name":"DeviceProfileService","url":"`+listener+`"}`))
	req.Header = h.Clone()
	return h, doJSON(c, req, nil)
}

func doJSON(c *http.Client, req *http.Request, out any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

const deletePath = "/api/m2m/v1/devices/profile/actions/delete"

// deletes returns the bodies of one-device deletes of the generated
// devices 0 to n-1, made beforehand so that the load generator spends its
// time sending; an order picks them.
func deletes(n int) [][]byte {
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = deleteBody(i, 1)
	}
	return bodies
}

// order is one way through n devices: each in turn, then round again.
type order struct {
	seq atomic.Int64
	n   int
}

func newOrder(n int) *order { return &order{n: n} }

func (o *order) next() int { return int(o.seq.Add(1)-1) % o.n }

// wrapped reports whether a device has been picked twice.
func (o *order) wrapped() bool { return o.seq.Load() > int64(o.n) }

func deleteBody(from, n int) []byte {
	return gen.ActionBody(account, smsrOID, from, n)
}

// runResult is one load run.
type runResult struct {
	requests int
	errors   int
	elapsed  time.Duration
	lat      []time.Duration
	// cpu is the CPU time (user and system) the server spent meanwhile,
	// when measured.
	cpu float64
}

func (r runResult) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// perCPUSecond is how many requests the server answered per second of its
// CPU time: what a request costs, whatever the load generator took.
func (r runResult) perCPUSecond() float64 { return float64(r.requests) / r.cpu }
func (r runResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p))]
}

// load sends deletes over conns keep-alive connections for d, each of
// bodies[next()]: the bodies are made beforehand so that the load generator
// spends its time sending.
func load(addr, path string, header http.Header, conns int, d time.Duration, next func() int, bodies [][]byte) runResult {
	return loadTargets(addr, []target{{path, header}}, conns, d, next, bodies)
}

// target is where a request goes: a path, with its headers.
type target struct {
	path   string
	header http.Header
}

// loadTargets is load with the requests spread over targets in turn.
func loadTargets(addr string, targets []target, conns int, d time.Duration, next func() int, bodies [][]byte) runResult {
	var turn atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	res := runResult{}
	deadline := time.Now().Add(d)
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			n, errs := 0, 0
			c, err := dialRaw(addr)
			for time.Now().Before(deadline) {
				if err != nil {
					errs++
					if c, err = dialRaw(addr); err != nil {
						continue
					}
				}
				t := targets[int(turn.Add(1)-1)%len(targets)]
				req := renderPost(addr, t.path, t.header, bodies[next()])
				t0 := time.Now()
				var status int
				status, err = c.do(req)
				if err != nil {
					c.conn.Close()
					continue
				}
				lat = append(lat, time.Since(t0))
				if status != 200 {
					errs++
				}
				n++
			}
			if c != nil {
				c.conn.Close()
			}
			mu.Lock()
			res.requests += n
			res.errors += errs
			res.lat = append(res.lat, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.lat)
	return res
}

// sideBySide is one workload on tssim and on the minimal handler, each
// alone on the machine in turn: at conns connections, then at 1.
type sideBySide struct{ tssim, base serverRuns }

// serverRuns is one server's runs of a workload, every round together;
// loaded is how long the server was under load, warm-up included.
type serverRuns struct {
	c32, c1 runResult
	loaded  time.Duration
}

// workload is the requests of a side-by-side run: their bodies, and each
// server's own way through them, so that what one server is sent does not
// depend on how fast the other answered.
type workload struct {
	bodies      [][]byte
	tssim, base func() int
}

// measureSideBySide warms both servers up, then measures them in turn,
// rounds times, so that a passing disturbance of the machine weighs on
// both.
func measureSideBySide(tss, base *proc, header http.Header, conns, rounds int, d time.Duration, w workload) sideBySide {
	var out sideBySide
	servers := []struct {
		p    *proc
		next func() int
		runs *serverRuns
	}{{tss, w.tssim, &out.tssim}, {base, w.base, &out.base}}
	for _, s := range servers {
		load(s.p.addr, deletePath, header, conns, d/5, s.next, w.bodies)
	}
	for range rounds {
		for _, s := range servers {
			s.runs.c32 = s.runs.c32.plus(measured(s.p, header, conns, d, s.next, w.bodies))
			s.runs.c1 = s.runs.c1.plus(measured(s.p, header, 1, d, s.next, w.bodies))
		}
	}
	out.tssim.loaded = d/5 + time.Duration(2*rounds)*d
	return out
}

// plus is r and o as one run.
func (r runResult) plus(o runResult) runResult {
	lat := slices.Concat(r.lat, o.lat)
	slices.Sort(lat)
	return runResult{requests: r.requests + o.requests, errors: r.errors + o.errors, elapsed: r.elapsed + o.elapsed, lat: lat, cpu: r.cpu + o.cpu}
}

// measured is load with the server's CPU time measured.
func measured(p *proc, header http.Header, conns int, d time.Duration, next func() int, bodies [][]byte) runResult {
	cpu0 := p.cpuSeconds()
	r := load(p.addr, deletePath, header, conns, d, next, bodies)
	r.cpu = p.cpuSeconds() - cpu0
	return r
}
