package features

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// proxy stands between the simulator and the client under test. The
// simulator's callbacks reach the client's listener through it: it checks
// each against the schema of its shape (schemas/callback.json,
// carrier-callback.json), records how the listener answered, and fails or
// loses acknowledgements when a scenario asks. When a scenario needs to
// see the client's calls, the client reaches the simulator's API through
// it too: it records each call's times and answer, and when the scenario
// holds answers, the answer of a profile action waits until one of its
// callbacks was delivered.
type proxy struct {
	// callbackURL is what the client registers; baseURL, the simulator's
	// API through the proxy.
	callbackURL, baseURL string
	srv                  *http.Server
	api                  *httputil.ReverseProxy
	hc                   *http.Client
	schemas              wireSchemas
	// ctx ends the proxy's calls to the listener when the scenario ends.
	ctx    context.Context
	cancel context.CancelFunc

	// holding makes the answers of profile actions wait for a callback.
	holding atomic.Bool

	mu       sync.Mutex
	listener string
	// the first failN callbacks are answered failAs without reaching the
	// listener; the first loseN that reach it are answered 503.
	failN, failAs, loseN, seen int
	// deliveries are the callbacks the simulator gave the proxy, in the
	// order they came, the first maxDeliveries of them (dropped counts
	// the others); byKey finds one by request, EID and callbackCount.
	deliveries []*delivery
	dropped    int
	byKey      map[deliveryKey]*delivery
	delivered  map[string]chan struct{}
	wireErr    error
	// calls are the client's API calls through the proxy, the first
	// maxCalls of them.
	calls []apiCall
}

// apiCall is one call of the client to the simulator's API, through the
// proxy: when it arrived, when its answer was written, and the answer's
// status and Retry-After.
type apiCall struct {
	method, path string
	start, end   time.Time
	status       int
	retryAfter   string
}

// maxCalls bounds the API calls a proxy keeps: a scenario's client makes
// a few dozen; past it, calls are not kept.
const maxCalls = 10000

// maxDeliveries bounds the deliveries a proxy keeps: the burst's 1,000
// callbacks, each sent up to 4 times, with room to spare. Past it, a
// delivery is counted and not kept, and a failure's report says less.
const maxDeliveries = 20000

// deliveryKey names one attempt of one callback.
type deliveryKey struct {
	requestID, eid string
	count          int
}

// delivery is one callback the simulator gave the proxy, and what became
// of it at the client's listener.
type delivery struct {
	deliveryKey
	start time.Time
	// done is set once the listener answered (status, after took), could
	// not be reached (err), or was not asked (neither).
	done   bool
	took   time.Duration
	status int
	err    error
	// injected says how the suite failed the delivery on purpose: the
	// listener is not to blame for that attempt.
	injected string
}

// callbackPath is where the proxy takes callbacks.
const callbackPath = "/callbacks"

// holdLimit bounds how long a held answer waits for its callback.
const holdLimit = 10 * time.Second

// lateFactor times the callback timeout is how long the proxy waits for
// the listener's answer: long past the simulator's own wait, so that a
// late answer is seen, and how late.
const lateFactor = 3

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
		hc:        &http.Client{Timeout: lateFactor * cfg.callbackTimeout},
		schemas:   cfg.schemas,
		byKey:     map[deliveryKey]*delivery{},
		delivered: map[string]chan struct{}{},
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.callbackURL = p.baseURL + callbackPath
	p.api = &httputil.ReverseProxy{
		Rewrite:        func(r *httputil.ProxyRequest) { r.SetURL(sim); r.Out.Host = sim.Host },
		ModifyResponse: p.hold,
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *proxy) close() {
	p.cancel()
	_ = p.srv.Close()
}

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
		p.serveAPI(w, r)
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
	d := p.record(keyOf(body))
	p.mu.Unlock()
	if n <= fail {
		p.conclude(d, 0, nil, fmt.Sprintf("the suite answered %d in the listener's place", failAs))
		w.WriteHeader(failAs)
		return
	}
	if target == "" {
		p.conclude(d, 0, errors.New("the client has no listener yet"), "")
		http.Error(w, "the client has no listener yet", http.StatusServiceUnavailable)
		return
	}
	status, err := p.post(target, body)
	injected := ""
	if err == nil && n <= fail+lose {
		injected = "the suite lost the listener's answer on the way back"
	}
	p.conclude(d, status, err, injected)
	if err != nil {
		http.Error(w, "the client's listener: "+err.Error(), http.StatusBadGateway)
		return
	}
	if status/100 == 2 {
		p.markDelivered(body)
	}
	if injected != "" {
		status = http.StatusServiceUnavailable
	}
	w.WriteHeader(status)
}

// serveAPI passes a call of the client on to the simulator, and records
// it.
func (p *proxy) serveAPI(w http.ResponseWriter, r *http.Request) {
	c := apiCall{method: r.Method, path: r.URL.Path, start: time.Now()}
	rec := &recorder{ResponseWriter: w}
	p.api.ServeHTTP(rec, r)
	c.end, c.status, c.retryAfter = time.Now(), rec.status, w.Header().Get("Retry-After")
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.calls) < maxCalls {
		p.calls = append(p.calls, c)
	}
}

// callsTo returns the client's API calls whose path ends with suffix, in
// the order they came.
func (p *proxy) callsTo(suffix string) []apiCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []apiCall
	for _, c := range p.calls {
		if strings.HasSuffix(c.path, suffix) {
			out = append(out, c)
		}
	}
	return out
}

// recorder notes the status of an answer.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// keyOf names the attempt a callback body is.
func keyOf(body []byte) deliveryKey {
	var m struct {
		RequestID string `json:"requestId"`
		DeviceIDs []struct {
			Kind string `json:"kind"`
			ID   string `json:"id"`
		} `json:"deviceIds"`
		CallbackCount int `json:"callbackCount"`
	}
	_ = json.Unmarshal(body, &m)
	k := deliveryKey{requestID: m.RequestID, count: m.CallbackCount}
	for _, id := range m.DeviceIDs {
		if id.Kind == "eid" {
			k.eid = id.ID
		}
	}
	return k
}

// record starts a delivery, or returns nil past maxDeliveries; p.mu is
// held.
func (p *proxy) record(k deliveryKey) *delivery {
	if len(p.deliveries) >= maxDeliveries {
		p.dropped++
		return nil
	}
	d := &delivery{deliveryKey: k, start: time.Now()}
	p.deliveries = append(p.deliveries, d)
	p.byKey[k] = d
	return d
}

// conclude records how a delivery ended.
func (p *proxy) conclude(d *delivery, status int, err error, injected string) {
	if d == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	d.done, d.took, d.status, d.err, d.injected = true, time.Since(d.start), status, err, injected
}

// post sends a body to the client's listener as a callback.
func (p *proxy) post(target string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(p.ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.hc.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
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

// snapshot returns a copy of the deliveries so far, and how many more
// came than were kept.
func (p *proxy) snapshot() ([]delivery, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]delivery, len(p.deliveries))
	for i, d := range p.deliveries {
		out[i] = *d
	}
	return out, p.dropped
}

// lookup returns what became of one attempt, when the proxy kept it.
func (p *proxy) lookup(k deliveryKey) (delivery, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.byKey[k]
	if !ok {
		return delivery{}, false
	}
	return *d, true
}

// checkWire keeps the first callback that breaks the schema of its
// shape: that is tssim's fault, and fails the scenario.
func (p *proxy) checkWire(body []byte) {
	schema := callbackSchema(body)
	if err := p.schemas.check(schema, body); err != nil {
		p.mu.Lock()
		if p.wireErr == nil {
			p.wireErr = fmt.Errorf("tssim sent a callback that breaks schemas/%s: %w", schema, err)
		}
		p.mu.Unlock()
	}
}

// callbackSchema names the schema of a callback's shape: a line change's
// (deviceResponse holding an <action>Response other than the profile
// actions' deviceProfileResponse) is carrier-callback.json; any other,
// and the fault form, callback.json.
func callbackSchema(body []byte) string {
	var m struct {
		DeviceResponse map[string]json.RawMessage `json:"deviceResponse"`
	}
	_ = json.Unmarshal(body, &m)
	for k := range m.DeviceResponse {
		if k != "deviceProfileResponse" && k != "usageResponse" {
			return "carrier-callback.json"
		}
	}
	return "callback.json"
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
	if !p.holding.Load() || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Request.URL.Path, "/devices/profile/actions/") {
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
