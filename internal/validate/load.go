package validate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/scenarios"
)

// LoadFixtures parses and validates a fixtures document: its schema, then
// that every name it refers to exists. name is used in error messages.
func (v *Validator) LoadFixtures(name string, data []byte) (*domain.Fixtures, error) {
	f, ok := fastFixtures(data)
	if !ok {
		doc, err := parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: not valid JSON: %w", name, err)
		}
		if vs := v.Validate("fixtures.json", doc); len(vs) > 0 {
			return nil, fmt.Errorf("%s: %s", name, vs[0])
		}
		f = &domain.Fixtures{}
		if err := json.Unmarshal(data, f); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	accounts := map[string]bool{}
	for i, a := range f.Accounts {
		if accounts[a.Name] {
			return nil, fmt.Errorf("%s: /accounts/%d/name: account %q is defined twice", name, i, a.Name)
		}
		accounts[a.Name] = true
	}
	for i, u := range f.Users {
		for j, a := range u.Accounts {
			if !accounts[a] {
				return nil, fmt.Errorf("%s: /users/%d/accounts/%d: unknown account %q", name, i, j, a)
			}
		}
	}
	eids := map[string]bool{}
	for i, d := range f.Devices {
		if eids[d.EID] {
			return nil, fmt.Errorf("%s: /devices/%d/eid: device %s is defined twice", name, i, d.EID)
		}
		eids[d.EID] = true
		if !accounts[d.Account] {
			return nil, fmt.Errorf("%s: /devices/%d/account: unknown account %q", name, i, d.Account)
		}
		if err := domain.CheckDevice(d); err != nil {
			return nil, fmt.Errorf("%s: /devices/%d%s", name, i, err)
		}
		d.Pending = nil
	}
	return f, nil
}

// LoadScenarios reads the built-in scenarios and then every *.json file of
// dir (when not empty); a file in dir replaces a built-in one of the same
// name. The built-in ones are part of the program, checked against the
// schema by its tests (TestBuiltInScenariosMatchSchema) rather than at
// every start: the schema compiles only for a dir's files.
func (v *Validator) LoadScenarios(dir string) (map[string]*domain.Scenario, error) {
	out := map[string]*domain.Scenario{}
	if err := v.loadScenarioFS(out, scenarios.FS, "built-in ", false); err != nil {
		return nil, err
	}
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("scenarios: %w", err)
		}
		if err := v.loadScenarioFS(out, os.DirFS(dir), dir+string(filepath.Separator), true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (v *Validator) loadScenarioFS(out map[string]*domain.Scenario, fsys fs.FS, prefix string, checkSchema bool) error {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return err
	}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		s, err := v.parseScenario(prefix+name, data, checkSchema)
		if err != nil {
			return err
		}
		out[s.Name] = s
	}
	return nil
}

// ParseScenario validates one scenario file against schemas/scenario.json.
func (v *Validator) ParseScenario(source string, data []byte) (*domain.Scenario, error) {
	return v.parseScenario(source, data, true)
}

// parseScenario is ParseScenario, without the schema when checkSchema is
// false.
func (v *Validator) parseScenario(source string, data []byte, checkSchema bool) (*domain.Scenario, error) {
	if checkSchema {
		doc, err := parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: not valid JSON: %w", source, err)
		}
		if vs := v.Validate("scenario.json", doc); len(vs) > 0 {
			return nil, fmt.Errorf("%s: %s", source, vs[0])
		}
	}
	var s domain.Scenario
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
	slices.SortStableFunc(s.Steps, func(a, b domain.Step) int { return cmp.Compare(a.After, b.After) })
	if !slices.ContainsFunc(s.Steps, func(st domain.Step) bool { return st.Result != domain.ResultPending }) {
		return nil, fmt.Errorf("%s: /steps: no step ends the action (result success or failure)", source)
	}
	s.Source = source
	return &s, nil
}

// withDefaults fills the callback fields a step leaves out from its result.
func withDefaults(s domain.Step) domain.Step {
	def := map[string]domain.Step{
		domain.ResultSuccess: {Status: "Success", EUICCStatus: "EXECUTED_SUCCESS", EUICCStatusCode: "1.2.365", EUICCStatusDesc: "EUICC device profile has been updated"},
		domain.ResultPending: {Status: "Warning", EUICCStatus: "EXECUTED_WITHWARNING", EUICCStatusCode: "1.2.366", EUICCStatusDesc: "SM-SR request timed out: the device is unreachable; the result will follow"},
		domain.ResultFailure: {Status: "Failed", EUICCStatus: "FAILED", EUICCStatusCode: "8.1.1/3.8", EUICCStatusDesc: "EUICC device profile update failed"},
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
