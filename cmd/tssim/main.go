// Command tssim runs the ThingSpace eUICC profile API simulator.
//
//	tssim [flags]               serve ThingSpace's paths and /_sim/
//	tssim healthcheck [--addr]  exit 0 when a running tssim answers /_sim/health
//	tssim fixtures              print the built-in demo fixtures
//	tssim contract [flags]      run the contract suite against a client
//	tssim version               print the version, the commit and the Go version
//	tssim record [flags]        record a client's traffic with ThingSpace
//	tssim drift RECORDING       report where tssim differs from a recording
//
// Every flag has an environment variable: --time-scale is TSSIM_TIME_SCALE.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tssim/tssim/fixtures"
	"github.com/tssim/tssim/internal/buildinfo"
	"github.com/tssim/tssim/internal/clock"
	"github.com/tssim/tssim/internal/gen"
	"github.com/tssim/tssim/internal/logline"
	"github.com/tssim/tssim/internal/state"
	"github.com/tssim/tssim/internal/validate"
	"github.com/tssim/tssim/simulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil))
}

const usage = `tssim: a stateful simulator of Verizon ThingSpace's eUICC profile API.

Usage:
  tssim [flags]                 serve ThingSpace's paths and the control API /_sim/
  tssim healthcheck [--addr A]  ask a running tssim for /_sim/health; exit 0 if healthy
  tssim fixtures [--devices N]  print the built-in demo fixtures (a template for --fixtures),
                                with N generated devices added
  tssim contract [flags]        run the contract suite against your client (tssim contract --help)
  tssim record --upstream URL --out FILE
                                record your client's calls to ThingSpace and its callbacks, secrets
                                replaced (tssim record --help)
  tssim drift RECORDING         replay a recording against tssim and report where tssim differs;
                                exit 1 on drift (tssim drift --help)
  tssim fixtures --from RECORDING [--scenarios DIR]
                                print the devices a recording saw as fixtures, and write each one's
                                callbacks as a scenario into DIR
  tssim check-state FILE        check a --state-file thoroughly (every page, every record, the
                                commits its log holds) without opening it for use; exit 0 when
                                sound (stop tssim first)
  tssim version                 print the version, the commit it was built from and the Go version

Every flag can also be set by its environment variable, named after it:
--time-scale is TSSIM_TIME_SCALE. A flag given on the command line wins.

Flags:
`

// config is the command line turned into options.
type config struct {
	addr string
	// metricsAddr, when set, serves /metrics there, without the admin
	// token.
	metricsAddr string
	logFmt      string
	logLevel    string
	opts        simulator.Options
}

func newFlags(stderr io.Writer) (*flag.FlagSet, *config) {
	fs := flag.NewFlagSet("tssim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := simulator.Defaults()
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	c := &config{}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address; :0 picks a free port, and the chosen address is logged")
	fs.StringVar(&c.opts.Fixtures, "fixtures", "", "JSON file of clients, users, accounts and devices (default: the built-in demo; see 'tssim fixtures')")
	fs.StringVar(&c.opts.Scenarios, "scenarios", "", "folder of extra scenario files, added to the built-in ones")
	fs.StringVar(&c.opts.DefaultScenario, "default-scenario", d.DefaultScenario, "scenario for devices and accounts that have none assigned")
	fs.StringVar(&c.opts.Clock, "clock", d.Clock, "real, or manual: time moves only through POST /_sim/clock/advance")
	fs.StringVar(&c.opts.Auth, "auth", d.Auth, "strict enforces ThingSpace's OAuth and session rules; relaxed accepts any non-empty tokens")
	fs.StringVar(&c.opts.CallbackURL, "callback-url", "", "listener for the callbacks of a service an account registered no listener for")
	fs.StringVar(&c.logFmt, "log-format", "text", "text or json: one line per request and per callback attempt")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.opts.StateFile, "state-file", "", "keep devices, registrations, tokens and pending callbacks in this bbolt database, with its log in FILE.0.log and FILE.1.log while tssim runs, across restarts, kill -9 included: every change is on disk before its request is answered")
	fs.StringVar(&c.opts.AdminToken, "admin-token", "", "when set, /_sim/ (but /_sim/health) and /metrics require 'Authorization: Bearer <token>'")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "also serve the Prometheus metrics at /metrics on this address, without the admin token (e.g. :9090)")
	c.opts.TimeScale = d.TimeScale
	fs.Func("time-scale", fmt.Sprintf("real clock only: 0.01 makes a 5-minute wait take 3s (default %g)", d.TimeScale), func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < clock.MinScale || f > clock.MaxScale {
			return fmt.Errorf("must be a number from %g to %g", clock.MinScale, clock.MaxScale)
		}
		c.opts.TimeScale = f
		return nil
	})
	fs.DurationVar(&c.opts.CallbackTimeout, "callback-timeout", d.CallbackTimeout, "how long one callback attempt may take before it counts as failed")
	fs.DurationVar(&c.opts.RetryInterval, "retry-interval", d.RetryInterval, "time between callback attempts, on the simulator's clock")
	fs.IntVar(&c.opts.JournalSize, "journal-size", d.JournalSize, "requests and callbacks that /_sim/requests and /_sim/callbacks remember (each; the oldest are dropped)")
	fs.IntVar(&c.opts.MaxPending, "max-pending", d.MaxPending, "callbacks not yet delivered that tssim keeps, in all worlds together; past it the oldest of the world holding the most is given up on (journalled as given-up, counted in a log line)")
	fs.IntVar(&c.opts.MaxSessions, "max-sessions", d.MaxSessions, "sessions one user may hold in one world; past it, the oldest is forgotten (a client logging in in a loop holds bounded memory)")
	fs.DurationVar(&c.opts.WorldTTL, "world-ttl", d.WorldTTL, "remove a world (/w/NAME/) after this long unused")
	fs.IntVar(&c.opts.MaxWorlds, "max-worlds", d.MaxWorlds, "worlds (/w/NAME/) that may exist at once, besides the default one")
	fs.StringVar(&c.opts.Worlds, "worlds", d.Worlds, "auto: a request to /w/NAME/ makes the world (with --admin-token, only a request bearing it); explicit: only PUT /_sim/worlds/NAME does")
	fs.IntVar(&c.opts.MaxWorldsPerSource, "max-worlds-per-source", d.MaxWorldsPerSource, "worlds one client address may make when there is no --admin-token")
	fs.IntVar(&c.opts.WorldJournalSize, "world-journal-size", d.WorldJournalSize, "requests and callbacks that each world (/w/NAME/) remembers, each (--journal-size is the default world's)")
	return fs, c
}

// envName is the environment variable of a flag: --time-scale is
// TSSIM_TIME_SCALE.
func envName(flag string) string {
	return "TSSIM_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// setFromEnv gives each flag the value of its environment variable, when
// set; the command line, parsed after, wins.
func setFromEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%s: %v", envName(f.Name), v, e)
			}
		}
	})
	return err
}

// run is main without the process: it returns the exit code. When ready is
// not nil, it receives the listening address once the server serves.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) int {
	if len(args) > 0 {
		switch args[0] {
		case "healthcheck":
			return healthcheck(ctx, args[1:], getenv, stdout, stderr)
		case "fixtures":
			return printFixtures(args[1:], stdout, stderr)
		case "contract":
			return contract(ctx, args[1:], getenv, stdout, stderr)
		case "record":
			return recordCmd(ctx, args[1:], stdout, stderr, ready)
		case "drift":
			return driftCmd(ctx, args[1:], stdout, stderr)
		case "check-state":
			return checkState(args[1:], stdout, stderr)
		case "version", "--version", "-version":
			fmt.Fprintln(stdout, buildinfo.Read().Line("tssim"))
			return 0
		}
	}
	fs, c := newFlags(stderr)
	if err := setFromEnv(fs, getenv); err != nil {
		fmt.Fprintf(stderr, "tssim: %v\n", err)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tssim: unexpected argument %q (see tssim --help)\n", fs.Arg(0))
		return 2
	}
	logs := newFlushingWriter(stderr, 100*time.Millisecond)
	defer logs.Close()
	log, err := newLogger(logs, c.logFmt, c.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "tssim: %v\n", err)
		return 2
	}
	c.opts.Logger = log
	srv, err := simulator.New(c.opts)
	if err != nil {
		fmt.Fprintf(stderr, "tssim: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		fmt.Fprintf(stderr, "tssim: %v\n", err)
		return 1
	}
	errc := make(chan error, 2)
	if c.metricsAddr != "" {
		mln, err := net.Listen("tcp", c.metricsAddr)
		if err != nil {
			fmt.Fprintf(stderr, "tssim: --metrics-addr: %v\n", err)
			return 1
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.MetricsHandler())
		ms := newHTTPServer(mux, time.Minute)
		defer ms.Close()
		go func() { errc <- ms.Serve(mln) }()
		log.Info("metrics listening", "addr", mln.Addr().String(), "url", "http://"+mln.Addr().String()+"/metrics")
	}
	hs := newHTTPServer(srv.Handler(), time.Minute)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("tssim listening", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String(), "dashboard", "http://"+ln.Addr().String()+"/_sim/ui")
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "tssim: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	log.Info("tssim stopping: draining requests and callback attempts")
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	code := 0
	if err := hs.Shutdown(shutdown); err != nil {
		log.Error("shutdown", "error", err)
		code = 1
	}
	if err := srv.Close(shutdown); err != nil {
		log.Error("shutdown", "error", err)
		code = 1
	}
	return code
}

// newHTTPServer bounds every phase of a connection: a client that sends its
// headers or body too slowly is cut off after readTimeout, and an answer
// may take as long as the longest /_sim/callbacks wait.
func newHTTPServer(h http.Handler, readTimeout time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(10*time.Second, readTimeout),
		ReadTimeout:       readTimeout,
		WriteTimeout:      simulator.MaxWait + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// newLogger writes what slog's text or JSON handler writes, the request and
// callback lines at a fraction of the cost.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: must be debug, info, warn or error", level)
	}
	switch format {
	case "text":
		return slog.New(logline.NewTextHandler(w, lv)), nil
	case "json":
		return slog.New(logline.NewJSONHandler(w, lv)), nil
	}
	return nil, fmt.Errorf("--log-format %q: must be text or json", format)
}

// printFixtures prints the demo fixtures, with generated devices if asked.
func printFixtures(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tssim fixtures", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("devices", 0, "add this many generated Active devices (EIDs 89049032000…, one enabled local profile each)")
	account := fs.String("account", "1223334444-00001", "the account of the generated devices")
	from := fs.String("from", "", "print the fixtures a recording (tssim record) shows instead")
	scenarios := fs.String("scenarios", "", "with --from: write each device's recorded callbacks as a scenario into this folder")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *from != "" {
		return fixturesFrom(*from, *scenarios, stdout, stderr)
	}
	if *n == 0 {
		_, _ = stdout.Write(fixtures.Demo)
		return 0
	}
	v, err := validate.NewValidator()
	if err != nil {
		fmt.Fprintf(stderr, "tssim fixtures: %v\n", err)
		return 1
	}
	f, err := v.LoadFixtures("built-in demo fixtures", fixtures.Demo)
	if err != nil {
		fmt.Fprintf(stderr, "tssim fixtures: %v\n", err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(gen.WithDevices(f, *account, *n)); err != nil {
		fmt.Fprintf(stderr, "tssim fixtures: %v\n", err)
		return 1
	}
	return 0
}

// checkState runs bbolt's own check of every page of a state file, and
// reads every record against its checksum. tssim verifies the records at
// every start; the page check is here, in a process of its own, since a
// damaged page can crash the goroutine bbolt runs it in.
func checkState(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: tssim check-state FILE")
		return 2
	}
	if _, err := os.Stat(args[0]); err != nil {
		fmt.Fprintf(stderr, "tssim check-state: %v\n", err)
		return 2
	}
	if err := state.Verify(args[0], true); err != nil {
		fmt.Fprintf(stderr, "tssim check-state: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "state file %s is sound: every page, every record and the commits its log holds checked\n", args[0])
	return 0
}

// healthcheck asks a running tssim whether it is healthy.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tssim healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := getenv("TSSIM_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	fs.StringVar(&addr, "addr", addr, "address of the running tssim")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	path := fs.String("path", "/_sim/health", "the path to ask (tsclient listen answers /health)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintf(stderr, "tssim healthcheck: --addr %q: %v\n", addr, err)
		return 2
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + *path
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "tssim healthcheck: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "tssim healthcheck: %s answered %d: %s\n", url, resp.StatusCode, body)
		return 1
	}
	fmt.Fprintf(stdout, "%s", body)
	return 0
}
