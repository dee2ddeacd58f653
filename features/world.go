package features

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/simulator"
)

// Names of the demo fixtures the features use.
const (
	demoAccount = "1223334444-00001"
	demoSMSROID = "1.3.6.1.4.1.31746.1.500.200.101.5"
)

// world is one scenario's state: the simulator, the client under test
// behind its driver, and the suite's proxy in front of the client's
// listener.
type world struct {
	cfg *setup
	// name is the simulator's world the scenario runs in, at simURL (the
	// suite's way there) and clientURL (the client's); admin is its
	// control API.
	name, simURL, clientURL string
	admin                   *client.Admin
	drv                     driver
	started                 bool
	secret                  string
	proxy                   *proxy
	requests                []string
	lastErr                 error
	// viaProxy makes the client reach the simulator through the proxy,
	// which records its calls (and may hold answers).
	viaProxy bool
	// added are the devices a step put on the simulator for this scenario.
	added []device
	// raw HTTP steps
	status  int
	body    string
	token   string
	session string
}

// setup is how one run reaches the simulator and the client under test.
type setup struct {
	// simURL is where the suite reaches the simulator; clientURL, where the
	// client under test does.
	simURL, clientURL string
	adminToken        string
	// newDriver makes the client under test, once per scenario.
	newDriver func() driver
	// run names this run's worlds; worlds counts them.
	run    string
	worlds atomic.Int64
	// callbackListen is where the proxy listens; callbackHost is the host
	// the simulator (and a client sent through the proxy) reaches it at.
	callbackListen, callbackHost string
	schemas                      wireSchemas
	// protocol is the adapter protocol's schemas.
	protocol protocol
	// callbackTimeout is how long the simulator waits for the listener's
	// answer to a callback.
	callbackTimeout time.Duration
}

// newWorld sets up a scenario in a simulator world of its own, so that
// scenarios run side by side see nothing of each other.
func newWorld(cfg *setup) *world {
	name := fmt.Sprintf("contract-%s-%d", cfg.run, cfg.worlds.Add(1))
	prefix := simulator.WorldPrefix + name
	return &world{cfg: cfg, name: name, simURL: cfg.simURL + prefix, clientURL: cfg.clientURL + prefix,
		admin: client.NewAdmin(cfg.simURL+prefix, nil, cfg.adminToken), secret: "demo-secret"}
}

// throughProxy makes the client reach the simulator through the suite's
// proxy; it must come before the client's first call.
func (w *world) throughProxy(why string) error {
	if w.started {
		return fmt.Errorf("the client already started: %s before its first call", why)
	}
	w.viaProxy = true
	return nil
}

// client starts the client under test on first use.
func (w *world) client() (driver, error) {
	if w.started {
		return w.drv, nil
	}
	w.drv, w.started = w.cfg.newDriver(), true
	base := w.clientURL
	if w.viaProxy {
		base = w.proxy.baseURL
	}
	g, err := w.drv.hello(creds{BaseURL: base, AppKey: "demo-key", AppSecret: w.secret, Username: "demo", Password: "demo"})
	if err != nil {
		return nil, &startupError{err}
	}
	if err := w.proxy.forward(g.ListenerURL); err != nil {
		return nil, err
	}
	return w.drv, nil
}

func (w *world) close() error {
	var err error
	if w.drv != nil {
		err = w.drv.close()
	}
	if w.proxy != nil {
		w.proxy.close()
	}
	root := client.NewAdmin(w.cfg.simURL, nil, w.cfg.adminToken)
	if derr := root.DeleteWorld(context.Background(), w.name); err == nil {
		err = derr
	}
	return err
}

// awaitAttempts waits until every callback the simulator has produced so far had
// a delivery attempt: what the client will have received by then is known.
func (w *world) awaitAttempts(ctx context.Context) error {
	all, err := w.admin.Callbacks(ctx, client.CallbackQuery{})
	if err != nil {
		return err
	}
	wait := w.cfg.callbackTimeout + 10*time.Second
	got, err := w.admin.Callbacks(ctx, client.CallbackQuery{Wait: wait, Min: len(all)})
	if err != nil {
		return err
	}
	for _, c := range got {
		if len(c.Attempts) == 0 {
			return fmt.Errorf("callback %d for %s was not attempted within %s", c.Seq, c.EID, wait)
		}
	}
	return w.proxy.wireError()
}

// request returns the id of an accepted request: "first", "second", or ""
// for the last one.
func (w *world) request(which string) (string, error) {
	idx := map[string]int{"first": 0, "second": 1, "third": 2}
	if len(w.requests) == 0 {
		return "", fmt.Errorf("no request was accepted (last error: %v)", w.lastErr)
	}
	if which == "" {
		return w.requests[len(w.requests)-1], nil
	}
	i, ok := idx[strings.TrimSpace(which)]
	if !ok || i >= len(w.requests) {
		return "", fmt.Errorf("no %s request: %d accepted", which, len(w.requests))
	}
	return w.requests[i], nil
}

// results asks the client what it knows of a request, once every callback had its attempt.
func (w *world) results(ctx context.Context, which string) (results, error) {
	id, err := w.request(which)
	if err != nil {
		return results{}, err
	}
	if err := w.awaitAttempts(ctx); err != nil {
		return results{}, err
	}
	drv, err := w.client()
	if err != nil {
		return results{}, err
	}
	return drv.results(id, 0)
}

// checkManualClock makes sure a running simulator's clock can be advanced.
func checkManualClock(ctx context.Context, simURL, adminToken string) error {
	a := client.NewAdmin(simURL, &http.Client{Timeout: 10 * time.Second}, adminToken)
	if err := a.Health(ctx); err != nil {
		return fmt.Errorf("the simulator at %s: %w", simURL, err)
	}
	if _, err := a.Advance(ctx, 0); err != nil {
		var ce *client.Error
		if errors.As(err, &ce) && ce.Code == "Tssim.REQUEST_FAILED.Clock.NotManual" {
			return fmt.Errorf("the simulator at %s runs on a real clock: start it with --clock manual (TSSIM_CLOCK=manual)", simURL)
		}
		return fmt.Errorf("the simulator at %s: %w", simURL, err)
	}
	return nil
}
