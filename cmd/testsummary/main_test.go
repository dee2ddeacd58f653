package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// writeModule writes a Go module of tests into a folder of its own.
func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/m\n\ngo 1.26\n"
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const passing = `package m

import "testing"

func TestPasses(t *testing.T) { t.Log("fine") }

func TestSkips(t *testing.T) {
	t.Log("looking for chromium")
	t.Skip("no Chromium on PATH: install chromium")
}

func TestParent(t *testing.T) {
	t.Run("one", func(t *testing.T) {})
	t.Run("two", func(t *testing.T) { t.Skip("not today") })
}
`

func summarize(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := run(context.Background(), args, &out, &errs)
	return code, out.String() + errs.String()
}

// A run that passes: counts per module and in total, subtests included,
// each skipped test with its reason, and the plain last line.
func TestASummaryAtAGlance(t *testing.T) {
	a := writeModule(t, map[string]string{"a_test.go": passing})
	b := writeModule(t, map[string]string{"b_test.go": "package m\n\nimport \"testing\"\n\nfunc TestB(t *testing.T) {}\n"})
	code, out := summarize(t, a, b, "--", "-count=1", "./...")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"ok  \texample.com/m\t",
		"TestSkips (" + filepath.ToSlash(a) + ", example.com/m): no Chromium on PATH: install chromium\n",
		"TestParent/two (" + filepath.ToSlash(a) + ", example.com/m): not today\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary does not say %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`\n  total +4 +0 +2\n`).MatchString(out) {
		t.Errorf("the total row is not 4 passed, 0 failed, 2 skipped:\n%s", out)
	}
	if !strings.HasSuffix(out, "\n4 passed, 0 failed, 2 skipped\n") {
		t.Errorf("the last line is not the plain count:\n%s", out)
	}
	if strings.Contains(out, "fine") || strings.Contains(out, "=== RUN") {
		t.Errorf("a passing test's output is shown:\n%s", out)
	}
}

// A failing test's output is shown as it fails, a package that does not
// build is a failure with its compiler's words, and the exit status is 1.
func TestFailuresAreShownAndFailTheRun(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"a_test.go": passing + `
func TestFails(t *testing.T) {
	t.Run("sub", func(t *testing.T) { t.Error("boom\nsecond line") })
}
`,
		"broken/b.go":      "package broken\n\nfunc f() { undefinedName() }\n",
		"broken/b_test.go": "package broken\n",
	})
	code, out := summarize(t, dir, "--", "-count=1", "./...")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		"--- FAIL: TestFails/sub (example.com/m)\n    a_test.go:", "boom\n        second line\n",
		"--- FAIL: package example.com/m/broken\n", "undefined: undefinedName",
		"Failed:\n", "example.com/m TestFails/sub\n",
		"\n3 passed, 3 failed, 2 skipped\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary does not say %q:\n%s", want, out)
		}
	}
}

// A test CI must run fails the run when it skipped or did not run at all.
func TestRequiredTestsMustRun(t *testing.T) {
	dir := writeModule(t, map[string]string{"a_test.go": passing})
	code, out := summarize(t, "--require-run", "TestPasses,TestParent/one", dir, "--", "-count=1", "./...")
	if code != 0 {
		t.Errorf("exit %d with every required test run:\n%s", code, out)
	}
	code, out = summarize(t, "--require-run", "TestPasses TestSkips,TestGone", dir, "--", "-count=1", "./...")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		"TestSkips skipped: no Chromium on PATH: install chromium\n",
		"TestGone did not run",
		"\n3 passed, 0 failed, 2 skipped\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary does not say %q:\n%s", want, out)
		}
	}
}

// A go test that cannot start (no folder there), or finds no module,
// fails the run, and says so.
func TestAGoTestThatCannotStartFails(t *testing.T) {
	for _, dir := range []string{filepath.Join(t.TempDir(), "gone"), t.TempDir()} {
		code, out := summarize(t, dir, "--", "./...")
		if code != 1 || !strings.Contains(out, "Failed:\n  "+filepath.ToSlash(dir)+": ") || !strings.HasSuffix(out, "0 passed, 1 failed, 0 skipped\n") {
			t.Errorf("%s: exit %d:\n%s", dir, code, out)
		}
	}
}

func TestBadUsage(t *testing.T) {
	if code, out := summarize(t, "--", "./..."); code != 2 || !strings.Contains(out, "name the modules' folders") {
		t.Errorf("exit %d: %s", code, out)
	}
}

func TestModuleNames(t *testing.T) {
	for dir, want := range map[string]string{".": "root", "./": "root", "tssimtest/usertest": "tssimtest/usertest", "testcontainers/": "testcontainers"} {
		if got := moduleName(dir); got != want {
			t.Errorf("moduleName(%q) = %q, want %q", dir, got, want)
		}
	}
}
