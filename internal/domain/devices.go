package domain

import (
	"maps"
	"slices"
	"sort"

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

// Devices returns a copy of every device, ordered by EID.
func (s *Sim) Devices() []*Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Device, 0, len(s.fixtures.Devices)+len(s.devices))
	for _, d := range s.fixtures.Devices {
		if _, own := s.devices[d.EID]; !own {
			out = append(out, d.clone())
		}
	}
	for _, d := range s.devices {
		out = append(out, d.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].EID < out[j].EID })
	return out
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
