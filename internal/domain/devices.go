package domain

import (
	"maps"
	"slices"
	"strings"

	"github.com/tssim/tssim/internal/tserr"
)

// ScenarioNames lists the known scenarios.
func (s *Sim) ScenarioNames() []string { return slices.Sorted(maps.Keys(s.scenarios)) }

// Scenarios returns every scenario, by name.
func (s *Sim) Scenarios() []*Scenario {
	out := make([]*Scenario, 0, len(s.scenarios))
	for _, n := range s.ScenarioNames() {
		out = append(out, s.scenarios[n])
	}
	return out
}

// DeviceView is a device as the control API lists it, with the scenario a
// new action on it would run and where that comes from.
type DeviceView struct {
	*Device
	ScenarioInForce string `json:"scenarioInForce"`
	ScenarioFrom    string `json:"scenarioFrom"`
}

// Devices returns copies of the devices whose EID starts with prefix, by
// EID, from the first after the EID after ("" from the start), at most
// limit of them (0: all); and the EID to give as after for the next page,
// "" when this one is the last.
func (s *Sim) Devices(prefix, after string, limit int) ([]DeviceView, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	eids := make([]string, 0, len(s.fixtures.Devices)+len(s.devices))
	keep := func(eid string) bool { return eid > after && strings.HasPrefix(eid, prefix) }
	for _, d := range s.fixtures.Devices {
		if _, own := s.devices[d.EID]; !own && keep(d.EID) {
			eids = append(eids, d.EID)
		}
	}
	for eid := range s.devices {
		if keep(eid) {
			eids = append(eids, eid)
		}
	}
	slices.Sort(eids)
	next := ""
	if limit > 0 && len(eids) > limit {
		eids = eids[:limit]
		next = eids[limit-1]
	}
	out := make([]DeviceView, len(eids))
	for i, eid := range eids {
		d := s.device(eid)
		sc, from := s.scenarioFor(d, "")
		out[i] = DeviceView{Device: d.clone(), ScenarioInForce: sc.Name, ScenarioFrom: from}
	}
	return out, next
}

// DeviceCount is how many devices there are.
func (s *Sim) DeviceCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.fixtures.Devices)
	for eid := range s.devices {
		if s.fixtures.device(eid) == nil {
			n++
		}
	}
	return n
}

// Device returns a copy of one device.
func (s *Sim) Device(eid string) (*Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.device(eid)
	if d == nil {
		return nil, tserr.New(404, tserr.CodeDeviceNotFound, "device %s was not found", eid)
	}
	return d.clone(), nil
}

// PutDevice creates or replaces a device; a replaced device loses its
// pending action.
func (s *Sim) PutDevice(d *Device) error {
	if err := CheckDevice(d); err != nil {
		return tserr.BadRequest(tserr.CodeUnexpected, "%s", err)
	}
	if err := s.knownScenario("/scenario", d.Scenario); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[d.Account]; !ok {
		return tserr.BadRequest(tserr.CodeAccountNotFound, "/account: account %s was not found", d.Account)
	}
	d = d.clone()
	d.Pending = nil
	s.numberDevice(d)
	s.touch(d.EID)
	s.devices[d.EID] = d
	s.track.Mark(KindDevice, d.EID)
	return nil
}

// knownScenario refuses a scenario name, given in field, that is neither ""
// nor known.
func (s *Sim) knownScenario(field, name string) error {
	if _, ok := s.scenarios[name]; name != "" && !ok {
		return tserr.BadRequest(tserr.CodeSimUnknownScenario, "%s: unknown scenario %q (known: %v)", field, name, s.ScenarioNames())
	}
	return nil
}

// AssignScenario sets (or, with "", clears) the scenario of a device.
func (s *Sim) AssignScenario(eid, scenario string) error {
	if err := s.knownScenario("/scenario", scenario); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.mutable(eid)
	if d == nil {
		return tserr.New(404, tserr.CodeDeviceNotFound, "device %s was not found", eid)
	}
	d.Scenario = scenario
	return nil
}

// AssignAccountScenario sets (or clears) the scenario of an account.
func (s *Sim) AssignAccountScenario(account, scenario string) error {
	if err := s.knownScenario("/scenario", scenario); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.track.Mark(KindAccount, account)
	a := s.accounts[account]
	if a == nil {
		return tserr.New(404, tserr.CodeAccountNotFound, "account %s was not found", account)
	}
	a.Scenario = scenario
	return nil
}
