package client

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// The token is renewed a minute before it expires, by the client's clock.
func TestTokenRenewedBeforeExpiry(t *testing.T) {
	var fetched atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := fetched.Add(1)
		fmt.Fprintf(w, `{"access_token":"t%d","token_type":"bearer","expires_in":3600}`, n)
	}))
	defer srv.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c, err := New(srv.URL, WithCredentials("k", "s"), WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, step := range []struct {
		after time.Duration
		want  string
	}{{0, "t1"}, {58 * time.Minute, "t1"}, {time.Minute + time.Second, "t2"}} {
		now = now.Add(step.after)
		tok, err := c.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if tok != step.want {
			t.Errorf("after %s: token %s, want %s", step.after, tok, step.want)
		}
	}
}
