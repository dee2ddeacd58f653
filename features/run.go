package features

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"github.com/tssim/tssim/simulator"
)

// Exit codes of a run.
const (
	Passed   = 0 // every scenario passed
	Failed   = 1 // a scenario failed
	BadSetup = 2 // bad options, no scenario selected, no simulator, or an adapter that does not answer hello
)

// CallbackTimeout is how long the contract's simulator waits for the
// client's listener to answer a callback before it counts the delivery as
// failed and sends the callback again later: tssim's default
// --callback-timeout, so that a running tssim (Config.URL) started with
// its defaults agrees.
const CallbackTimeout = 10 * time.Second

// Config is what a contract run checks and how it reports. The zero value
// runs every scenario against the Go reference client and a simulator in
// process.
type Config struct {
	// Adapter is a command speaking the adapter protocol on stdin and
	// stdout (ADAPTER.md), run with sh -c in Dir; AdapterURL, an adapter
	// taking the same requests as HTTP POSTs. With neither, the Go
	// reference client runs in process.
	Adapter, AdapterURL string
	Dir                 string

	// URL is a running tssim on a manual clock, and AdminToken its
	// --admin-token; "" starts a simulator in process, listening on Listen
	// (default 127.0.0.1:0).
	URL, AdminToken, Listen string
	// ClientURL is the simulator's URL as the client under test reaches it
	// (default: URL, or the in-process simulator's).
	ClientURL string
	// CallbackListen is where the suite's callback proxy listens (default
	// 127.0.0.1:0); CallbackHost, the host the simulator reaches it at, and
	// the client too in the scenario that holds answers.
	CallbackListen, CallbackHost string
	// CallbackTimeout replaces the package's CallbackTimeout: the
	// in-process simulator's wait for a listener's answer, past which the
	// suite reports an answer late. A running tssim has its own.
	CallbackTimeout time.Duration

	// Tags selects scenarios: a tag expression such as "@client and not
	// @burst", also in godog's syntax ("@client && ~@burst", "@a,@b");
	// with an adapter, "" is "@client". A tag no scenario has, or an
	// expression that selects none, is bad setup.
	Tags string
	// Formats are reports, each "name" or "name:FILE": pretty, progress,
	// junit, cucumber. "" is progress. Without a FILE a report goes to
	// Stdout; when a junit or cucumber one does, the summary goes to
	// Stderr.
	Formats []string
	// Seed orders the scenarios; 0 picks one at random (and says it).
	Seed int64
	// Concurrency is how many scenarios run at once (default 1), each in
	// a simulator world of its own. More than 1 needs Adapter or the Go
	// client: an HTTP adapter serves one scenario at a time.
	Concurrency int

	Stdout, Stderr io.Writer
	// T, when set, runs each scenario as a subtest of a go test.
	T *testing.T
}

// Run runs the contract and returns Passed, Failed or BadSetup. It says
// why on Stderr when it cannot run, and ends with a summary of the failures
// on Stdout, each with the capability of the client it checks.
func Run(ctx context.Context, c Config) int {
	c.defaults()
	fail := func(format string, args ...any) int {
		fmt.Fprintf(c.Stderr, "tssim contract: "+format+"\n", args...)
		return BadSetup
	}
	if c.Adapter != "" && c.AdapterURL != "" {
		return fail("give --adapter or --adapter-url, not both")
	}
	if u, err := url.Parse(c.URL); err == nil && strings.Contains(u.Path+"/", simulator.WorldPrefix) {
		return fail("--url %s is a world's URL: give tssim's own (each scenario runs in a world of its own)", c.URL)
	}
	if c.Concurrency > 1 && c.AdapterURL != "" {
		return fail("--concurrency %d needs --adapter (a process per scenario) or the Go client: an --adapter-url serves one scenario at a time", c.Concurrency)
	}
	tags, selected, err := selectTags(c.Tags)
	if err != nil {
		return fail("%v", err)
	}
	if selected == 0 {
		return fail("--tags %q selects no scenario: a run that tests nothing fails (tssim contract --list shows each scenario's tags)", c.Tags)
	}
	out, err := openFormats(c.Formats, c.Stdout)
	if err != nil {
		return fail("%v", err)
	}
	defer out.close()
	summary := c.Stdout
	if out.machineOnStdout {
		summary = c.Stderr
	}
	s, err := c.setup()
	if err != nil {
		return fail("%v", err)
	}
	if c.URL == "" {
		stop, err := startSimulator(c.Listen, c.CallbackTimeout, s)
		if err != nil {
			return fail("starting the simulator: %v", err)
		}
		defer stop()
	} else if err := checkManualClock(ctx, s.simURL, s.adminToken); err != nil {
		return fail("%v", err)
	}
	if s.clientURL == "" {
		s.clientURL = s.simURL
	}
	rep := &report{}
	if c.Adapter != "" || c.AdapterURL != "" {
		g, err := greet(s, c.Adapter)
		if err != nil {
			return fail("%v", err)
		}
		if tags, err = rep.grade(c.Tags, g); err != nil {
			return fail("%v", err)
		}
	}
	suite := godog.TestSuite{
		Name: "tssim contract",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			w := newWorld(s)
			rep.watch(sc, func(sc *godog.ScenarioContext) {
				sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
					p, err := newProxy(s, w.simURL)
					w.proxy = p
					return ctx, err
				})
				sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
					if cerr := w.close(); cerr != nil && err == nil {
						return ctx, cerr
					}
					return ctx, nil
				})
				w.steps(sc)
			})
		},
		Options: &godog.Options{
			Format:         out.godog,
			FS:             files,
			Paths:          []string{"."},
			Strict:         true,
			NoColors:       true,
			Randomize:      c.Seed,
			Concurrency:    c.Concurrency,
			Tags:           tags,
			Output:         out.godogOutput,
			TestingT:       c.T,
			DefaultContext: ctx,
		},
	}
	rep.started = time.Now()
	code := suite.Run()
	rep.finished = time.Now()
	if err := out.writeJUnit(rep); err != nil {
		return fail("writing the JUnit report: %v", err)
	}
	rep.print(summary)
	ran, _ := rep.counts()
	switch {
	case ran == 0 && code != 0:
		return fail("godog could not run the suite (exit %d): see above", code)
	case ran == 0:
		return fail("no scenario ran: a run that tests nothing fails")
	case code == 0:
		return Passed
	}
	return Failed
}

func (c *Config) defaults() {
	if c.Stdout == nil {
		c.Stdout = io.Discard
	}
	if c.Stderr == nil {
		c.Stderr = io.Discard
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	if c.CallbackListen == "" {
		c.CallbackListen = "127.0.0.1:0"
	}
	if c.CallbackTimeout <= 0 {
		c.CallbackTimeout = CallbackTimeout
	}
	if c.Tags == "" && (c.Adapter != "" || c.AdapterURL != "") {
		c.Tags = "@client"
	}
	if len(c.Formats) == 0 {
		c.Formats = []string{"progress"}
	}
	if c.Seed == 0 {
		c.Seed = -1
	}
	if c.Concurrency < 1 {
		c.Concurrency = 1
	}
}

// setup turns the configuration into what each scenario's world uses.
func (c *Config) setup() (*setup, error) {
	wire, err := compileWireSchemas()
	if err != nil {
		return nil, err
	}
	proto, err := compileProtocol()
	if err != nil {
		return nil, err
	}
	s := &setup{
		simURL: strings.TrimRight(c.URL, "/"), clientURL: strings.TrimRight(c.ClientURL, "/"), adminToken: c.AdminToken,
		callbackListen: c.CallbackListen, callbackHost: c.CallbackHost, schemas: wire, protocol: proto, callbackTimeout: c.CallbackTimeout,
		run: strconv.FormatInt(time.Now().UnixNano()%(1<<40), 36),
	}
	switch {
	case c.Adapter != "":
		s.newDriver = func() driver {
			return &adapterDriver{transport: &commandTransport{command: c.Adapter, dir: c.Dir, stderr: c.Stderr}, protocol: proto}
		}
	case c.AdapterURL != "":
		hc := &http.Client{Timeout: time.Minute}
		s.newDriver = func() driver {
			return &adapterDriver{transport: &httpTransport{url: c.AdapterURL, hc: hc}, protocol: proto}
		}
	default:
		s.newDriver = func() driver { return &goDriver{} }
	}
	return s, nil
}

// startSimulator serves a simulator on a manual clock and sets s.simURL.
func startSimulator(listen string, timeout time.Duration, s *setup) (stop func(), err error) {
	sim, err := simulator.New(simulator.Options{Clock: "manual", CallbackTimeout: timeout})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		_ = sim.Close(context.Background())
		return nil, err
	}
	hs := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.simURL = "http://" + net.JoinHostPort(host, port)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		_ = sim.Close(ctx)
	}, nil
}

// greet checks, before any scenario, that the adapter starts and answers
// hello as the protocol says, and returns its answer; a command's standard
// error is shown when it does not.
func greet(s *setup, command string) (greeting, error) {
	var stderr strings.Builder
	d := s.newDriver().(*adapterDriver)
	if t, ok := d.transport.(*commandTransport); ok {
		t.stderr = &limitedWriter{w: &stderr, left: 8 << 10}
	}
	g, err := d.hello(creds{BaseURL: s.clientURL, AppKey: "demo-key", AppSecret: "demo-secret", Username: "demo", Password: "demo"})
	cerr := d.close()
	if err == nil {
		err = cerr
	}
	if err == nil {
		return g, nil
	}
	err = fmt.Errorf("the adapter does not answer hello: %w", err)
	if command != "" && stderr.Len() > 0 {
		err = fmt.Errorf("%w\nits standard error:\n%s", err, stderr.String())
	}
	return greeting{}, err
}

// limitedWriter keeps the first bytes written to it and drops the rest.
type limitedWriter struct {
	w    io.Writer
	left int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	n := min(len(p), l.left)
	l.left -= n
	_, err := l.w.Write(p[:n])
	return len(p), err
}
