package main

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tssim/tssim/simulator"
)

// A client that sends its body slowly is cut off, and others are served.
func TestSlowBodyIsCutOff(t *testing.T) {
	srv, err := simulator.New(simulator.Options{Clock: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := newHTTPServer(srv.Handler(), 200*time.Millisecond)
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	_, _ = conn.Write([]byte("POST /api/m2m/v1/session/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"user"))
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		resp.Body.Close()
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("the slow client held the connection %s", el)
	}
	r, err := http.Get("http://" + ln.Addr().String() + "/_sim/health")
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("after the slow client: %v %v", r, err)
	}
	r.Body.Close()
	if resp != nil && !strings.HasPrefix(resp.Status, "4") && !strings.HasPrefix(resp.Status, "5") {
		t.Errorf("the slow client got %s", resp.Status)
	}
}
