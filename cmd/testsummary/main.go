// Command testsummary runs `go test -json` in one module after another
// and reads its events through a pipe: it streams each package's result
// line and each failing test's output as they come, and ends with what a
// person reads at a glance, the tests passed, failed and skipped per
// module and in total (subtests count as tests), the skipped tests with
// their reasons, and a last line `N passed, N failed, N skipped` for tools.
//
// It exits 1 when a test or a package failed, when a go test failed
// without one, or when a test named by --require-run skipped or did not
// run; 2 on bad usage.
//
//	testsummary [--go GO] [--require-run NAMES] DIR... -- GO-TEST-ARGS...
//
// `make test` runs it on the repository's three modules; .ci/run names the
// tests CI must run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("testsummary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: testsummary [--go GO] [--require-run NAMES] DIR... -- GO-TEST-ARGS...")
		fs.PrintDefaults()
	}
	goBin := fs.String("go", "go", "the go command")
	requireRun := fs.String("require-run", "", "tests (comma- or space-separated names, such as TestA,TestB/sub) that must run: the summary fails when one skipped or did not run")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	rest := fs.Args()
	dirs, testArgs := splitArgs(rest)
	if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
		dirs, testArgs = nil, rest // the flag package took the "--"
	}
	if len(dirs) == 0 {
		fmt.Fprintln(stderr, "testsummary: name the modules' folders, then -- and go test's arguments")
		return 2
	}
	s := newSummary(stdout)
	for _, dir := range dirs {
		name := moduleName(dir)
		if err := s.goTest(ctx, *goBin, dir, name, testArgs, stderr); err != nil {
			s.moduleFailed(name, err.Error())
		}
	}
	missing := s.missing(strings.FieldsFunc(*requireRun, func(r rune) bool { return r == ',' || r == ' ' }))
	s.print(missing)
	total := count{}
	for _, c := range s.counts {
		total.add(*c)
	}
	if total.failed > 0 || len(missing) > 0 {
		return 1
	}
	return 0
}

// splitArgs parses DIR... -- ARGS...
func splitArgs(args []string) (dirs, testArgs []string) {
	for i, a := range args {
		if a == "--" {
			return args[:i], args[i+1:]
		}
	}
	return args, nil
}

// moduleName names a module by its folder: "root" for the repository's.
func moduleName(dir string) string {
	if d := filepath.Clean(dir); d != "." {
		return filepath.ToSlash(d)
	}
	return "root"
}

// goTest runs go test -json in dir and reads its events; an error is a go
// test that failed with no failure among its events.
func (s *summary) goTest(ctx context.Context, goBin, dir, name string, args []string, stderr io.Writer) error {
	cmd := exec.CommandContext(ctx, goBin, append([]string{"test", "-json"}, args...)...)
	cmd.Dir, cmd.Stderr = dir, stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	rerr := s.read(name, out)
	werr := cmd.Wait()
	switch {
	case rerr != nil:
		return fmt.Errorf("reading go test's output: %w", rerr)
	case werr != nil && s.counts[name].failed == 0:
		return fmt.Errorf("go test %s: %w (see above)", strings.Join(args, " "), werr)
	}
	return nil
}
