package simulator

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tssim/tssim/scenarios"
)

// Step results: what the SM-SR has decided when a step's callback goes out.
const (
	ResultPending = "pending"
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// Step is one timed answer of the SM-SR.
type Step struct {
	After           Duration `json:"after"`
	Result          string   `json:"result"`
	Send            *bool    `json:"send,omitempty"`
	Copies          int      `json:"copies,omitempty"`
	Status          string   `json:"status,omitempty"`
	EUICCStatus     string   `json:"euiccStatus,omitempty"`
	EUICCStatusCode string   `json:"euiccStatusCode,omitempty"`
	EUICCStatusDesc string   `json:"euiccStatusDesc,omitempty"`
}

// sends reports whether the step sends a callback, and how many copies.
func (s Step) sends() int {
	if s.Send != nil && !*s.Send {
		return 0
	}
	return max(s.Copies, 1)
}

// Scenario is a named script of steps, each timed from the request.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Steps       []Step `json:"steps"`
	// Source says where the scenario was loaded from.
	Source string `json:"source"`
}

// Duration is a time.Duration written as a Go duration string in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as "10m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// refusalScenario is what the SM-SR does when the rules of SGP.02 refuse an
// action, whatever the device's scenario says: one failure callback at once.
func refusalScenario(r *Refusal) *Scenario {
	return &Scenario{Name: "refused", Steps: []Step{{
		Result: ResultFailure, Status: "Failed", EUICCStatus: "FAILED",
		EUICCStatusCode: r.Code, EUICCStatusDesc: r.Desc,
	}}}
}

// LoadScenarios reads the built-in scenarios and then every *.json file of
// dir (when not empty); a file in dir replaces a built-in one of the same
// name.
func (v *Validator) LoadScenarios(dir string) (map[string]*Scenario, error) {
	out := map[string]*Scenario{}
	if err := v.loadScenarioFS(out, scenarios.FS, "built-in "); err != nil {
		return nil, err
	}
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("scenarios: %w", err)
		}
		if err := v.loadScenarioFS(out, os.DirFS(dir), dir+string(filepath.Separator)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (v *Validator) loadScenarioFS(out map[string]*Scenario, fsys fs.FS, prefix string) error {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return err
	}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		s, err := v.ParseScenario(prefix+name, data)
		if err != nil {
			return err
		}
		out[s.Name] = s
	}
	return nil
}

// ParseScenario validates one scenario file against schemas/scenario.json.
func (v *Validator) ParseScenario(source string, data []byte) (*Scenario, error) {
	doc, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %w", source, err)
	}
	if vs := v.Validate("scenario.json", doc); len(vs) > 0 {
		return nil, fmt.Errorf("%s: %s", source, vs[0])
	}
	var s Scenario
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	for i, st := range s.Steps {
		if st.After < 0 {
			return nil, fmt.Errorf("%s: /steps/%d/after: must not be negative", source, i)
		}
		s.Steps[i] = withDefaults(st)
	}
	// Steps run in time order; equal delays keep the file's order.
	slices.SortStableFunc(s.Steps, func(a, b Step) int { return cmp.Compare(a.After, b.After) })
	if !slices.ContainsFunc(s.Steps, func(st Step) bool { return st.Result != ResultPending }) {
		return nil, fmt.Errorf("%s: /steps: no step ends the action (result success or failure)", source)
	}
	s.Source = source
	return &s, nil
}

// withDefaults fills the callback fields a step leaves out from its result.
func withDefaults(s Step) Step {
	def := map[string]Step{
		ResultSuccess: {Status: "Success", EUICCStatus: "EXECUTED_SUCCESS", EUICCStatusCode: "1.2.365", EUICCStatusDesc: "EUICC device profile has been updated"},
		ResultPending: {Status: "Warning", EUICCStatus: "EXECUTED_WITHWARNING", EUICCStatusCode: "1.2.366", EUICCStatusDesc: "SM-SR request timed out: the device is unreachable; the result will follow"},
		ResultFailure: {Status: "Failed", EUICCStatus: "FAILED", EUICCStatusCode: "8.1.1/3.8", EUICCStatusDesc: "EUICC device profile update failed"},
	}[s.Result]
	if s.Status == "" {
		s.Status = def.Status
	}
	if s.EUICCStatus == "" {
		s.EUICCStatus = def.EUICCStatus
	}
	if s.EUICCStatusCode == "" {
		s.EUICCStatusCode = def.EUICCStatusCode
	}
	if s.EUICCStatusDesc == "" {
		s.EUICCStatusDesc = def.EUICCStatusDesc
	}
	return s
}
