package features

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// proxy stands between the simulator and the client under test. The
// simulator's callbacks reach the client's listener through it: it checks
// each against schemas/callback.json, records how the listener answered,
// and fails or loses acknowledgements when a scenario asks. When a
// scenario holds answers, the client reaches the simulator's API through it
// too, and the answer of a profile action waits until one of its callbacks
// was delivered.
type proxy struct {
	// callbackURL is what the client registers; baseURL, the simulator's
	// API through the proxy.
	callbackURL, baseURL string
	srv                  *http.Server
	api                  *httputil.ReverseProxy
	hc                   *http.Client
	schemas              wireSchemas

	mu       sync.Mutex
	listener string
	// the first failN callbacks are answered failAs without reaching the
	// listener; the first loseN that reach it are answered 503.
	failN, failAs, loseN, seen int
	// answers are the listener's statuses, one per callback it was given.
	answers   []int
	delivered map[string]chan struct{}
	wireErr   error
}

// callbackPath is where the proxy takes callbacks.
const callbackPath = "/callbacks"

// holdLimit bounds how long a held answer waits for its callback.
const holdLimit = 10 * time.Second

// newProxy starts a proxy in front of the client's listener, and of the
// simulator (at simURL) for the client's profile actions.
func newProxy(cfg *setup, simURL string) (*proxy, error) {
	ln, err := net.Listen("tcp", cfg.callbackListen)
	if err != nil {
		return nil, fmt.Errorf("the suite's callback proxy on %s: %w", cfg.callbackListen, err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if cfg.callbackHost != "" {
		host = cfg.callbackHost
	}
	sim, err := url.Parse(simURL)
	if err != nil {
		return nil, err
	}
	p := &proxy{
		baseURL:   "http://" + net.JoinHostPort(host, port),
		hc:        &http.Client{Timeout: 10 * time.Second},
		schemas:   cfg.schemas,
		delivered: map[string]chan struct{}{},
	}
	p.callbackURL = p.baseURL + callbackPath
	p.api = &httputil.ReverseProxy{
		Rewrite:        func(r *httputil.ProxyRequest) { r.SetURL(sim); r.Out.Host = sim.Host },
		ModifyResponse: p.hold,
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *proxy) close() { _ = p.srv.Close() }

// forward sets the client's listener URL.
func (p *proxy) forward(target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("the client's listener URL %q is not an absolute http(s) URL", target)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.listener = target
	return nil
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != callbackPath {
		p.api.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.checkWire(body)
	p.mu.Lock()
	p.seen++
	n, fail, failAs, lose, target := p.seen, p.failN, p.failAs, p.loseN, p.listener
	p.mu.Unlock()
	if n <= fail {
		w.WriteHeader(failAs)
		return
	}
	if target == "" {
		http.Error(w, "the client has no listener yet", http.StatusServiceUnavailable)
		return
	}
	status, err := p.post(target, body)
	if err != nil {
		http.Error(w, "the client's listener: "+err.Error(), http.StatusBadGateway)
		return
	}
	if status/100 == 2 {
		p.markDelivered(body)
	}
	if n <= fail+lose {
		status = http.StatusServiceUnavailable
	}
	w.WriteHeader(status)
}

// post sends a body to the client's listener as a callback and records
// the status it answered.
func (p *proxy) post(target string, body []byte) (int, error) {
	resp, err := p.hc.Post(target, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	p.mu.Lock()
	p.answers = append(p.answers, resp.StatusCode)
	p.mu.Unlock()
	return resp.StatusCode, nil
}

// postToListener sends the client's listener a body of the suite's own.
func (p *proxy) postToListener(body []byte) (int, error) {
	p.mu.Lock()
	target := p.listener
	p.mu.Unlock()
	if target == "" {
		return 0, fmt.Errorf("the client has no listener yet")
	}
	return p.post(target, body)
}

// listenerAnswers returns the statuses the listener answered so far.
func (p *proxy) listenerAnswers() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.answers...)
}

// checkWire keeps the first callback that breaks schemas/callback.json:
// that is tssim's fault, and fails the scenario.
func (p *proxy) checkWire(body []byte) {
	if err := p.schemas.check("callback.json", body); err != nil {
		p.mu.Lock()
		if p.wireErr == nil {
			p.wireErr = fmt.Errorf("tssim sent a callback that breaks schemas/callback.json: %w", err)
		}
		p.mu.Unlock()
	}
}

func (p *proxy) wireError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.wireErr
}

// deliveredCh is closed once the listener acknowledged a callback of the
// request.
func (p *proxy) deliveredCh(requestID string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.channel(requestID)
}

// channel is deliveredCh with p.mu held.
func (p *proxy) channel(requestID string) chan struct{} {
	ch, ok := p.delivered[requestID]
	if !ok {
		ch = make(chan struct{})
		p.delivered[requestID] = ch
	}
	return ch
}

func (p *proxy) markDelivered(body []byte) {
	var m struct {
		RequestID string `json:"requestId"`
	}
	if json.Unmarshal(body, &m) != nil || m.RequestID == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ch := p.channel(m.RequestID)
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// hold keeps a profile action's answer until one of its callbacks was
// delivered to the client's listener (or holdLimit passed), so that the
// callback arrives before the client has its requestId.
func (p *proxy) hold(resp *http.Response) error {
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Request.URL.Path, "/devices/profile/actions/") {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var a struct {
		RequestID string `json:"requestId"`
	}
	if json.Unmarshal(body, &a) != nil || a.RequestID == "" {
		return nil
	}
	timer := time.NewTimer(holdLimit)
	defer timer.Stop()
	select {
	case <-p.deliveredCh(a.RequestID):
	case <-timer.C:
	}
	return nil
}

// failFirst makes the proxy answer the first n callbacks with status,
// without passing them on.
func (p *proxy) failFirst(n, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failN, p.failAs = n, status
}

// loseFirst makes the proxy pass the first n callbacks on but answer the
// simulator 503: the acknowledgement is lost and the callback comes again.
func (p *proxy) loseFirst(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.loseN = n
}
