package fault

import (
	"testing"
	"time"

	"github.com/tssim/tssim/internal/domain"
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
		if _, ok := rs.Add(Rule{Fault: Fault{Status: 500}}); !ok {
			t.Fatal("a rule under the limit was refused")
		}
	}
	if _, ok := rs.Add(Rule{Fault: Fault{Status: 500}}); ok {
		t.Errorf("rule %d was taken", MaxRules+1)
	}
	rs.Clear()
	if _, ok := rs.Add(Rule{Fault: Fault{Status: 500}}); !ok {
		t.Error("a rule after a clear was refused")
	}
}
