package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// --metrics-addr serves /metrics, and only it, without the admin token
// the main address asks for.
func TestMetricsAddr(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metrics := l.Addr().String()
	_ = l.Close()
	var logs syncBuffer
	addr, stop := serve([]string{"--admin-token", "s3cret", "--metrics-addr", metrics}, env(nil), &logs)
	for _, tt := range []struct {
		url    string
		status int
		body   string
	}{
		{"http://" + metrics + "/metrics", 200, "\ntssim_worlds 1\n"},
		{"http://" + metrics + "/_sim/health", 404, ""},
		{"http://" + addr + "/metrics", 401, "admin token"},
	} {
		resp, err := http.Get(tt.url)
		if err != nil {
			t.Error(err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.body) {
			t.Errorf("GET %s: %d %.200s, want %d and %q", tt.url, resp.StatusCode, body, tt.status, tt.body)
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d; logs:\n%s", code, logs.String())
	}
	if !strings.Contains(logs.String(), "metrics listening") {
		t.Errorf("no line says where the metrics are served:\n%s", logs.String())
	}
}
