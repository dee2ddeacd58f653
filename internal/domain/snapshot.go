package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/wire"
)

// The kinds of record a state file keeps of the world: the devices and
// accounts that differ from the fixtures, users' failed logins, tokens,
// sessions, registrations, the actions with steps still to run, and the
// status of the last requests.
const (
	KindDevice   = "devices"
	KindAccount  = "accounts"
	KindUser     = "users"
	KindToken    = "tokens"
	KindSession  = "sessions"
	KindListener = "listeners"
	KindAction   = "actions"
	KindRequest  = "requests"
)

// Snapshot is the world as a state file keeps it.
type Snapshot struct {
	Devices   []*SavedDevice
	Accounts  []Account
	Users     []SavedUser
	Tokens    []SavedToken
	Sessions  []SavedSession
	Listeners []Registration
	Actions   []SavedAction
	Requests  []SavedRequest
}

// SavedDevice is a device with its Number, which the device's own JSON
// (that of fixtures and of the control API) does not carry.
type SavedDevice struct {
	Device
	Number int64 `json:"number"`
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
	Key       string            `json:"key"`
	RequestID string            `json:"requestId"`
	Index     int               `json:"index"`
	Action    string            `json:"action"`
	Account   string            `json:"account"`
	EID       string            `json:"eid"`
	ICCID     string            `json:"iccid"`
	SMSROID   string            `json:"smsrOid"`
	Params    map[string]string `json:"params,omitempty"`
	DeviceIDs []wire.DeviceID   `json:"deviceIds"`
	Scenario  *Scenario         `json:"scenario"`
	// Device is the device, in files of older tssims only: an action
	// sets its device's Pending, which makes the device a record of its
	// own (a refused action, which changes nothing, ends at once).
	Device  *Device   `json:"device,omitempty"`
	Done    bool      `json:"done"`
	Started time.Time `json:"started"`
	Fired   int       `json:"fired"`
}

// Changes returns the records changed since the last call (all of them
// forgotten first after a reset). Config.Deliver has the callbacks of
// every step they hold, so delivery's changes taken after hold them too.
func (s *Sim) Changes() change.Set {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.track.Take(s.record)
}

// record is the saved form of one record, or false when it is gone; s.mu
// is held.
func (s *Sim) record(kind, id string) (any, bool) {
	switch kind {
	case KindDevice:
		if d := s.devices[id]; d != nil {
			return SavedDevice{*d, d.Number}, true
		}
	case KindAccount:
		if a := s.accounts[id]; a != nil {
			return a, true
		}
	case KindUser:
		if u := s.users[id]; u != nil {
			return SavedUser{u.Username, u.failures}, true
		}
	case KindToken:
		if t := s.tokens[id]; t != nil {
			return SavedToken{t.token, t.client, t.expires}, true
		}
	case KindSession:
		if ss := s.sessions[id]; ss != nil {
			saved := SavedSession{Token: ss.token, Username: ss.user.Username, Any: ss.user.accounts == nil, LastUsed: ss.lastUsed}
			for a := range ss.user.accounts {
				saved.Accounts = append(saved.Accounts, a)
			}
			return saved, true
		}
	case KindListener:
		account, service, _ := strings.Cut(id, "/")
		return s.registry.get(account, service)
	case KindAction:
		if a := s.actions[id]; a != nil {
			return SavedAction{
				Key: a.key, RequestID: a.requestID, Index: a.index, Action: a.kind.Name, Account: a.account, EID: a.eid, ICCID: a.iccid, SMSROID: a.smsrOID, Params: a.params,
				DeviceIDs: a.deviceIDs, Scenario: a.scenario, Device: a.device, Done: a.done, Started: a.started, Fired: a.fired,
			}, true
		}
	case KindRequest:
		if r := s.requests.byID[idOfKey(id)]; r != nil {
			return r.saved(), true
		}
	}
	return nil, false
}

// listenerKey names a registration in a state file.
func listenerKey(account, service string) string { return account + "/" + service }

// Restore lays a saved world over the fixtures and schedules the steps its
// actions have still to run: those whose time has passed run at once,
// their callbacks given to Config.Deliver.
func (s *Sim) Restore(st *Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restoreDevices(st.Devices)
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
		if old := s.byClient[t.Client]; old == nil || old.expires.Before(t.Expires) {
			s.byClient[t.Client] = tok
		}
	}
	sessions := slices.SortedFunc(slices.Values(st.Sessions), func(a, b SavedSession) int { return a.LastUsed.Compare(b.LastUsed) })
	for _, ss := range sessions {
		p := &Principal{Username: ss.Username}
		if !ss.Any {
			p.accounts = map[string]bool{}
			for _, a := range ss.Accounts {
				p.accounts[a] = true
			}
		}
		s.sessions[ss.Token] = &session{token: ss.Token, user: p, lastUsed: ss.LastUsed}
		s.keepSession(ss.Username, ss.Token)
	}
	for _, reg := range st.Listeners {
		s.registry.put(reg)
	}
	// Before the actions, whose steps due at once settle their requests.
	s.restoreRequests(st.Requests)
	for _, a := range st.Actions {
		k := s.kinds[a.Action]
		if k == nil {
			continue // an action no operation of this build takes
		}
		da := &deviceAction{
			key: a.Key, requestID: a.RequestID, index: a.Index, kind: k, account: a.Account, eid: a.EID, iccid: a.ICCID, smsrOID: a.SMSROID, params: a.Params,
			deviceIDs: a.DeviceIDs, scenario: a.Scenario, device: a.Device, done: a.Done, gen: s.gen, started: a.Started, fired: a.Fired,
		}
		s.actions[da.key] = da
		var due []wire.Callback
		s.schedule(da, &due)
		for _, c := range due {
			s.deliver(c)
		}
	}
}
