package simulator

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// stateVersion is the version of the state file's format.
const stateVersion = 1

// State is what --state-file keeps across restarts: the devices as they
// are, account scenarios, failed logins, tokens, sessions, listeners, the
// actions whose scenario has steps still to run, and the callbacks not yet
// delivered. The journals are not kept.
type State struct {
	Version    int               `json:"version"`
	Clock      time.Time         `json:"clock"`
	Devices    []*Device         `json:"devices"`
	Accounts   []Account         `json:"accounts"`
	Users      []SavedUser       `json:"users"`
	Tokens     []SavedToken      `json:"tokens"`
	Sessions   []SavedSession    `json:"sessions"`
	Listeners  []Listener        `json:"listeners"`
	Actions    []SavedAction     `json:"actions"`
	Deliveries []PendingDelivery `json:"deliveries"`
}

// SavedUser is a user's count of failed logins in a row.
type SavedUser struct {
	Username string `json:"username"`
	Failures int    `json:"failures"`
}

// SavedToken is an OAuth access token.
type SavedToken struct {
	Token   string    `json:"token"`
	Client  string    `json:"client"`
	Expires time.Time `json:"expires"`
}

// SavedSession is a session token and whom it acts for.
type SavedSession struct {
	Token    string    `json:"token"`
	Username string    `json:"username"`
	Accounts []string  `json:"accounts"`
	Any      bool      `json:"anyAccount"`
	LastUsed time.Time `json:"lastUsed"`
}

// SavedAction is an action with scenario steps still to run.
type SavedAction struct {
	RequestID string     `json:"requestId"`
	Action    string     `json:"action"`
	Account   string     `json:"account"`
	EID       string     `json:"eid"`
	ICCID     string     `json:"iccid"`
	SMSROID   string     `json:"smsrOid"`
	DeviceIDs []DeviceID `json:"deviceIds"`
	Scenario  *Scenario  `json:"scenario"`
	Device    *Device    `json:"device"`
	Done      bool       `json:"done"`
	Started   time.Time  `json:"started"`
	Fired     int        `json:"fired"`
}

// Snapshot returns the Sim's state; under the same lock it calls with, so
// that what with captures (the pending callbacks) matches it: the Sim emits
// callbacks only under its lock.
func (s *Sim) Snapshot(with func(*State)) *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &State{Version: stateVersion, Clock: s.clock.Now()}
	for _, d := range s.devices {
		st.Devices = append(st.Devices, d)
	}
	sort.Slice(st.Devices, func(i, j int) bool { return st.Devices[i].EID < st.Devices[j].EID })
	for _, a := range s.accounts {
		st.Accounts = append(st.Accounts, *a)
	}
	for _, u := range s.users {
		if u.failures > 0 {
			st.Users = append(st.Users, SavedUser{u.Username, u.failures})
		}
	}
	for _, t := range s.tokens {
		st.Tokens = append(st.Tokens, SavedToken{t.token, t.client, t.expires})
	}
	for _, ss := range s.sessions {
		saved := SavedSession{Token: ss.token, Username: ss.user.Username, Any: ss.user.accounts == nil, LastUsed: ss.lastUsed}
		for a := range ss.user.accounts {
			saved.Accounts = append(saved.Accounts, a)
		}
		st.Sessions = append(st.Sessions, saved)
	}
	for _, ls := range s.listeners {
		for _, l := range ls {
			st.Listeners = append(st.Listeners, l)
		}
	}
	for a := range s.actions {
		st.Actions = append(st.Actions, SavedAction{
			RequestID: a.requestID, Action: a.action, Account: a.account, EID: a.eid, ICCID: a.iccid, SMSROID: a.smsrOID,
			DeviceIDs: a.deviceIDs, Scenario: a.scenario, Device: a.device, Done: a.done, Started: a.started, Fired: a.fired,
		})
	}
	with(st)
	return st
}

// Restore replaces the world with a saved state and schedules the steps
// its actions have still to run (at once, those whose time has passed). It
// returns the generation the restored callbacks belong to.
func (s *Sim) Restore(st *State) uint64 {
	s.mu.Lock()
	s.devices = make(map[string]*Device, len(st.Devices))
	s.owned = make(map[string]bool, len(st.Devices))
	for _, d := range st.Devices {
		s.devices[d.EID] = d
		s.owned[d.EID] = true
	}
	for _, a := range st.Accounts {
		if acc := s.accounts[a.Name]; acc != nil {
			acc.Scenario = a.Scenario
		}
	}
	for _, u := range st.Users {
		if us := s.users[u.Username]; us != nil {
			us.failures = u.Failures
		}
	}
	for _, t := range st.Tokens {
		tok := &accessToken{token: t.Token, client: t.Client, expires: t.Expires}
		s.tokens[t.Token] = tok
		s.byClient[t.Client] = tok
	}
	for _, ss := range st.Sessions {
		p := &Principal{Username: ss.Username}
		if !ss.Any {
			p.accounts = map[string]bool{}
			for _, a := range ss.Accounts {
				p.accounts[a] = true
			}
		}
		s.sessions[ss.Token] = &session{token: ss.Token, user: p, lastUsed: ss.LastUsed}
	}
	for _, l := range st.Listeners {
		if s.listeners[l.AccountName] == nil {
			s.listeners[l.AccountName] = map[string]Listener{}
		}
		s.listeners[l.AccountName][l.ServiceName] = l
	}
	acts := make([]*deviceAction, 0, len(st.Actions))
	for _, a := range st.Actions {
		da := &deviceAction{
			requestID: a.RequestID, action: a.Action, account: a.Account, eid: a.EID, iccid: a.ICCID, smsrOID: a.SMSROID,
			deviceIDs: a.DeviceIDs, scenario: a.Scenario, device: a.Device, done: a.Done, gen: s.gen, started: a.Started, fired: a.Fired,
		}
		s.actions[da] = true
		acts = append(acts, da)
	}
	gen := s.gen
	s.mu.Unlock()
	for _, a := range acts {
		s.schedule(a, s.emit)
	}
	return gen
}

// Changes counts the changes of state so far.
func (s *Sim) Changes() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changes
}

// readState reads a state file; a missing file is no state.
func readState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("state file %s is corrupt: %w (remove it to start from the fixtures)", path, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("state file %s has version %d, this tssim reads version %d (remove it to start from the fixtures)", path, st.Version, stateVersion)
	}
	for i, a := range st.Actions {
		if a.Scenario == nil || a.Fired < 0 || a.Fired > len(a.Scenario.Steps) || a.Device == nil {
			return nil, fmt.Errorf("state file %s is corrupt: /actions/%d is incomplete (remove it to start from the fixtures)", path, i)
		}
	}
	for i, d := range st.Devices {
		if d == nil || d.EID == "" {
			return nil, fmt.Errorf("state file %s is corrupt: /devices/%d has no EID (remove it to start from the fixtures)", path, i)
		}
	}
	return &st, nil
}

// writeState writes the state file atomically: a reader sees the old file
// or the new one, never a part.
func writeState(path string, st *State) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
