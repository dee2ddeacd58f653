package delivery_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tssim/tssim/internal/delivery"
)

// rawListener answers each request it reads with the next of answers
// (the last one repeated), written as they are, and closes the connection
// after an answer when close says so. It counts connections and requests.
type rawListener struct {
	url      string
	conns    atomic.Int32
	requests atomic.Int32
	// closed receives a value when a connection ends.
	closed chan struct{}
	mu     sync.Mutex
	bodies []string
}

func newRawListener(t *testing.T, close bool, answers ...string) *rawListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	l := &rawListener{url: "http://" + ln.Addr().String() + "/cb?x=1", closed: make(chan struct{}, 100)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.conns.Add(1)
			go func() {
				defer func() { l.closed <- struct{}{} }()
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(r)
					if err != nil {
						return
					}
					b, _ := io.ReadAll(req.Body)
					n := int(l.requests.Add(1))
					l.mu.Lock()
					l.bodies = append(l.bodies, req.Method+" "+req.RequestURI+" "+req.Header.Get("Content-Type")+" "+string(b))
					l.mu.Unlock()
					if _, err := io.WriteString(c, answers[min(n, len(answers))-1]); err != nil || close {
						return
					}
				}
			}()
		}
	}()
	return l
}

func send(t *testing.T, s *delivery.HTTPSender, url, body string) (int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Send(ctx, delivery.Target{URL: url}, []byte(body))
}

func TestSenderReusesItsConnection(t *testing.T) {
	l := newRawListener(t, false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	s := delivery.NewHTTPSender(4)
	defer s.CloseIdleConnections()
	for i := range 5 {
		if status, err := send(t, s, l.url, `{"n":`+string(rune('0'+i))+`}`); status != 200 || err != nil {
			t.Fatalf("send %d: %d %v", i, status, err)
		}
	}
	if n := l.conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 callbacks, want 1", n)
	}
	if got, want := l.bodies[4], `POST /cb?x=1 application/json {"n":4}`; got != want {
		t.Errorf("the listener read %q, want %q", got, want)
	}
}

// Whatever the form of the answer, the sender reads its status and keeps
// the connection only when another exchange can follow on it.
func TestSenderReadsEveryFormOfAnswer(t *testing.T) {
	for _, tt := range []struct {
		name   string
		answer string
		status int
		conns  int32
	}{
		{"empty 204", "HTTP/1.1 204 No Content\r\n\r\n", 204, 1},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", 200, 1},
		{"interim answer first", "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", 202, 1},
		{"refusal", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy", 503, 1},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 200, 3},
		{"switching protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n", 101, 3},
		{"bytes after the answer", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 500 Oops\r\n\r\n", 200, 3},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 200, 3},
		{"body too long to read", "HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n" + strings.Repeat("x", 70000), 200, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newRawListener(t, false, tt.answer)
			s := delivery.NewHTTPSender(4)
			defer s.CloseIdleConnections()
			for i := range 3 {
				if status, err := send(t, s, l.url, "{}"); status != tt.status || err != nil {
					t.Fatalf("send %d: %d %v, want %d", i, status, err, tt.status)
				}
			}
			if n := l.conns.Load(); n != tt.conns {
				t.Errorf("%d connections for 3 callbacks, want %d", n, tt.conns)
			}
		})
	}
}

// A listener that closes a kept connection without a word (as servers do
// after their idle timeout) costs no attempt: the sender sees it closed
// and sends the callback on a new connection, once.
func TestSenderSkipsAConnectionClosedWhileIdle(t *testing.T) {
	l := newRawListener(t, true, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	s := delivery.NewHTTPSender(4)
	defer s.CloseIdleConnections()
	for i := range 3 {
		if status, err := send(t, s, l.url, "{}"); status != 200 || err != nil {
			t.Fatalf("send %d: %d %v", i, status, err)
		}
		<-l.closed
	}
	if n := l.requests.Load(); n != 3 {
		t.Errorf("the listener read %d requests for 3 callbacks", n)
	}
}

func TestSenderErrors(t *testing.T) {
	s := delivery.NewHTTPSender(4)
	defer s.CloseIdleConnections()
	t.Run("garbage answer", func(t *testing.T) {
		l := newRawListener(t, false, "hello\r\n\r\n")
		if _, err := send(t, s, l.url, "{}"); err == nil || !strings.Contains(err.Error(), l.url) {
			t.Errorf("error %v, want one that names %s", err, l.url)
		}
	})
	t.Run("no answer in time", func(t *testing.T) {
		block := make(chan struct{})
		hs := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
		defer hs.Close()
		defer close(block)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := s.Send(ctx, delivery.Target{URL: hs.URL}, []byte("{}")); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v, want a deadline exceeded", err)
		}
	})
	t.Run("nobody listening", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		_ = ln.Close()
		if _, err := send(t, s, "http://"+addr+"/cb", "{}"); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("error %v, want connection refused", err)
		}
	})
}

// https listeners go through net/http's client.
func TestSenderHTTPS(t *testing.T) {
	hs := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(400)
		}
	}))
	defer hs.Close()
	s := delivery.NewHTTPSender(4)
	s.Client = hs.Client()
	if status, err := send(t, s, hs.URL+"/cb", "{}"); status != 200 || err != nil {
		t.Fatalf("%d %v", status, err)
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A URL with credentials goes through net/http's client, which sends them
// as Basic auth.
func TestSenderURLWithCredentials(t *testing.T) {
	s := delivery.NewHTTPSender(4)
	var user, pass string
	s.Client = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		user, pass, _ = r.BasicAuth()
		return &http.Response{StatusCode: 204, Body: http.NoBody, Request: r}, nil
	})}
	if status, err := send(t, s, "http://cb:secret@127.0.0.1:1/cb", "{}"); status != 204 || err != nil {
		t.Fatalf("%d %v", status, err)
	}
	if user != "cb" || pass != "secret" {
		t.Errorf("credentials %q:%q, want cb:secret", user, pass)
	}
}

// A kept connection unused for IdleTimeout is closed.
func TestSenderClosesIdleConnections(t *testing.T) {
	l := newRawListener(t, false, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	s := delivery.NewHTTPSender(4)
	s.IdleTimeout = time.Millisecond
	if status, err := send(t, s, l.url, "{}"); status != 200 || err != nil {
		t.Fatalf("%d %v", status, err)
	}
	select {
	case <-l.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the idle connection is still open")
	}
}

// A listener that hangs up without answering is reported in one line.
func TestSenderListenerHangsUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = http.ReadRequest(bufio.NewReader(c))
			_ = c.Close()
		}
	}()
	s := delivery.NewHTTPSender(4)
	_, err = send(t, s, "http://"+ln.Addr().String()+"/cb", "{}")
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "without an answer") {
		t.Errorf("error %q, want one line saying the listener closed the connection without an answer", err)
	}
}

// Once a callback's bytes were written, the sender never writes them again:
// a listener that read a callback and hung up without answering would see
// the same callback twice. Its next attempt is the dispatcher's to make.
func TestSenderNeverSendsACallbackTwice(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var requests atomic.Int32
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(r)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, req.Body)
			if requests.Add(1) == 2 {
				return // hangs up on the second callback, on a kept connection
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		}
	}()
	s := delivery.NewHTTPSender(4)
	defer s.CloseIdleConnections()
	url := "http://" + ln.Addr().String() + "/cb"
	if status, err := send(t, s, url, "{}"); status != 200 || err != nil {
		t.Fatalf("first callback: %d %v", status, err)
	}
	if _, err := send(t, s, url, "{}"); err == nil {
		t.Fatal("the second callback, which the listener hung up on, was reported delivered")
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("the listener read %d requests for 2 callbacks", n)
	}
}
