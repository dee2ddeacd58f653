package record

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tssim/tssim/internal/jsonptr"
	"github.com/tssim/tssim/internal/tserr"
)

// CallbackPath is where the upstream sends the callbacks of the listeners
// the proxy registered in the client's place:
// CallbackPath + account + "/" + service.
const CallbackPath = "/_record/callbacks/"

// Bounds of the proxy.
const (
	// MaxRecordedBody is the largest body a recording keeps; a larger one
	// is forwarded whole and recorded by its size alone.
	MaxRecordedBody = 8 << 20
	// maxRequestBody is the largest request body the proxy takes (it must
	// hold one to tell which operation it is); a larger one is refused
	// with 413, as tssim refuses one past --max-body-bytes.
	maxRequestBody = 16 << 20
	// maxAckBody is how much of a listener's answer to a callback the
	// proxy passes back to the upstream.
	maxAckBody = 64 << 10
	// maxListeners bounds the listeners the client registered that the
	// proxy remembers: past it, the oldest registration is forgotten, and
	// the callbacks for it are answered 404 and recorded as such.
	maxListeners = 1000
	// queueSize bounds the lines waiting to be written: a request that
	// finds the queue full waits for the writer.
	queueSize = 256
)

// Clock names, as a recording's header says them.
const (
	ClockWall     = "wall"
	ClockUpstream = "upstream"
)

// Options configure a Proxy.
type Options struct {
	// Upstream is the base URL of ThingSpace or of a stand-in; a path (a
	// tssim world's /w/NAME) goes before every request's path.
	Upstream string
	// PublicURL is the base URL at which the upstream reaches the proxy:
	// the listeners the proxy registers in the client's place are under
	// it.
	PublicURL string
	// Clock gives each line its time, ClockName names it in the header
	// (default: the wall clock, "wall").
	Clock     func() time.Time
	ClockName string
	// CallbackTimeout bounds how long the client's listener may take to
	// answer a callback (default 30 s).
	CallbackTimeout time.Duration
	// Transport reaches the upstream and the client's listeners (default:
	// one of the proxy's own).
	Transport http.RoundTripper
	// Logger gets a line for each call the proxy could not forward
	// (default: none).
	Logger *slog.Logger
}

// Proxy forwards a client's calls to the upstream, and the upstream's
// callbacks to the client's listeners, and records them all to one
// writer. Serve Handler, and Close once the server has stopped.
type Proxy struct {
	opts      Options
	upstream  *url.URL
	public    string
	catalogue *Catalogue
	transport http.RoundTripper
	callbacks *http.Client
	seq       atomic.Int64

	// listeners are the client's, by account and service; order is
	// their keys, oldest first, for the bound.
	mu        sync.Mutex
	listeners map[listenerKey]string
	order     []listenerKey

	// queue carries what was seen to the writer; closing stops it from
	// taking more once Close began.
	closing  sync.RWMutex
	closed   bool
	queue    chan *seen
	done     chan struct{}
	out      *bufio.Writer
	redactor *redactor
	err      error
	counts   struct{ exchanges, callbacks int }
}

type listenerKey struct{ account, service string }

// New starts a proxy recording to out; it writes the header line at
// once.
func New(opts Options, out io.Writer) (*Proxy, error) {
	up, err := url.Parse(opts.Upstream)
	if err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" {
		return nil, fmt.Errorf("upstream %q: not an http or https URL", opts.Upstream)
	}
	pub, err := url.Parse(opts.PublicURL)
	if err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" {
		return nil, fmt.Errorf("public URL %q: not an http or https URL", opts.PublicURL)
	}
	if opts.Clock == nil {
		opts.Clock, opts.ClockName = time.Now, ClockWall
	}
	if opts.CallbackTimeout <= 0 {
		opts.CallbackTimeout = 30 * time.Second
	}
	if opts.Transport == nil {
		opts.Transport = &http.Transport{Proxy: http.ProxyFromEnvironment, DisableCompression: true, MaxIdleConnsPerHost: 64,
			IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Proxy{opts: opts, upstream: up, public: strings.TrimSuffix(opts.PublicURL, "/"), catalogue: NewCatalogue(),
		transport: opts.Transport, callbacks: &http.Client{Transport: opts.Transport, Timeout: opts.CallbackTimeout},
		listeners: map[listenerKey]string{}, queue: make(chan *seen, queueSize), done: make(chan struct{}),
		out: bufio.NewWriterSize(out, 64<<10), redactor: newRedactor()}
	p.line(&Entry{Type: TypeHeader, At: opts.Clock(), Version: Version, Upstream: p.redactor.url(opts.Upstream), Clock: opts.ClockName})
	if err := p.out.Flush(); err != nil {
		return nil, err
	}
	if p.err != nil {
		return nil, p.err
	}
	go p.write()
	return p, nil
}

// Handler serves the client's calls and the upstream's callbacks.
func (p *Proxy) Handler() http.Handler { return http.HandlerFunc(p.serveHTTP) }

func (p *Proxy) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, CallbackPath) {
		p.callback(w, r)
		return
	}
	p.forward(w, r)
}

// Close waits for what was seen to be written, writes the end line and
// flushes. Call it once the server serving Handler has stopped.
func (p *Proxy) Close() error {
	p.closing.Lock()
	if p.closed {
		p.closing.Unlock()
		return p.err
	}
	p.closed = true
	close(p.queue)
	p.closing.Unlock()
	<-p.done
	p.line(&Entry{Type: TypeEnd, Seq: int(p.seq.Add(1)), At: p.opts.Clock(), Exchanges: p.counts.exchanges, Callbacks: p.counts.callbacks})
	if err := p.out.Flush(); err != nil && p.err == nil {
		p.err = err
	}
	return p.err
}

// Counts returns how many exchanges and callbacks were written; call it
// after Close.
func (p *Proxy) Counts() (exchanges, callbacks int) { return p.counts.exchanges, p.counts.callbacks }

// seen is an exchange or a callback as it happened, secrets and all: the
// writer replaces them before anything is written.
type seen struct {
	entry Entry
	// registers and lists say whether the call registered a listener or
	// listed them: their bodies hold a listener's credentials.
	registers, lists bool
	req              raw
	resp             *raw
	forwarded        string
}

// raw is a request or an answer as it crossed the proxy.
type raw struct {
	method, path, query string
	status              int
	header              http.Header
	body                []byte
	// size is the body's size when it was too large to keep.
	size int64
}

// enqueue hands s to the writer, unless Close began.
func (p *Proxy) enqueue(s *seen) {
	p.closing.RLock()
	defer p.closing.RUnlock()
	if !p.closed {
		p.queue <- s
	}
}

// forward takes a client's call to the upstream and its answer back.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request) {
	seq, at := int(p.seq.Add(1)), p.opts.Clock()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		p.opts.Logger.Warn("request body not read: not forwarded", "method", r.Method, "path", r.URL.Path, "error", err)
		writeError(w, http.StatusRequestEntityTooLarge, tserr.CodeRequestTooLarge, fmt.Sprintf("the request body could not be read whole (at most %d bytes): %v", maxRequestBody, err))
		return
	}
	op, vars := p.catalogue.Find(r.Method, r.URL.Path, body)
	s := &seen{entry: Entry{Type: TypeExchange, Seq: seq, At: at}, registers: p.catalogue.Registers(op), lists: p.catalogue.ListsListeners(op),
		req: raw{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header, body: body}}
	if len(body) > MaxRecordedBody {
		s.req.body, s.req.size = nil, int64(len(body))
	}
	if op != nil {
		s.entry.Operation = op.Name
	}
	// Only ThingSpace's paths are recorded: whatever else the client
	// asks of a stand-in (its /_sim/ control API) passes unrecorded.
	recorded := op != nil || strings.HasPrefix(r.URL.Path, "/api/")
	out, undo := body, func() {}
	if p.catalogue.Registers(op) {
		out, undo = p.redirect(vars["accountName"], body)
	}
	start := time.Now()
	resp, err := p.roundTrip(r, out)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the upstream's URL may hold credentials
		}
		undo()
		p.opts.Logger.Warn("upstream unreachable", "method", r.Method, "path", r.URL.Path, "error", err)
		writeError(w, http.StatusBadGateway, tserr.CodeUnexpected, "the recording proxy could not reach the upstream: "+err.Error())
		if recorded {
			s.entry.Error = err.Error()
			p.enqueue(s)
		}
		return
	}
	defer resp.Body.Close()
	s.resp = &raw{status: resp.StatusCode, header: resp.Header}
	copyHeaders(w.Header(), resp.Header)
	var answer io.Reader = resp.Body
	if p.catalogue.ListsListeners(op) {
		// The list of listeners is read whole, to put the client's URLs
		// back; one past the bound goes on as it is.
		head, _ := io.ReadAll(io.LimitReader(resp.Body, MaxRecordedBody+1))
		if len(head) <= MaxRecordedBody {
			head = p.ownURLs(head)
			w.Header().Set("Content-Length", fmt.Sprint(len(head)))
		}
		answer = io.MultiReader(bytes.NewReader(head), resp.Body)
	}
	w.WriteHeader(resp.StatusCode)
	c := &capture{limit: MaxRecordedBody}
	_, _ = io.Copy(w, io.TeeReader(answer, c))
	s.resp.body, s.resp.size = c.kept()
	s.entry.Millis = float64(time.Since(start).Microseconds()) / 1000
	switch {
	case p.catalogue.Registers(op) && resp.StatusCode/100 != 2:
		undo()
	case p.catalogue.Deregisters(op, vars) && resp.StatusCode/100 == 2:
		p.forget(listenerKey{vars["accountName"], vars["serviceName"]})
	}
	if recorded {
		p.enqueue(s)
	}
}

// roundTrip sends the client's request, with body, to the upstream.
func (p *Proxy) roundTrip(r *http.Request, body []byte) (*http.Response, error) {
	u := *p.upstream
	u.Path = strings.TrimSuffix(p.upstream.Path, "/") + r.URL.Path
	u.RawPath = ""
	u.RawQuery = r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	copyHeaders(req.Header, r.Header)
	// The answer is recorded as sent: uncompressed.
	req.Header.Del("Accept-Encoding")
	req.ContentLength = int64(len(body))
	if len(body) == 0 && (r.Method == http.MethodGet || r.Method == http.MethodDelete || r.Method == http.MethodHead) {
		req.Body = http.NoBody
	}
	return p.transport.RoundTrip(req)
}

// hopByHop are the headers of one connection, never forwarded.
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// copyHeaders copies the end-to-end headers of src to dst.
func copyHeaders(dst, src http.Header) {
	var named []string
	for _, v := range src.Values("Connection") {
		for f := range strings.SplitSeq(v, ",") {
			named = append(named, http.CanonicalHeaderKey(strings.TrimSpace(f)))
		}
	}
	for k, vs := range src {
		if slices.Contains(hopByHop, k) || slices.Contains(named, k) {
			continue
		}
		dst[k] = slices.Clone(vs)
	}
}

// writeError answers in ThingSpace's M2M error form.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(map[string]string{"errorCode": code, "errorMessage": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// capture keeps what is written to it, up to limit bytes, and counts the
// rest.
type capture struct {
	buf   bytes.Buffer
	limit int
	n     int64
}

func (c *capture) Write(b []byte) (int, error) {
	c.n += int64(len(b))
	if c.n <= int64(c.limit) {
		c.buf.Write(b)
	}
	return len(b), nil
}

// kept returns the body, or its size when it went past the limit.
func (c *capture) kept() ([]byte, int64) {
	if c.n > int64(c.limit) {
		return nil, c.n
	}
	return c.buf.Bytes(), 0
}

// redirect makes a callback registration the proxy's: the client's
// listener is remembered for its account and service, and the upstream is
// asked to call the proxy instead. undo puts back what was there, for a
// registration the upstream refused. A body that is no registration goes
// as it is, for the upstream to refuse.
func (p *Proxy) redirect(account string, body []byte) (out []byte, undo func()) {
	var reg map[string]any
	if json.Unmarshal(body, &reg) != nil {
		return body, func() {}
	}
	name, _ := reg["name"].(string)
	target, _ := reg["url"].(string)
	if name == "" || target == "" {
		return body, func() {}
	}
	key := listenerKey{account, name}
	p.mu.Lock()
	prev, had := p.listeners[key]
	p.remember(key, target)
	p.mu.Unlock()
	reg["url"] = p.callbackURL(key)
	out, err := json.Marshal(reg)
	if err != nil {
		return body, func() {}
	}
	return out, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if had {
			p.remember(key, prev)
		} else {
			p.forgetLocked(key)
		}
	}
}

// remember keeps the client's listener of key; p.mu is held.
func (p *Proxy) remember(key listenerKey, target string) {
	if _, ok := p.listeners[key]; !ok {
		p.order = append(p.order, key)
		if len(p.order) > maxListeners {
			delete(p.listeners, p.order[0])
			p.order = slices.Delete(p.order, 0, 1)
		}
	}
	p.listeners[key] = target
}

func (p *Proxy) forget(key listenerKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forgetLocked(key)
}

func (p *Proxy) forgetLocked(key listenerKey) {
	if _, ok := p.listeners[key]; !ok {
		return
	}
	delete(p.listeners, key)
	p.order = slices.DeleteFunc(p.order, func(k listenerKey) bool { return k == key })
}

// callbackURL is where the upstream is to send key's callbacks.
func (p *Proxy) callbackURL(key listenerKey) string {
	return p.public + CallbackPath + url.PathEscape(key.account) + "/" + url.PathEscape(key.service)
}

// ownURLs puts the client's listener URLs back in the upstream's list of
// listeners, in place of the proxy's: the client sees what it registered.
func (p *Proxy) ownURLs(answer []byte) []byte {
	var doc any
	if json.Unmarshal(answer, &doc) != nil {
		return answer
	}
	p.mu.Lock()
	theirs := make(map[string]string, len(p.listeners))
	for k, v := range p.listeners {
		theirs[p.callbackURL(k)] = v
	}
	p.mu.Unlock()
	changed := false
	doc = jsonptr.MapStrings(doc, func(s string) string {
		if t, ok := theirs[s]; ok {
			changed = true
			return t
		}
		return s
	})
	if !changed {
		return answer
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return answer
	}
	return append(out, '\n')
}

// callback takes a callback of the upstream to the client's listener, and
// the listener's answer back.
func (p *Proxy) callback(w http.ResponseWriter, r *http.Request) {
	seq, at := int(p.seq.Add(1)), p.opts.Clock()
	account, service, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, CallbackPath), "/")
	account, _ = url.PathUnescape(account)
	service, _ = url.PathUnescape(service)
	c := &capture{limit: MaxRecordedBody}
	_, err := io.Copy(c, http.MaxBytesReader(w, r.Body, maxRequestBody))
	body, size := c.kept()
	s := &seen{entry: Entry{Type: TypeCallback, Seq: seq, At: at, Service: service, Account: account, Ack: &Message{}},
		req: raw{method: r.Method, path: r.URL.Path, header: r.Header, body: body, size: size}}
	defer p.enqueue(s)
	if err != nil {
		s.entry.Ack.Error = "the callback's body could not be read: " + err.Error()
		writeError(w, http.StatusBadRequest, tserr.CodeUnexpected, s.entry.Ack.Error)
		return
	}
	p.mu.Lock()
	target, ok := p.listeners[listenerKey{account, service}]
	p.mu.Unlock()
	if !ok {
		s.entry.Ack.Error = "the client registered no listener for " + service + " of account " + account
		writeError(w, http.StatusNotFound, tserr.CodeCallbackNotFound, s.entry.Ack.Error)
		return
	}
	s.forwarded = target
	start := time.Now()
	ackStatus, ackHeader, ackBody, err := p.deliver(r, target, body)
	s.entry.Millis = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		p.opts.Logger.Warn("callback not delivered to the client", "service", service, "account", account, "error", err)
		s.entry.Ack.Error = err.Error()
		writeError(w, http.StatusBadGateway, tserr.CodeUnexpected, "the recording proxy could not reach the client's listener: "+err.Error())
		return
	}
	s.entry.Ack.Status = ackStatus
	copyHeaders(w.Header(), ackHeader)
	w.Header().Del("Content-Length")
	w.WriteHeader(ackStatus)
	_, _ = w.Write(ackBody)
}

// deliver sends a callback to the client's listener and returns its
// answer.
func (p *Proxy) deliver(r *http.Request, target string, body []byte) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(r.Context(), p.opts.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	copyHeaders(req.Header, r.Header)
	resp, err := p.callbacks.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may hold credentials
		}
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	ack, err := io.ReadAll(io.LimitReader(resp.Body, maxAckBody))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, ack, nil
}

// UpstreamClock reads the time of a tssim upstream from its control API
// (GET /_sim/clock of the upstream's world), for a stand-in on a manual
// clock: the recording then spaces its lines as the stand-in's time
// passed, not as the wall clock did. Should the clock not be read, the
// wall clock stands in, and the failure is logged.
func UpstreamClock(upstream string, hc *http.Client, log *slog.Logger) func() time.Time {
	u := strings.TrimSuffix(upstream, "/") + "/_sim/clock"
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func() time.Time {
		var v struct {
			Now time.Time `json:"now"`
		}
		resp, err := hc.Get(u)
		if err == nil {
			err = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&v)
			resp.Body.Close()
			if err == nil && (resp.StatusCode != http.StatusOK || v.Now.IsZero()) {
				err = fmt.Errorf("%s answered %d", u, resp.StatusCode)
			}
		}
		if err != nil {
			log.Warn("upstream clock not read: the wall clock stands in", "error", err)
			return time.Now()
		}
		return v.Now
	}
}
