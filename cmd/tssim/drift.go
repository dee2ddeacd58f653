package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tssim/tssim/internal/drift"
	"github.com/tssim/tssim/internal/record"
)

const driftUsage = `Usage: tssim drift [flags] RECORDING

Replays a recording (tssim record) against tssim, in a world of its own
made from the devices the recording shows, on a manual clock moved as the
recorded callbacks were spaced, and reports where tssim differs: status
codes, error codes and messages, answer shapes, each device's callbacks
(service, status, euiccStatus, codes, callbackCount), and callback times
beyond --tolerance. Values random by nature (requestIds, tokens, times) are
not drift. Exit status: 0 no drift, 1 drift, 2 bad usage, an unreadable
recording, or a tssim that could not be reached.

Flags:
`

// driftCmd runs tssim drift.
func driftCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tssim drift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, driftUsage)
		fs.PrintDefaults()
	}
	var opts drift.Options
	fs.StringVar(&opts.URL, "url", "", "a running tssim to replay against, in a world made and removed there (default: one in process)")
	fs.StringVar(&opts.AdminToken, "admin-token", "", "that tssim's --admin-token, if set")
	fs.DurationVar(&opts.Tolerance, "tolerance", drift.DefaultTolerance, "how far a callback's time after its request may stray from the recorded one")
	fs.StringVar(&opts.Listen, "listen", "127.0.0.1:0", "address of the listener taking tssim's callbacks")
	fs.StringVar(&opts.PublicURL, "public-url", "", "where tssim reaches that listener (default: http:// and the address listened on)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	junit := fs.String("junit", "", "also write the report as JUnit XML to this file")
	path, code := parseWithArg(fs, args, stderr)
	if code >= 0 {
		return code
	}
	rec, err := record.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "tssim drift: %v\n", err)
		return 2
	}
	opts.Name = path
	report, err := drift.Run(ctx, rec, opts)
	if err != nil {
		fmt.Fprintf(stderr, "tssim drift: %s: %v\n", path, err)
		return 2
	}
	if *asJSON {
		err = report.WriteJSON(stdout)
	} else {
		err = report.WriteText(stdout)
	}
	if err == nil && *junit != "" {
		err = writeFile(*junit, report.WriteJUnit)
	}
	if err != nil {
		fmt.Fprintf(stderr, "tssim drift: %v\n", err)
		return 2
	}
	if report.Drift() {
		return 1
	}
	return 0
}

// parseWithArg parses flags around one argument (tssim drift FILE --json
// and tssim drift --json FILE alike); code is -1 unless the command is to
// end with it.
func parseWithArg(fs *flag.FlagSet, args []string, stderr io.Writer) (arg string, code int) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", 0
		}
		return "", 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "%s: a recording is required (%s --help)\n", fs.Name(), fs.Name())
		return "", 2
	}
	arg = fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q: one recording at a time\n", fs.Name(), fs.Arg(0))
		return "", 2
	}
	return arg, -1
}

// writeFile writes a file through write.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fixturesFrom prints the fixtures a recording shows, and writes the
// scenarios it shows into dir when one is given.
func fixturesFrom(path, dir string, stdout, stderr io.Writer) int {
	rec, err := record.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "tssim fixtures: %v\n", err)
		return 2
	}
	d, err := drift.Derive(rec, filepath.Base(path))
	if err != nil {
		fmt.Fprintf(stderr, "tssim fixtures: %v\n", err)
		return 1
	}
	if dir == "" {
		for _, dev := range d.Fixtures.Devices {
			dev.Scenario = ""
		}
		if len(d.Scenarios) > 0 {
			fmt.Fprintf(stderr, "tssim fixtures: %d scenarios seen, not written: give --scenarios DIR to write them and assign them\n", len(d.Scenarios))
		}
	} else {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintf(stderr, "tssim fixtures: %v\n", err)
			return 1
		}
		for _, s := range d.Scenarios {
			err := writeFile(filepath.Join(dir, s.Name+".json"), func(w io.Writer) error {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(s)
			})
			if err != nil {
				fmt.Fprintf(stderr, "tssim fixtures: %v\n", err)
				return 1
			}
		}
	}
	for _, n := range d.Notes {
		fmt.Fprintf(stderr, "tssim fixtures: note: %s\n", n)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(d.Fixtures); err != nil {
		fmt.Fprintf(stderr, "tssim fixtures: %v\n", err)
		return 1
	}
	return 0
}
