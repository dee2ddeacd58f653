package validate

import (
	"encoding/json"
	"io/fs"
	"maps"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/scenarios"
)

func TestSchemasCompile(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Compile(slices.Collect(maps.Keys(v.set.compiled))...); err != nil {
		t.Fatal(err)
	}
}

// Requests that come together, each first to need its schema, get the
// answers of schemas compiled ahead: a schema compiles once, and no caller
// sees it half built.
func TestSchemasCompileOnFirstUse(t *testing.T) {
	fresh := func() *Validator {
		set, err := newSchemaSet()
		if err != nil {
			t.Fatal(err)
		}
		return &Validator{set: set}
	}
	ahead := fresh()
	names := slices.Sorted(maps.Keys(ahead.set.compiled))
	if err := ahead.Compile(names...); err != nil {
		t.Fatal(err)
	}
	// One key at most: the engine names several unexpected keys in no
	// set order.
	docs := []string{`{}`, `[]`, `{"name": 1}`, `{"devices": [{}]}`}
	want := map[string][]tserr.Violation{}
	for _, name := range names {
		for _, d := range docs {
			want[name+d] = ahead.Validate(name, decode(t, d))
		}
	}

	lazy := fresh()
	got := make(map[string][]tserr.Violation, len(want))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 3 {
		for _, name := range names {
			for _, d := range docs {
				wg.Go(func() {
					vs := lazy.Validate(name, decode(t, d))
					mu.Lock()
					defer mu.Unlock()
					if prev, ok := got[name+d]; ok && !reflect.DeepEqual(prev, vs) {
						t.Errorf("%s, %s: %v, then %v", name, d, prev, vs)
					}
					got[name+d] = vs
				})
			}
		}
	}
	wg.Wait()
	for k, vs := range want {
		if !reflect.DeepEqual(got[k], vs) {
			t.Errorf("%s: compiled on first use %v, compiled ahead %v", k, got[k], vs)
		}
	}
	if want["login.json{}"] == nil {
		t.Error("an empty login was valid: the test no longer tells schemas apart")
	}
}

func decode(t *testing.T, s string) any {
	var doc any
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// The built-in scenarios load without the schema (LoadScenarios): each
// must satisfy it, and load as ParseScenario loads it.
func TestBuiltInScenariosMatchSchema(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := v.LoadScenarios("")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(scenarios.FS, "*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no built-in scenarios: %v", err)
	}
	if len(loaded) != len(names) {
		t.Errorf("%d scenarios loaded from %d files", len(loaded), len(names))
	}
	for _, name := range names {
		data, err := scenarios.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := v.ParseScenario("built-in "+name, data)
		if err != nil {
			t.Error(err)
			continue
		}
		if !reflect.DeepEqual(loaded[s.Name], s) {
			t.Errorf("%s: loaded %+v, parsed %+v", name, loaded[s.Name], s)
		}
	}
}
