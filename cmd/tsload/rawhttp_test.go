package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The load generator's client speaks to net/http's server, keep-alive.
func TestRawClientAgainstNetHTTP(t *testing.T) {
	var bodies atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") == "Bearer x" && string(b) == `{"a":1}` {
			bodies.Add(1)
		}
		if r.URL.Path == "/bad" {
			http.Error(w, `{"errorCode":"x"}`, 400)
			return
		}
		_, _ = w.Write([]byte(`{"requestId":"r"}`))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	c, err := dialRaw(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.conn.Close()
	h := http.Header{"Authorization": {"Bearer x"}, "Content-Type": {"application/json"}}
	for _, tt := range []struct {
		path   string
		status int
	}{{"/ok", 200}, {"/bad", 400}, {"/ok", 200}} {
		st, err := c.do(renderPost(addr, tt.path, h, []byte(`{"a":1}`)))
		if err != nil || st != tt.status {
			t.Fatalf("%s: %d %v", tt.path, st, err)
		}
	}
	if bodies.Load() != 3 {
		t.Errorf("the server read %d whole requests of 3", bodies.Load())
	}
}

// The callback listener answers net/http's client, keep-alive.
func TestAckServerAgainstNetHTTP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var acks atomic.Int32
	go serveAcks(ln, func() { acks.Add(1) })
	for range 3 {
		resp, err := http.Post("http://"+ln.Addr().String()+"/cb", "application/json", bytes.NewReader([]byte(`{"requestId":"r"}`)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if acks.Load() != 3 {
		t.Errorf("%d acknowledgements, want 3", acks.Load())
	}
}

func TestParseCPUSeconds(t *testing.T) {
	stat := "4242 (ts sim) S 1 4242 4242 0 -1 4194560 1520 0 0 0 431 217 0 0 20 0 8 0 12345 0 0"
	if got := parseCPUSeconds(stat); got != 6.48 {
		t.Errorf("parseCPUSeconds = %v, want 6.48 (431 + 217 ticks)", got)
	}
	if got := parseCPUSeconds("garbage"); got != -1 {
		t.Errorf("parseCPUSeconds of garbage = %v, want -1", got)
	}
}

// await returns once the acknowledgements asked for have come, whether
// before or after it is called.
func TestAckListenerAwait(t *testing.T) {
	l := &ackListener{}
	l.ack()
	if !l.await(1, time.Minute) {
		t.Fatal("one acknowledgement had come")
	}
	go func() {
		for range 3 {
			l.ack()
		}
	}()
	if !l.await(4, time.Minute) {
		t.Fatal("four acknowledgements had come")
	}
	if n, last := l.count(); n != 4 || last.IsZero() {
		t.Errorf("count = %d, %v; want 4 and the time of the last", n, last)
	}
}
