package validate

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/tssim/tssim/internal/tserr"
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
