package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/tssim/tssim/features"
)

const contractUsage = `tssim contract: run tssim's contract (the feature files built into this
binary) against a client, and exit 0 when every scenario passed, 1 when one
failed, 2 on bad usage, tags that select no scenario, no simulator, or an
adapter that does not answer hello.

Usage:
  tssim contract                              the Go reference client, a simulator in process
  tssim contract --adapter "python3 a.py"     your client behind the adapter protocol, on stdin/stdout
  tssim contract --adapter-url URL            the same protocol over HTTP (a client in another container)
  tssim contract --url http://127.0.0.1:8080  against a running tssim (started with --clock manual)
  tssim contract --list                       the scenarios, their tags and what each checks

The adapter protocol is features/ADAPTER.md; every adapter answer is
checked against its JSON Schemas (features/adapter-schemas/), and a wrong
field is reported by name. With an adapter, only the @client scenarios run
unless --tags says otherwise, and of the capabilities beyond the base
protocol only those its hello declares are graded (the summary says which
were not): %s.
Nothing is cached: every run runs every scenario it selects, in a random
order (--seed repeats one).
Every flag can also be set by its environment variable: --adapter-url is
TSSIM_ADAPTER_URL.

The simulator waits %s for your listener's answer to a callback (tssim's
default --callback-timeout; give a running tssim the same): an answer after
that, even a 2xx, counts as failed, the callback comes again 5 minutes later,
and the @acknowledges scenarios report the answer late.

--tags takes a tag expression: '@a or @b', '@a and not @b', parentheses, and
godog's forms too: '@a,@b', '@a && ~@b', '@a || @b'. A tag no scenario has is
refused, and so is an expression that selects no scenario (exit 2).

Flags:
`

// formats is a repeatable --format.
type formats []string

func (f *formats) String() string     { return strings.Join(*f, ",") }
func (f *formats) Set(v string) error { *f = append(*f, strings.Split(v, ",")...); return nil }

// contract runs the contract suite.
func contract(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tssim contract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, contractUsage, strings.Join(features.OptionalCapabilities(), ", "), features.CallbackTimeout)
		fs.PrintDefaults()
	}
	var c features.Config
	var list bool
	var fmts formats
	fs.StringVar(&c.Adapter, "adapter", "", "command of your client's adapter, speaking JSON lines on stdin/stdout; run with sh -c in this folder")
	fs.StringVar(&c.AdapterURL, "adapter-url", "", "URL of your client's adapter, taking the same JSON as HTTP POSTs")
	fs.StringVar(&c.URL, "url", "", "a running tssim, started with --clock manual (default: one in process)")
	fs.StringVar(&c.AdminToken, "admin-token", "", "the --admin-token of the running tssim, if it has one")
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:0", "where the in-process simulator listens")
	fs.StringVar(&c.ClientURL, "client-url", "", "the simulator's URL as your client reaches it (default: the simulator's own URL)")
	fs.StringVar(&c.CallbackListen, "callback-listen", "127.0.0.1:0", "where the suite's callback proxy listens, in front of your client's listener")
	fs.StringVar(&c.CallbackHost, "callback-host", "", "the host name the simulator (and your client) reach that proxy at (default: its listen address)")
	fs.StringVar(&c.Tags, "tags", "", "run the scenarios this tag expression selects, such as '@client and not @burst' (default: all; @client with an adapter)")
	fs.Var(&fmts, "format", "pretty, progress, junit:FILE or cucumber:FILE; repeat it for several (default: pretty on a terminal, else progress)")
	fs.Int64Var(&c.Seed, "seed", 0, "the order of the scenarios: the seed a run printed repeats its order (default: random)")
	fs.IntVar(&c.Concurrency, "concurrency", 1, "scenarios run at once, each in a simulator world of its own (/w/NAME/); more than 1 needs --adapter or the Go client")
	fs.BoolVar(&list, "list", false, "list the scenarios with their tags and what each checks, and exit")
	if err := setFromEnv(fs, getenv); err != nil {
		fmt.Fprintf(stderr, "tssim contract: %v\n", err)
		return features.BadSetup
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return features.BadSetup
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tssim contract: unexpected argument %q (see tssim contract --help)\n", fs.Arg(0))
		return features.BadSetup
	}
	if list {
		if err := listScenarios(stdout); err != nil {
			fmt.Fprintf(stderr, "tssim contract: %v\n", err)
			return 1
		}
		return 0
	}
	c.Formats = fmts
	if len(c.Formats) == 0 {
		c.Formats = []string{"progress"}
		if isTerminal(stdout) {
			c.Formats = []string{"pretty"}
		}
	}
	c.Stdout, c.Stderr = stdout, stderr
	return features.Run(ctx, c)
}

// listScenarios prints each scenario on a line, then what each
// capability tag checks.
func listScenarios(w io.Writer) error {
	scs, err := features.Scenarios()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range scs {
		fmt.Fprintf(tw, "%s:%d\t%s\t%s\n", s.File, s.Line, strings.Join(s.Tags, " "), s.Name)
	}
	fmt.Fprintln(tw, "\nWhat each capability tag checks of a client:")
	for _, c := range features.Capabilities() {
		fmt.Fprintf(tw, "%s\t%s\n", c[0], c[1])
	}
	fmt.Fprintf(tw, "\nAn adapter's client is graded on these only when its hello declares them in \"capabilities\": %s\n",
		strings.Join(features.OptionalCapabilities(), ", "))
	return tw.Flush()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
