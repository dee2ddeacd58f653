package domain

import (
	"sort"
	"time"

	"github.com/tssim/tssim/internal/wire"
)

// Snapshot is the world as a state file keeps it: the devices as they are,
// account scenarios, failed logins, tokens, sessions, registrations, and
// the actions whose scenario has steps still to run.
type Snapshot struct {
	Devices   []*Device      `json:"devices"`
	Accounts  []Account      `json:"accounts"`
	Users     []SavedUser    `json:"users"`
	Tokens    []SavedToken   `json:"tokens"`
	Sessions  []SavedSession `json:"sessions"`
	Listeners []Registration `json:"listeners"`
	Actions   []SavedAction  `json:"actions"`
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
	RequestID string          `json:"requestId"`
	Action    string          `json:"action"`
	Account   string          `json:"account"`
	EID       string          `json:"eid"`
	ICCID     string          `json:"iccid"`
	SMSROID   string          `json:"smsrOid"`
	DeviceIDs []wire.DeviceID `json:"deviceIds"`
	Scenario  *Scenario       `json:"scenario"`
	Device    *Device         `json:"device"`
	Done      bool            `json:"done"`
	Started   time.Time       `json:"started"`
	Fired     int             `json:"fired"`
}

// Snapshot returns the world as it is. A step that ran before it gave its
// callbacks to Config.Deliver already, so that delivery's pending
// callbacks, read after, hold them.
func (s *Sim) Snapshot() *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &Snapshot{}
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
	st.Listeners = s.registry.of("")
	for a := range s.actions {
		st.Actions = append(st.Actions, SavedAction{
			RequestID: a.requestID, Action: a.action, Account: a.account, EID: a.eid, ICCID: a.iccid, SMSROID: a.smsrOID,
			DeviceIDs: a.deviceIDs, Scenario: a.scenario, Device: a.device, Done: a.done, Started: a.started, Fired: a.fired,
		})
	}
	return st
}

// Restore replaces the world with a saved one and schedules the steps its
// actions have still to run: those whose time has passed run at once, their
// callbacks given to Config.Deliver.
func (s *Sim) Restore(st *Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
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
	for _, reg := range st.Listeners {
		s.registry.put(reg)
	}
	for _, a := range st.Actions {
		da := &deviceAction{
			requestID: a.RequestID, action: a.Action, account: a.Account, eid: a.EID, iccid: a.ICCID, smsrOID: a.SMSROID,
			deviceIDs: a.DeviceIDs, scenario: a.Scenario, device: a.Device, done: a.Done, gen: s.gen, started: a.Started, fired: a.Fired,
		}
		s.actions[da] = true
		var due []wire.Callback
		s.schedule(da, &due)
		for _, c := range due {
			s.deliver(c)
		}
	}
}
