package delivery

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// HTTPSender POSTs callbacks over keep-alive connections. Plain http://
// listeners get a client of its own: the request goes out in one write and
// the answer is read, with net/http's parser, on the caller's goroutine,
// which costs a fraction of net/http's client (two goroutines per
// connection and hand-offs between them for every exchange). Listeners it
// does not handle itself (https, credentials in the URL, a proxy from the
// environment) go through net/http's client.
type HTTPSender struct {
	// Client sends what the sender does not handle itself.
	Client *http.Client
	// IdleTimeout is how long a kept connection may wait unused before it
	// is closed.
	IdleTimeout time.Duration

	maxIdle int
	dialer  net.Dialer

	mu      sync.Mutex
	targets map[string]*target
	idle    map[string][]*senderConn
	// sweep closes the connections idle for too long; it is set while any
	// connection is kept.
	sweep *time.Timer
}

// maxAnswer is how much of an answer's body is read; a longer one closes
// the connection.
const maxAnswer = 64 << 10

// NewHTTPSender returns a sender keeping up to conns idle connections per
// listener.
func NewHTTPSender(conns int) *HTTPSender {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns * 4
	t.MaxIdleConnsPerHost = conns
	// Listeners answer with an empty or tiny body: asking for gzip only
	// costs a header and a reader per callback.
	t.DisableCompression = true
	t.ResponseHeaderTimeout = time.Minute
	return &HTTPSender{
		Client: &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		IdleTimeout: 30 * time.Second, maxIdle: conns, targets: map[string]*target{}, idle: map[string][]*senderConn{},
	}
}

// target is a listener URL, parsed once.
type target struct {
	// viaClient sends through net/http's client.
	viaClient bool
	addr      string
	// head is the request up to the Content-Length value.
	head []byte
}

type senderConn struct {
	net.Conn
	r *bufio.Reader
	// w holds the request being written, kept for the next one.
	w    []byte
	used time.Time
}

// Send POSTs body to the listener's URL as JSON. It never sends the same
// body twice: once a byte of it was written, what happens is the answer.
func (s *HTTPSender) Send(ctx context.Context, dst Target, body []byte) (int, error) {
	t, err := s.target(dst.URL)
	if err != nil {
		return 0, err
	}
	if t.viaClient {
		return s.sendViaClient(ctx, dst.URL, body)
	}
	c, reused, err := s.conn(ctx, t)
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", dst.URL, err)
	}
	status, err := s.exchange(ctx, c, t, body)
	if err != nil && reused && errors.Is(err, errNotWritten) {
		// The kept connection failed before taking a byte: a fresh one.
		if c, err = s.dial(ctx, t); err == nil {
			status, err = s.exchange(ctx, c, t, body)
		}
	}
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The connection's deadlines are the context's.
			err = context.DeadlineExceeded
			if ctx.Err() != nil {
				err = ctx.Err()
			}
		}
		return 0, fmt.Errorf("POST %s: %w", dst.URL, err)
	}
	return status, nil
}

func (s *HTTPSender) sendViaClient(ctx context.Context, u string, body []byte) (int, error) {
	// net/http ends a request when its context is done: the deadline is
	// made one.
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl)
		defer cancel()
	}
	// net/http may still be writing the body when Do returns (an answer
	// that came before the whole request), so it gets a copy of its own.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(bytes.Clone(body)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

const userAgent = "tssim-callback/1"

func (s *HTTPSender) target(raw string) (*target, error) {
	s.mu.Lock()
	t := s.targets[raw]
	s.mu.Unlock()
	if t != nil {
		return t, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	t = &target{viaClient: u.Scheme != "http" || u.User != nil || u.Host == ""}
	if !t.viaClient {
		proxy, err := http.ProxyFromEnvironment(&http.Request{URL: u})
		t.viaClient = err != nil || proxy != nil
	}
	if !t.viaClient {
		t.addr = u.Host
		if u.Port() == "" {
			t.addr = net.JoinHostPort(u.Hostname(), "80")
		}
		t.head = fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nContent-Type: application/json\r\nContent-Length: ",
			u.RequestURI(), u.Host, userAgent)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.targets) > 1000 {
		clear(s.targets)
	}
	s.targets[raw] = t
	return t, nil
}

// conn returns an idle connection to t that still works, or a new one.
func (s *HTTPSender) conn(ctx context.Context, t *target) (c *senderConn, reused bool, err error) {
	for c = s.popIdle(t.addr); c != nil; c = s.popIdle(t.addr) {
		if time.Since(c.used) < s.IdleTimeout && !closedByPeer(c.Conn) {
			return c, true, nil
		}
		_ = c.Close()
	}
	c, err = s.dial(ctx, t)
	return c, false, err
}

// popIdle takes the connection to addr kept last, or nil.
func (s *HTTPSender) popIdle(addr string) *senderConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := s.idle[addr]
	if len(conns) == 0 {
		return nil
	}
	c := conns[len(conns)-1]
	s.idle[addr] = conns[:len(conns)-1]
	return c
}

func (s *HTTPSender) dial(ctx context.Context, t *target) (*senderConn, error) {
	nc, err := s.dialer.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	return &senderConn{Conn: nc, r: bufio.NewReaderSize(nc, 4096)}, nil
}

// put keeps c for the next callback to its listener, or closes it: when
// enough are kept already, or when bytes nobody asked for came after the
// answer.
func (s *HTTPSender) put(t *target, c *senderConn) {
	c.used = time.Now()
	s.mu.Lock()
	if len(s.idle[t.addr]) < s.maxIdle && c.r.Buffered() == 0 {
		s.idle[t.addr] = append(s.idle[t.addr], c)
		c = nil
		if s.sweep == nil {
			s.sweep = time.AfterFunc(s.IdleTimeout, s.closeIdle)
		}
	}
	s.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

// closeIdle closes the connections unused for IdleTimeout, and comes back
// while any is left.
func (s *HTTPSender) closeIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for addr, conns := range s.idle {
		kept := conns[:0]
		for _, c := range conns {
			if time.Since(c.used) < s.IdleTimeout {
				kept = append(kept, c)
			} else {
				_ = c.Close()
			}
		}
		clear(conns[len(kept):])
		if len(kept) == 0 {
			delete(s.idle, addr)
		} else {
			s.idle[addr] = kept
		}
	}
	s.sweep = nil
	if len(s.idle) > 0 {
		s.sweep = time.AfterFunc(s.IdleTimeout, s.closeIdle)
	}
}

// CloseIdleConnections closes the connections kept for later callbacks.
func (s *HTTPSender) CloseIdleConnections() {
	s.mu.Lock()
	idle := s.idle
	s.idle = map[string][]*senderConn{}
	s.mu.Unlock()
	for _, conns := range idle {
		for _, c := range conns {
			_ = c.Close()
		}
	}
	s.Client.CloseIdleConnections()
}

// errNoAnswer is a connection that ended before any byte of an answer.
var errNoAnswer = errors.New("the listener closed the connection without an answer")

// errNotWritten is a connection that failed before taking a byte of the
// callback: sending it on another one cannot make a duplicate.
var errNotWritten = errors.New("the connection took nothing")

// post is the request net/http's parser reads answers for.
var post = &http.Request{Method: http.MethodPost}

// exchange writes one callback on c and reads the answer. c goes back to
// the idle ones when it can carry another callback, else it is closed.
func (s *HTTPSender) exchange(ctx context.Context, c *senderConn, t *target, body []byte) (status int, err error) {
	keep := false
	defer func() {
		if keep {
			s.put(t, c)
		} else {
			_ = c.Close()
		}
	}()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	// A context that can be cancelled cuts the exchange short; the pool's
	// never is, and its deadline is the connection's.
	stop := func() bool { return true }
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	}
	defer stop()
	c.w = append(strconv.AppendInt(append(c.w[:0], t.head...), int64(len(body)), 10), "\r\n\r\n"...)
	c.w = append(c.w, body...)
	if n, err := c.Write(c.w); err != nil {
		if n == 0 && !errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("%w: %w", errNotWritten, err)
		}
		return 0, err
	}
	if _, err := c.r.Peek(1); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
			err = fmt.Errorf("%w: %w", errNoAnswer, err)
		}
		return 0, err
	}
	for {
		resp, err := http.ReadResponse(c.r, post)
		if err != nil {
			return 0, err
		}
		n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
		if err != nil {
			return 0, err
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue // informational: the answer follows
		}
		// After 101 Switching Protocols the connection speaks something else.
		keep = resp.StatusCode != http.StatusSwitchingProtocols && !resp.Close && n < maxAnswer && stop() &&
			c.SetDeadline(time.Time{}) == nil
		return resp.StatusCode, nil
	}
}
