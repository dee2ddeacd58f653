package simulator

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"
)

// HTTPSender POSTs callbacks with keep-alive connections.
type HTTPSender struct {
	Client *http.Client
}

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
	return &HTTPSender{Client: &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Send POSTs body to the listener's URL as JSON.
func (s *HTTPSender) Send(ctx context.Context, l Listener, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tssim-callback/1")
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
