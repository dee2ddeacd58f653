package features

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tssim/tssim/client"
)

// Names of the demo fixtures the features use.
const (
	demoAccount = "1223334444-00001"
	demoSMSROID = "1.3.6.1.4.1.31746.1.500.200.101.5"
)

// world is one scenario's state: the simulator, the client under test
// behind its driver, and a fault-injecting proxy in front of the client's
// listener.
type world struct {
	cfg      *suiteConfig
	admin    *client.Admin
	drv      driver
	started  bool
	secret   string
	proxy    *faultProxy
	requests []string
	lastErr  error
	// raw HTTP steps
	status  int
	body    string
	token   string
	session string
}

// suiteConfig is how the suite runs: where the simulator is and which
// client it tests.
type suiteConfig struct {
	baseURL    string
	adminToken string
	// adapter is the adapter command; "" tests the Go client in process.
	adapter string
	// callbackListen is where the fault proxy listens; callbackHost is the
	// host the simulator reaches it at.
	callbackListen string
	callbackHost   string
}

func newWorld(cfg *suiteConfig) *world {
	return &world{cfg: cfg, admin: client.NewAdmin(cfg.baseURL, nil, cfg.adminToken), secret: "demo-secret"}
}

// client starts the client under test on first use.
func (w *world) client() (driver, error) {
	if w.started {
		return w.drv, nil
	}
	if w.cfg.adapter != "" {
		w.drv = &adapterDriver{command: w.cfg.adapter}
	} else {
		w.drv = &goDriver{}
	}
	w.started = true
	target, err := w.drv.hello(creds{BaseURL: w.cfg.baseURL, AppKey: "demo-key", AppSecret: w.secret, Username: "demo", Password: "demo"})
	if err != nil {
		return nil, fmt.Errorf("starting the client: %w", err)
	}
	if err := w.proxy.forward(target); err != nil {
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
	return err
}

// faultProxy forwards callbacks to the client's listener, answering the
// first few itself when told to fail.
type faultProxy struct {
	url    string
	srv    *http.Server
	target atomic.Pointer[httputil.ReverseProxy]
	failN  atomic.Int32
	failAs atomic.Int32
	seen   atomic.Int32
}

func newFaultProxy(listen, host string) (*faultProxy, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("callback proxy: %w", err)
	}
	p := &faultProxy{}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if host == "" {
		host, _, _ = net.SplitHostPort(ln.Addr().String())
	}
	p.url = "http://" + net.JoinHostPort(host, port) + "/callbacks"
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *faultProxy) forward(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("the client's listener URL %q: %w", target, err)
	}
	p.target.Store(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.URL.Path, r.Out.URL.RawPath = u.Path, ""
	}})
	return nil
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := p.seen.Add(1)
	if n <= p.failN.Load() {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(int(p.failAs.Load()))
		return
	}
	rp := p.target.Load()
	if rp == nil {
		http.Error(w, "no client listener yet", http.StatusServiceUnavailable)
		return
	}
	rp.ServeHTTP(w, r)
}

func (p *faultProxy) close() { _ = p.srv.Close() }

// settle waits until every callback the simulator has produced so far had
// a delivery attempt: what the client will have received by then is known.
func (w *world) settle() error {
	ctx := context.Background()
	all, err := w.admin.Callbacks(ctx, client.CallbackQuery{})
	if err != nil {
		return err
	}
	got, err := w.admin.Callbacks(ctx, client.CallbackQuery{Wait: 10 * time.Second, Min: len(all)})
	if err != nil {
		return err
	}
	for _, c := range got {
		if len(c.Attempts) == 0 {
			return fmt.Errorf("callback %d for %s was not attempted within 10s", c.Seq, c.EID)
		}
	}
	return nil
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

// results asks the client what it knows of a request, after settling.
func (w *world) results(which string) (results, error) {
	id, err := w.request(which)
	if err != nil {
		return results{}, err
	}
	if err := w.settle(); err != nil {
		return results{}, err
	}
	drv, err := w.client()
	if err != nil {
		return results{}, err
	}
	return drv.results(id, 0)
}
