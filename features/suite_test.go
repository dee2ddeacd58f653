package features

import (
	"context"
	"flag"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/simulator"
)

var tags = flag.String("godog.tags", "", "run only the scenarios with these tags (godog syntax, such as @client)")

// TestFeatures runs the contract against the Go client in process. The
// environment chooses what is tested:
//
//	TSSIM_URL            a running tssim (started with --clock manual) instead of one in process
//	TSSIM_ADMIN_TOKEN    its --admin-token, if any
//	TSSIM_ADAPTER        a command speaking the adapter protocol (ADAPTER.md) instead of the
//	                     Go client in process; only @client scenarios apply then
//	TSSIM_CALLBACK_LISTEN where the suite's callback proxy listens (default 127.0.0.1:0)
//	TSSIM_CALLBACK_HOST  the host name the simulator reaches that proxy at
func TestFeatures(t *testing.T) {
	runSuite(t, os.Getenv("TSSIM_ADAPTER"))
}

// TestAdapters runs the @client scenarios through the adapter protocol,
// against the reference client's command (tsclient adapter) and against the
// Python standard-library client in adapters/python: the protocol is proven
// with a client in another language.
func TestAdapters(t *testing.T) {
	if os.Getenv("TSSIM_ADAPTER") != "" {
		t.Skip("TSSIM_ADAPTER is set: TestFeatures runs that adapter")
	}
	bin := filepath.Join(t.TempDir(), "tsclient")
	build := exec.Command("go", "build", "-o", bin, "../cmd/tsclient")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building tsclient: %v\n%s", err, out)
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed for the Python adapter: ", err)
	}
	for name, cmd := range map[string]string{
		"tsclient": bin + " adapter",
		"python":   python + " adapters/python/tsclient_adapter.py",
	} {
		t.Run(name, func(t *testing.T) { runSuite(t, cmd) })
	}
}

// runSuite runs the feature files with godog, strict and in random order,
// through adapter (or the Go client in process when "").
func runSuite(t *testing.T, adapter string) {
	cfg := &suiteConfig{
		baseURL:        os.Getenv("TSSIM_URL"),
		adminToken:     os.Getenv("TSSIM_ADMIN_TOKEN"),
		adapter:        adapter,
		callbackListen: os.Getenv("TSSIM_CALLBACK_LISTEN"),
		callbackHost:   os.Getenv("TSSIM_CALLBACK_HOST"),
	}
	if cfg.callbackListen == "" {
		cfg.callbackListen = "127.0.0.1:0"
	}
	if cfg.baseURL == "" {
		srv, err := simulator.New(simulator.Options{Clock: "manual", CallbackTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv.Handler())
		defer func() {
			hs.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Close(ctx)
		}()
		cfg.baseURL = hs.URL
	} else if err := checkManualClock(cfg); err != nil {
		t.Fatal(err)
	}
	tagExpr := *tags
	if cfg.adapter != "" && tagExpr == "" {
		tagExpr = "@client"
	}
	suite := godog.TestSuite{
		Name: "tssim contract",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			w := newWorld(cfg)
			sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
				p, err := newFaultProxy(cfg.callbackListen, cfg.callbackHost)
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
		},
		Options: &godog.Options{
			Format:    "progress",
			Paths:     []string{"."},
			Strict:    true,
			NoColors:  true,
			Randomize: -1,
			Tags:      tagExpr,
			TestingT:  t,
		},
	}
	if suite.Run() != 0 {
		t.Fatal("the contract suite failed")
	}
}

// checkManualClock makes sure a running simulator's clock can be advanced.
func checkManualClock(cfg *suiteConfig) error {
	a := client.NewAdmin(cfg.baseURL, nil, cfg.adminToken)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Health(ctx); err != nil {
		return err
	}
	_, err := a.Advance(ctx, 0)
	return err
}
