package fault

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/thingspace"
	"github.com/tssim/tssim/internal/tserr"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Fault{
		"status=429,retry-after=30s": {Status: 429, RetryAfter: domain.Duration(30 * time.Second)},
		" Status=503 , latency=2s ":  {Status: 503, Latency: domain.Duration(2 * time.Second)},
		"drop":                       {Drop: true},
		"garbage,latency=1ms":        {Garbage: true, Latency: domain.Duration(time.Millisecond)},
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "status=200", "status=abc", "retry-after=3s", "latency=-1s", "drop=yes", "slow"} {
		if f, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, f)
		}
	}
}

// Rules fire in the order they were added; Times stops a rule, which
// lets the next one match.
func TestRulesOrderAndTimes(t *testing.T) {
	var rs Rules
	rs.Add(Rule{Route: "delete", Times: 1, Fault: Fault{Status: 429}})
	rs.Add(Rule{Route: "*", Fault: Fault{Status: 503}})
	var got []int
	for _, route := range []string{"delete", "delete", "token"} {
		f, _, _ := rs.Match(Request{Route: route})
		got = append(got, f.Status)
	}
	if got[0] != 429 || got[1] != 503 || got[2] != 503 {
		t.Errorf("statuses %v, want [429 503 503]", got)
	}
	if l := rs.List(); l[0].Matched != 2 || l[0].Fired != 1 || l[1].Fired != 2 {
		t.Errorf("counts %+v", l)
	}
}

// The rules in force are bounded: an admin script in a loop cannot grow
// tssim without end.
func TestRulesAreBounded(t *testing.T) {
	var rs Rules
	for range MaxRules {
		if _, err := rs.Add(Rule{Fault: Fault{Status: 500}}); err != nil {
			t.Fatalf("a rule under the limit was refused: %v", err)
		}
	}
	var te *tserr.Error
	if _, err := rs.Add(Rule{Fault: Fault{Status: 500}}); !errors.As(err, &te) || te.Status != 409 || te.Code != tserr.CodeSimFaultLimit {
		t.Errorf("rule %d: %v", MaxRules+1, err)
	}
	rs.Clear()
	if _, err := rs.Add(Rule{Fault: Fault{Status: 500}}); err != nil {
		t.Errorf("a rule after a clear was refused: %v", err)
	}
}

// A rule takes exactly the catalogue's fault names (and "*"); any other
// route is refused naming /route and listing the names it knows, so that
// an operation added to the catalogue is a route at once.
func TestRulesTakeTheCataloguesRoutes(t *testing.T) {
	var rs Rules
	for _, route := range thingspace.FaultNames() {
		if _, err := rs.Add(Rule{Route: route, Fault: Fault{Status: 500}}); err != nil {
			t.Errorf("route %q: %v", route, err)
		}
	}
	// Refused: no name, a name in another case or with a space, and the
	// name of an operation grouped under another fault name.
	refused := []string{"nope", strings.ToUpper(thingspace.FaultNames()[0]), " " + thingspace.FaultNames()[0]}
	for _, op := range thingspace.All() {
		if op.Name != op.FaultName() && !slices.Contains(thingspace.FaultNames(), op.Name) {
			refused = append(refused, op.Name)
		}
	}
	for _, route := range refused {
		_, err := rs.Add(Rule{Route: route, Fault: Fault{Status: 500}})
		var te *tserr.Error
		if !errors.As(err, &te) || te.Status != 400 || len(te.Violations) != 1 || te.Violations[0].Pointer != "/route" {
			t.Errorf("route %q: %v", route, err)
			continue
		}
		for _, known := range thingspace.FaultNames() {
			if !strings.Contains(te.Message, known) {
				t.Errorf("route %q: the answer %q does not name %q", route, te.Message, known)
			}
		}
	}
}

// A fault's effect is what the edge carries out first.
func TestEffect(t *testing.T) {
	for _, tt := range []struct {
		f    Fault
		want string
	}{
		{Fault{Drop: true, Status: 503}, "drop"},
		{Fault{Garbage: true, Status: 503}, "garbage"},
		{Fault{Status: 429, RetryAfter: 1}, "status"},
		{Fault{Latency: 1}, "latency"},
	} {
		if got := tt.f.Effect(); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.f, got, tt.want)
		}
	}
}
