package thingspace_test

import (
	"bytes"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tssim/tssim/internal/thingspace"
	"github.com/tssim/tssim/schemas"
)

// Every operation is complete and can be served: a plain name, a method,
// a path under /api/, a summary, a handler, a schema of schemas/ that
// compiles; operations sharing a method and path need the same
// credentials and exactly one of them takes the bodies the others do not
// claim; an action's kind has a unique name, a callback service a
// listener can be registered for, and a callback body.
func TestEveryOperationIsComplete(t *testing.T) {
	name := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	service := regexp.MustCompile(`^[A-Za-z]+$`) // schemas/callback-registration.json's name
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}
	kinds := map[string]*thingspace.Operation{}
	for _, op := range thingspace.All() {
		if !name.MatchString(op.Name) || !name.MatchString(op.FaultName()) {
			t.Errorf("operation %q (fault %q): a name is lower-case letters, digits and _", op.Name, op.FaultName())
		}
		if !slices.Contains(methods, op.Method) || !strings.HasPrefix(op.Path, "/api/") || op.Summary == "" || op.Handle == nil {
			t.Errorf("operation %s: method %q, path %q, summary %q, handler %t", op.Name, op.Method, op.Path, op.Summary, op.Handle != nil)
		}
		if op.Schema != "" {
			if _, err := schemas.Compile(op.Schema); err != nil {
				t.Errorf("operation %s: %v", op.Name, err)
			}
		}
		if k := op.Kind; k != nil {
			// Operations may share a kind (one action on two paths), not a
			// kind's name.
			if other, ok := kinds[k.Name]; ok && other.Kind != k {
				t.Errorf("operations %s and %s have kinds named %s", other.Name, op.Name, k.Name)
			}
			kinds[k.Name] = op
			if !service.MatchString(k.Service) || k.Response == nil {
				t.Errorf("operation %s: kind %s reports to %q, with a response builder: %t", op.Name, k.Name, k.Service, k.Response != nil)
			}
			if thingspace.Kinds()[k.Name] != k {
				t.Errorf("operation %s: Kinds() does not find kind %s", op.Name, k.Name)
			}
		}
		var shared []*thingspace.Operation
		for _, o := range thingspace.All() {
			if o.Method == op.Method && o.Path == op.Path {
				shared = append(shared, o)
			}
		}
		if len(shared) > 1 {
			rest := 0
			for _, o := range shared {
				if o.Claims == nil {
					rest++
				}
				if o.Access != op.Access {
					t.Errorf("operations %s and %s share %s %s with other credentials", op.Name, o.Name, op.Method, op.Path)
				}
			}
			if rest != 1 {
				t.Errorf("%s %s: %d of its %d operations take the bodies no other claims, want 1", op.Method, op.Path, rest, len(shared))
			}
		}
	}
	if len(thingspace.Kinds()) != len(kinds) {
		t.Errorf("Kinds() has %d kinds, the operations %d", len(thingspace.Kinds()), len(kinds))
	}
}

// The fault names are each operation's, sorted, once each, and "*" last.
func TestFaultNames(t *testing.T) {
	names := thingspace.FaultNames()
	if names[len(names)-1] != "*" {
		t.Fatalf("FaultNames() = %v: * is not last", names)
	}
	rest := names[:len(names)-1]
	if !slices.IsSorted(rest) || len(slices.Compact(slices.Clone(rest))) != len(rest) {
		t.Errorf("FaultNames() = %v: not sorted, or a name twice", names)
	}
	var want []string
	for _, op := range thingspace.All() {
		want = append(want, op.FaultName())
	}
	slices.Sort(want)
	if want = slices.Compact(want); !slices.Equal(want, rest) {
		t.Errorf("FaultNames() = %v, the operations' are %v", rest, want)
	}
}

// listExempt are the files that may list operation names, and why.
var listExempt = map[string]string{
	"internal/thingspace/": "the catalogue itself",
	"internal/domain/":     "the kinds of action the catalogue registers are defined there",
	"client/types.go":      "its constants are held to the catalogue by client/catalogue_test.go",
	"docs/operations.md":   "generated from the catalogue; simulator's TestOperationsPageIsCurrent fails when it is stale",
}

// quoted is a name between quotes or backquotes, not a struct tag's
// value (`json:"name"`), which names a field, not an operation.
var quoted = regexp.MustCompile("(^|[^:])[\"'`]([a-z][a-z0-9_]*)[\"'`]")

// No file keeps a list of operation names by hand: such a list goes stale
// when an operation is added, where one derived from the catalogue
// (thingspace.All(), FaultNames(), GET /_sim/operations) does not. A
// list is, practically, a run of consecutive lines each quoting a name
// of the catalogue, three names or more in all ("delete", "enable",
// "disable" on one line, or a const block of them). Tests are not
// scanned (a test's table names the operations it tests, each with what
// it expects), nor the files of listExempt.
func TestNoHandKeptListOfOperations(t *testing.T) {
	names := map[string]bool{}
	for _, op := range thingspace.All() {
		names[op.Name], names[op.FaultName()] = true, true
		if op.Kind != nil {
			names[op.Kind.Name] = true
		}
	}
	root := moduleRoot(t)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if base := d.Name(); path != root && (strings.HasPrefix(base, ".") || base == "testdata" || base == "node_modules" || base == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(rel, "_test.go") || exempt(rel) {
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() || info.Size() > 4<<20 {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil || bytes.IndexByte(b, 0) >= 0 {
			return err // a binary file holds no list to keep
		}
		if line, list := handKeptList(b, names); list != nil {
			t.Errorf("%s:%d lists operations by hand (%s): derive the list from the catalogue (thingspace.All(), thingspace.FaultNames(), GET /_sim/operations, docs/operations.md), or, if the list must be written out, hold it to the catalogue with a test and add the file to listExempt with the reason", rel, line, strings.Join(list, ", "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The scan finds the lists it is meant to find, and no single mention.
func TestHandKeptListDetection(t *testing.T) {
	names := map[string]bool{"delete": true, "enable": true, "disable": true, "token": true}
	for text, want := range map[string]int{
		"var Routes = []string{\"token\", \"delete\", \"enable\", \"*\"}\n":       1,
		"x\nconst (\n\tA = \"delete\"\n\tB = 'enable'\n\tC = `disable`\n)\n":      3,
		"case \"delete\", \"enable\":\n\t\"disable\"\n":                           1,
		"a \"delete\" then \"enable\"\n\nand \"disable\" apart\n":                 0,
		"Token string `json:\"token\"`\nE `json:\"enable\"`\nD `json:\"delete\"`": 0,
		"\"deleted\", \"enabled\", \"disabled\"\n":                                0,
	} {
		line, list := handKeptList([]byte(text), names)
		if (list != nil) != (want > 0) || (want > 0 && line != want) {
			t.Errorf("%q: line %d, %v; want line %d", text, line, list, want)
		}
	}
}

// handKeptList returns the first line and the names of the first run of
// consecutive lines, each quoting a name, that quotes three names or more.
func handKeptList(text []byte, names map[string]bool) (int, []string) {
	var run []string
	start := 0
	for i, line := range strings.Split(string(text), "\n") {
		var found []string
		for _, m := range quoted.FindAllStringSubmatch(line, -1) {
			if names[m[2]] {
				found = append(found, m[2])
			}
		}
		if len(found) == 0 {
			run = nil
			continue
		}
		if run == nil {
			start = i + 1
		}
		for _, n := range found {
			if !slices.Contains(run, n) {
				run = append(run, n)
			}
		}
		if len(run) >= 3 {
			return start, run
		}
	}
	return 0, nil
}

func exempt(rel string) bool {
	for prefix := range listExempt {
		if rel == prefix || (strings.HasSuffix(prefix, "/") && strings.HasPrefix(rel, prefix)) {
			return true
		}
	}
	return false
}

// moduleRoot is the folder of go.mod, above this package's.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package")
		}
		dir = parent
	}
}
