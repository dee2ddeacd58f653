package drift

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/record"
	"github.com/tssim/tssim/internal/validate"
)

// Scenario is a scenario file of tssim (schemas/scenario.json).
type Scenario struct {
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Steps       []domain.Step `json:"steps"`
}

// Derived is a recording in tssim's own terms: the world it shows as
// fixtures, each device assigned the scenario its first action followed,
// and every callback sequence the recording shows as a scenario.
type Derived struct {
	Fixtures  *Fixtures
	Scenarios []Scenario
	Notes     []string
}

// Derive turns a recording into fixtures and scenarios; name names the
// recording in the scenarios' descriptions.
func Derive(rec *record.Recording, name string) (*Derived, error) {
	s := analyse(rec)
	fx, notes := s.fixtures()
	d := &Derived{Fixtures: fx, Notes: notes}
	v, err := validate.NewValidator()
	if err != nil {
		return nil, err
	}
	byContent := map[string]string{}
	assigned := map[string]bool{}
	for _, g := range s.sequences() {
		steps, note := stepsOf(g.callbacks, g.x.offset)
		if note != "" {
			d.Notes = append(d.Notes, fmt.Sprintf("%s, device %s: %s", g.x.name(), g.device, note))
		}
		if len(steps) == 0 {
			continue
		}
		key, _ := json.Marshal(steps)
		sc, ok := byContent[string(key)]
		if !ok {
			sc = fmt.Sprintf("recorded-%d", len(d.Scenarios)+1)
			s := Scenario{Name: sc, Steps: steps,
				Description: fmt.Sprintf("What ThingSpace did for %s on device %s (request #%d of %s): %s.", g.x.op.Name, g.device, g.x.e.Seq, name, describe(steps))}
			b, _ := json.Marshal(s)
			if _, err := v.ParseScenario(sc+".json", b); err != nil {
				d.Notes = append(d.Notes, fmt.Sprintf("%s, device %s: its callbacks make no scenario tssim takes: %v", g.x.name(), g.device, err))
				continue
			}
			byContent[string(key)] = sc
			d.Scenarios = append(d.Scenarios, s)
		}
		if !assigned[g.device] {
			assigned[g.device] = true
			for _, dev := range fx.Devices {
				if dev.EID == g.device {
					dev.Scenario = sc
				}
			}
		}
	}
	return d, nil
}

// sequence is the callbacks one request brought for one device.
type sequence struct {
	x         *exchange
	device    string
	callbacks []*callback
}

// sequences are the callback sequences of the recording's actions on
// devices known by their EID, in the order of the requests.
func (s *session) sequences() []*sequence {
	var out []*sequence
	index := map[string]*sequence{}
	for _, c := range s.callbacks {
		if c.request == nil || c.request.op == nil || c.request.op.Kind == nil || !eidPattern.MatchString(c.device) {
			continue
		}
		k := fmt.Sprint(c.request.e.Seq, "/", c.device)
		g := index[k]
		if g == nil {
			g = &sequence{x: c.request, device: c.device}
			index[k] = g
			out = append(out, g)
		}
		g.callbacks = append(g.callbacks, c)
	}
	return out
}

// faultCode is what a scenario's faultcode may be.
var faultCode = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*\.[A-Z_]+\.[A-Za-z0-9_.]+$`)

// stepsOf makes the steps of a scenario of a callback sequence, timed
// from its request at from. Resent callbacks (callbackCount past 1) are
// delivery's doing, not the SM-SR's, and are left out; the same callback
// sent twice at once is one step of two copies.
func stepsOf(cs []*callback, from time.Duration) ([]domain.Step, string) {
	var steps []domain.Step
	note := ""
	for _, c := range cs {
		it := itemOf(c, c.offset-from)
		if it.count != "" && it.count != "1" {
			continue
		}
		st := domain.Step{After: domain.Duration(max(it.after, 0).Round(time.Millisecond)), Result: resultOf(it), Status: it.status}
		switch it.euicc {
		case "EXECUTED_SUCCESS", "EXECUTED_WITHWARNING", "FAILED", "EXPIRED":
			st.EUICCStatus = it.euicc
			st.EUICCStatusCode = it.code
			desc, _ := find(field(c.body, "deviceResponse"), "euiccStatusDesc").(string)
			st.EUICCStatusDesc = desc
		}
		if it.fault != "" {
			if faultCode.MatchString(it.fault) {
				st.Result, st.FaultCode = domain.ResultFailure, it.fault
				st.FaultString, _ = field(field(c.body, "faultResponse"), "faultstring").(string)
				if st.FaultString == "" {
					st.FaultString = it.fault
				}
				st.EUICCStatus, st.EUICCStatusCode, st.EUICCStatusDesc = "", "", ""
			} else {
				note = fmt.Sprintf("fault code %q is not in ThingSpace's Service.CLASS.Specific form: the step keeps its status only", it.fault)
			}
		}
		if st.Status == "" {
			st.Status = "Unknown"
		}
		if n := len(steps); n > 0 && sameStep(steps[n-1], st) && max(steps[n-1].Copies, 1) < 10 {
			steps[n-1].Copies = max(steps[n-1].Copies, 1) + 1
			continue
		}
		steps = append(steps, st)
	}
	return steps, note
}

func sameStep(a, b domain.Step) bool {
	a.Copies, b.Copies = 0, 0
	return a == b
}

// resultOf is what a callback says the SM-SR decided: the eUICC's status
// when it gives one, else the callback's status.
func resultOf(it item) string {
	switch it.euicc {
	case "EXECUTED_SUCCESS":
		return domain.ResultSuccess
	case "EXECUTED_WITHWARNING":
		return domain.ResultPending
	case "FAILED", "EXPIRED":
		return domain.ResultFailure
	}
	switch strings.ToLower(it.status) {
	case "success", "successful", "completed":
		return domain.ResultSuccess
	case "warning", "pending", "inprogress", "in progress":
		return domain.ResultPending
	}
	return domain.ResultFailure
}

// describe says a scenario's steps in a line.
func describe(steps []domain.Step) string {
	var parts []string
	for _, st := range steps {
		p := st.Status
		if st.EUICCStatus != "" {
			p += " (" + st.EUICCStatus + ")"
		}
		if st.FaultCode != "" {
			p += " (fault " + st.FaultCode + ")"
		}
		if st.Copies > 1 {
			p += fmt.Sprintf(" %d times", st.Copies)
		}
		parts = append(parts, p+" at "+time.Duration(st.After).String())
	}
	return strings.Join(parts, ", then ")
}
