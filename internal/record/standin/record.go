package standin

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tssim/tssim/internal/record"
)

// Recorded is a life recorded against a stand-in.
type Recorded struct {
	// Path is the recording; Tokens the tokens the life was given;
	// Callbacks how many callbacks the client's listener took.
	Path      string
	Tokens    []string
	Callbacks int
}

// Record records Life against a stand-in (planted or not) through a
// recording proxy on 127.0.0.1 that reads the stand-in's clock, to
// dir/name.
func Record(ctx context.Context, dir, name string, planted bool) (*Recorded, error) {
	s, err := Start(dir, planted)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	l := NewListener()
	defer l.Close()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	p, err := record.New(record.Options{Upstream: s.URL, PublicURL: base, ClockName: record.ClockUpstream,
		Clock: record.UpstreamClock(s.URL, s.client, nil)}, f)
	if err != nil {
		ln.Close()
		return nil, err
	}
	hs := &http.Server{Handler: p.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	tokens, lifeErr := Life(ctx, base, s, l)
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = errors.Join(lifeErr, hs.Shutdown(shutdown), p.Close(), f.Close())
	return &Recorded{Path: path, Tokens: tokens, Callbacks: len(l.Callbacks())}, err
}

// SecretsIn returns the secrets of the life (Secrets, the tokens it was
// given, the app's Basic credentials) that the file at path holds: none,
// for a recording.
func SecretsIn(path string, tokens []string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	secrets := append(slices.Clone(Secrets), tokens...)
	for _, s := range []string{AppSecret, WrongAppSecret} {
		secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(AppKey+":"+s)))
	}
	var found []string
	for _, s := range secrets {
		if s != "" && bytes.Contains(b, []byte(s)) {
			found = append(found, s)
		}
	}
	return found, nil
}
