package main

import (
	"context"
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
	"strings"
	"sync"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/delivery"
)

// balance tests the recipe of deploy/haproxy (docs/scaling.md): three
// tssim instances behind HAProxy, with that very configuration, on
// 127.0.0.1. Through the balancer it makes --worlds worlds and, in each, a
// callback registration, a delete and its status; then it checks that
// every world lives on exactly one instance, which journalled its calls and
// delivered its callback, that the default world lives on the first, and
// that an instance killed with -9 leaves its worlds unavailable (503) but
// not moved, and has them back, state and sessions included, once started
// again on its --state-file.
func balance(args []string) int {
	fs := flag.NewFlagSet("tsload balance", flag.ExitOnError)
	bin := fs.String("tssim", "bin/tssim", "the tssim binary")
	haproxy := fs.String("haproxy", "haproxy", "the HAProxy binary")
	config := fs.String("config", "deploy/haproxy/haproxy.cfg", "the HAProxy configuration under test")
	n := fs.Int("worlds", 300, "worlds made through the balancer")
	_ = fs.Parse(args)
	if err := testBalance(*bin, *haproxy, *config, *n); err != nil {
		fmt.Fprintln(os.Stderr, "tsload balance:", err)
		return 1
	}
	return 0
}

// balanceToken is the instances' --admin-token: with one, only requests
// bearing it make worlds, and they are counted against no source address,
// which behind a balancer would be the balancer's for every world.
const balanceToken = "balance-admin-token"

// balanceRig is the balancer, its instances and the listener.
type balanceRig struct {
	bin       string
	lb        string
	instances []*proc
	args      [][]string
	listener  *worldListener
	hc        *http.Client
}

func testBalance(bin, haproxy, config string, n int) error {
	dir, err := os.MkdirTemp("", "tsload-balance")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	r := &balanceRig{bin: bin, hc: &http.Client{Timeout: 10 * time.Second}}
	defer r.stop()
	env := os.Environ()
	for i := range 3 {
		args := []string{"--admin-token", balanceToken, "--state-file", filepath.Join(dir, fmt.Sprintf("tssim%d.db", i+1)), "--log-level", "warn"}
		p, _, err := startTssim(bin, args...)
		if err != nil {
			return fmt.Errorf("instance %d: %w", i+1, err)
		}
		r.instances, r.args = append(r.instances, p), append(r.args, args)
		env = append(env, fmt.Sprintf("TSSIM_%d=%s", i+1, p.addr))
	}
	if r.lb, err = freeAddr(); err != nil {
		return err
	}
	lb, err := startHAProxy(haproxy, config, append(env, "TSSIM_LB_ADDR="+r.lb), r.hc, "http://"+r.lb)
	if err != nil {
		return err
	}
	defer lb.stop()
	if r.listener, err = newWorldListener(); err != nil {
		return err
	}
	defer r.listener.close()

	start := time.Now()
	worlds, err := r.makeWorlds(n)
	if err != nil {
		return err
	}
	if err := r.listener.wait(n, 60*time.Second); err != nil {
		return err
	}
	fmt.Printf("%d worlds made through HAProxy, each with a registration, a delete and its status, and its callback received: %s\n", n, time.Since(start).Round(time.Millisecond))
	placed, err := r.checkPlacement(worlds)
	if err != nil {
		return err
	}
	fmt.Printf("each world on exactly one instance, its calls journalled and its callback delivered there: %d, %d and %d worlds\n", len(placed[0]), len(placed[1]), len(placed[2]))
	if err := r.checkDefaultWorld(); err != nil {
		return err
	}
	fmt.Println("the default world is served by the first instance only")
	if err := r.killAndRestart(1, placed, worlds); err != nil {
		return err
	}
	fmt.Printf("instance 2 killed with -9: its %d worlds answered 503, the others' served; restarted on its state file, its worlds are back with their devices and sessions\n", len(placed[1]))
	return nil
}

func (r *balanceRig) stop() {
	for _, p := range r.instances {
		if p != nil {
			p.stop()
		}
	}
}

// world is one world made through the balancer: its client, logged in,
// and its delete's requestId.
type world struct {
	name      string
	api       *client.Client
	requestID string
}

// makeWorlds makes n worlds through the balancer, 16 at a time.
func (r *balanceRig) makeWorlds(n int) (map[string]*world, error) {
	worlds := map[string]*world{}
	var mu sync.Mutex
	var errs []error
	names := make(chan string)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for name := range names {
				w, err := r.makeWorld(name)
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("world %s: %w", name, err))
				} else {
					worlds[name] = w
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		names <- fmt.Sprintf("team-%03d", i)
	}
	close(names)
	wg.Wait()
	return worlds, errors.Join(errs...)
}

// makeWorld makes the world with the admin token, registers a listener of
// its own, deletes the seed profile and asks for the request's status.
func (r *balanceRig) makeWorld(name string) (*world, error) {
	ctx := context.Background()
	if err := r.put("http://"+r.lb+"/_sim/worlds/"+name, `{}`); err != nil {
		return nil, err
	}
	api, err := client.New("http://"+r.lb+"/w/"+name, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"),
		client.WithHTTPClient(r.hc), client.WithRetries(0))
	if err != nil {
		return nil, err
	}
	if err := api.RegisterCallback(ctx, account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: r.listener.url + "/" + name}); err != nil {
		return nil, err
	}
	id, err := api.DeleteProfile(ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: seedEID, ICCID: seedICCID}}})
	if err != nil {
		return nil, err
	}
	if _, err := api.RequestStatus(ctx, account, id); err != nil {
		return nil, err
	}
	return &world{name: name, api: api, requestID: id}, nil
}

func (r *balanceRig) put(url, body string) error {
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+balanceToken)
	resp, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT %s: %d %s", url, resp.StatusCode, b)
	}
	return nil
}

// The seed device of the demo fixtures, and its enabled profile.
const (
	seedEID   = "666456789123456789123456784008"
	seedICCID = "89148000000840784259"
)

// admin is the control API of an instance, or of a world of it, asked
// directly, not through the balancer.
func (r *balanceRig) admin(instance int, world string) *client.Admin {
	base := "http://" + r.instances[instance].addr
	if world != "" {
		base += "/w/" + world
	}
	return client.NewAdmin(base, r.hc, balanceToken)
}

// worldsOf lists the worlds an instance holds.
func (r *balanceRig) worldsOf(instance int) ([]string, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+r.instances[instance].addr+"/_sim/worlds", nil)
	req.Header.Set("Authorization", "Bearer "+balanceToken)
	resp, err := r.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var list []struct {
		Name string `json:"name"`
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /_sim/worlds of instance %d: %d", instance+1, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, err
	}
	names := make([]string, len(list))
	for i, w := range list {
		names[i] = w.Name
	}
	return names, nil
}

// checkPlacement asks each instance which worlds it holds: every world
// must be on exactly one, with its calls in that instance's journal of the
// world and its callback delivered from there. It returns the worlds of
// each instance.
func (r *balanceRig) checkPlacement(worlds map[string]*world) ([][]string, error) {
	placed := make([][]string, len(r.instances))
	where := map[string]int{}
	for i := range r.instances {
		names, err := r.worldsOf(i)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			if j, ok := where[name]; ok {
				return nil, fmt.Errorf("world %s is on instances %d and %d", name, j+1, i+1)
			}
			where[name] = i
		}
		placed[i] = names
	}
	if len(where) != len(worlds) {
		return nil, fmt.Errorf("the instances hold %d worlds, %d were made", len(where), len(worlds))
	}
	ctx := context.Background()
	for name, w := range worlds {
		i, ok := where[name]
		if !ok {
			return nil, fmt.Errorf("world %s is on no instance", name)
		}
		a := r.admin(i, name)
		reqs, err := a.Requests(ctx)
		if err != nil {
			return nil, fmt.Errorf("world %s on instance %d: %w", name, i+1, err)
		}
		var api []string
		for _, rq := range reqs {
			if strings.HasPrefix(rq.Path, "/w/"+name+"/api/") {
				api = append(api, rq.Method+" "+strings.TrimPrefix(rq.Path, "/w/"+name))
			}
		}
		// token, login, registration, delete, status
		if len(api) != 5 {
			return nil, fmt.Errorf("world %s: instance %d journalled %d of its 5 calls: %v", name, i+1, len(api), api)
		}
		cbs, err := a.Callbacks(ctx, client.CallbackQuery{RequestID: w.requestID})
		if err != nil {
			return nil, err
		}
		if len(cbs) != 1 || cbs[0].State != delivery.StateDelivered {
			return nil, fmt.Errorf("world %s: instance %d has callbacks %+v, want the delete's delivered", name, i+1, cbs)
		}
	}
	for i := range placed {
		if len(placed[i]) == 0 {
			return nil, fmt.Errorf("instance %d holds no world: the hash did not spread them", i+1)
		}
	}
	return placed, nil
}

// checkDefaultWorld sends a call to the default world through the
// balancer: only the first instance may have it in its journal.
func (r *balanceRig) checkDefaultWorld() error {
	api, err := client.New("http://"+r.lb, client.WithCredentials("demo-key", "demo-secret"), client.WithHTTPClient(r.hc), client.WithRetries(0))
	if err != nil {
		return err
	}
	if _, err := api.Token(context.Background()); err != nil {
		return err
	}
	for i := range r.instances {
		reqs, err := r.admin(i, "").Requests(context.Background())
		if err != nil {
			return err
		}
		n := 0
		for _, rq := range reqs {
			if strings.HasPrefix(rq.Path, "/api/") {
				n++
			}
		}
		if (i == 0) != (n == 1) {
			return fmt.Errorf("instance %d journalled %d calls to the default world, want 1 on the first only", i+1, n)
		}
	}
	return nil
}

// killAndRestart kills an instance with -9: its worlds answer 503 through
// the balancer, and move to no other instance; the other worlds are
// served. Started again on its state file, it has its worlds back: the
// devices as the deletes left them, and the sessions of their clients.
func (r *balanceRig) killAndRestart(i int, placed [][]string, worlds map[string]*world) error {
	ctx := context.Background()
	p := r.instances[i]
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	r.instances[i] = nil
	other := placed[(i+1)%len(placed)][0]
	for _, name := range []string{placed[i][0], placed[i][len(placed[i])-1], other} {
		_, err := worlds[name].api.RequestStatus(ctx, account, worlds[name].requestID)
		var ce *client.Error
		switch {
		case name == other && err != nil:
			return fmt.Errorf("world %s, on a live instance, while instance %d is down: %w", name, i+1, err)
		case name != other && (!errors.As(err, &ce) || ce.StatusCode != http.StatusServiceUnavailable):
			return fmt.Errorf("world %s, on instance %d killed: %v, want HAProxy's 503", name, i+1, err)
		}
	}
	for j := range r.instances {
		if j == i {
			continue
		}
		names, err := r.worldsOf(j)
		if err != nil {
			return err
		}
		if len(names) != len(placed[j]) {
			return fmt.Errorf("instance %d holds %d worlds while instance %d is down, %d before", j+1, len(names), i+1, len(placed[j]))
		}
	}
	np, _, err := startTssimAt(r.bin, p.addr, r.args[i]...)
	if err != nil {
		return fmt.Errorf("restarting instance %d: %w", i+1, err)
	}
	r.instances[i] = np
	names, err := r.worldsOf(i)
	if err != nil {
		return err
	}
	slices.Sort(names)
	if want := slices.Sorted(slices.Values(placed[i])); !slices.Equal(names, want) {
		return fmt.Errorf("instance %d restarted holds %d worlds, %d before", i+1, len(names), len(want))
	}
	for _, name := range placed[i] {
		w := worlds[name]
		st, err := w.api.RequestStatus(ctx, account, w.requestID)
		if err != nil {
			return fmt.Errorf("world %s after the restart, with the session of before: %w", name, err)
		}
		d, err := client.NewAdmin("http://"+r.lb+"/w/"+name, r.hc, balanceToken).Device(ctx, seedEID)
		if err != nil {
			return fmt.Errorf("world %s after the restart: %w", name, err)
		}
		if slices.ContainsFunc(d.Profiles, func(p client.SimProfile) bool { return p.ICCID == seedICCID }) {
			return fmt.Errorf("world %s after the restart: the deleted profile is back (%+v); status %+v", name, d.Profiles, st)
		}
	}
	return nil
}

// worldListener takes the callbacks of every world at /cb/{world}, and
// says when each of n worlds had one.
type worldListener struct {
	url string
	ln  net.Listener
	mu  sync.Mutex
	got map[string]bool
	// heard counts the worlds that had a callback.
	heard progress
}

func newWorldListener() (*worldListener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &worldListener{url: "http://" + ln.Addr().String() + "/cb", ln: ln, got: map[string]bool{}}
	go func() { _ = http.Serve(ln, l) }()
	return l, nil
}

func (l *worldListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	name := strings.TrimPrefix(r.URL.Path, "/cb/")
	l.mu.Lock()
	if !l.got[name] {
		l.got[name] = true
		l.heard.add()
	}
	l.mu.Unlock()
}

// wait waits until n worlds had a callback.
func (l *worldListener) wait(n int, within time.Duration) error {
	if got := l.heard.await(n, within); got < n {
		return fmt.Errorf("callbacks of %d worlds received within %s, want %d", got, within, n)
	}
	return nil
}

func (l *worldListener) close() { _ = l.ln.Close() }

// startHAProxy runs HAProxy in the foreground on config, with env, until
// base answers /_sim/health through it.
func startHAProxy(bin, config string, env []string, hc *http.Client, base string) (*proc, error) {
	cmd := exec.Command(bin, "-db", "-f", config)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("HAProxy (apt-get install haproxy): %w", err)
	}
	p := &proc{cmd: cmd}
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(50 * time.Millisecond) {
		resp, err := hc.Get(base + "/_sim/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
	}
	p.stop()
	return nil, errors.New("HAProxy did not pass /_sim/health through within 30 s (its log above says why)")
}

// freeAddr is a free port on 127.0.0.1.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
