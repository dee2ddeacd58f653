package validate

import (
	"testing"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/scenarios"
)

// FuzzLoadFixtures: any fixture file loads or is refused with an error,
// never a panic, and what loads passes the simulator's own checks.
func FuzzLoadFixtures(f *testing.F) {
	v := seedFixtures(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fx, err := v.LoadFixtures("fuzz.json", data)
		if err != nil {
			return
		}
		for _, d := range fx.Devices {
			if domain.CheckDevice(d) != nil || d.Bootstrap() == "" || d.Enabled() == "" {
				t.Fatalf("loaded a device that breaks the rules: %+v", d)
			}
		}
	})
}

// FuzzParseScenario: any scenario file parses or is refused with an error;
// what parses has a step that ends the action, in time order.
func FuzzParseScenario(f *testing.F) {
	names, _ := scenarios.FS.ReadDir(".")
	for _, n := range names {
		if b, err := scenarios.FS.ReadFile(n.Name()); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"name":"x","description":"d","steps":[{"after":"-1s","result":"success"}]}`))
	v, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := v.ParseScenario("fuzz.json", data)
		if err != nil {
			return
		}
		ends := false
		for i, st := range s.Steps {
			if st.After < 0 || (i > 0 && st.After < s.Steps[i-1].After) {
				t.Fatalf("steps out of order: %+v", s.Steps)
			}
			ends = ends || st.Result != domain.ResultPending
		}
		if !ends {
			t.Fatalf("no step ends the action: %+v", s.Steps)
		}
	})
}

// seedFixtures seeds a fuzz target with the fixture cases, and returns a
// validator.
func seedFixtures(f *testing.F) *Validator {
	for _, c := range fixtureCases() {
		f.Add([]byte(c))
	}
	v, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	return v
}
