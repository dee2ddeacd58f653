package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/tssim/tssim/internal/record"
)

const recordUsage = `Usage: tssim record --upstream URL --out FILE [flags]

A recording proxy between your client and ThingSpace (or a stand-in).
Point the client at --addr instead of ThingSpace: every call is forwarded
and recorded. When the client registers a callback listener, the proxy
registers its own (under --public-url) instead, forwards each callback to
the client's listener and records it with the client's answer. Secrets
(the app secret, passwords, both tokens, callback credentials) are
replaced by labels before anything is written. Stop it with Ctrl-C (or
SIGTERM) to end the recording. The recording is JSON lines
(schemas/recording.json); replay it with tssim drift.

Flags:
`

// recordCmd runs tssim record until ctx ends.
func recordCmd(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) int {
	fs := flag.NewFlagSet("tssim record", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, recordUsage)
		fs.PrintDefaults()
	}
	upstream := fs.String("upstream", "", "base URL of ThingSpace, or of a stand-in (required)")
	addr := fs.String("addr", "127.0.0.1:8090", "listen address for the client's calls and the upstream's callbacks; :0 picks a free port")
	public := fs.String("public-url", "", "base URL at which the upstream reaches this proxy, for callbacks (default: http:// and the address listened on)")
	out := fs.String("out", "", "the recording to write (required; replaced if it exists)")
	clockName := fs.String("clock", record.ClockWall, "wall, or upstream: read each line's time from the upstream tssim's GET /_sim/clock (a stand-in on a manual clock)")
	cbTimeout := fs.Duration("callback-timeout", 30*time.Second, "how long the client's listener may take to answer a callback")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "tssim record: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *upstream == "" || *out == "":
		fmt.Fprintln(stderr, "tssim record: --upstream and --out are required (tssim record --help)")
		return 2
	case *clockName != record.ClockWall && *clockName != record.ClockUpstream:
		fmt.Fprintf(stderr, "tssim record: --clock %q: must be wall or upstream\n", *clockName)
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "tssim record: %v\n", err)
		return 2
	}
	if *public == "" {
		*public = "http://" + ln.Addr().String()
	}
	f, err := os.Create(*out)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "tssim record: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	opts := record.Options{Upstream: *upstream, PublicURL: *public, CallbackTimeout: *cbTimeout, Logger: log}
	if *clockName == record.ClockUpstream {
		opts.Clock, opts.ClockName = record.UpstreamClock(*upstream, &http.Client{Timeout: 10 * time.Second}, log), record.ClockUpstream
	}
	p, err := record.New(opts, f)
	if err != nil {
		ln.Close()
		f.Close()
		fmt.Fprintf(stderr, "tssim record: %v\n", err)
		return 2
	}
	hs := newHTTPServer(p.Handler(), time.Minute)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "tssim record: recording to %s; point your client at http://%s (upstream %s, callbacks at %s%s)\n",
		*out, ln.Addr(), *upstream, *public, record.CallbackPath)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	code := 0
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "tssim record: %v\n", err)
		code = 1
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := errors.Join(hs.Shutdown(shutdown), p.Close(), f.Close()); err != nil {
		fmt.Fprintf(stderr, "tssim record: %v\n", err)
		return 1
	}
	x, c := p.Counts()
	fmt.Fprintf(stdout, "tssim record: %s written (requests: %d, callbacks: %d)\n", *out, x, c)
	return code
}
