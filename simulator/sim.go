package simulator

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"
)

// ScenarioHeader names the scenario of every device of one request.
const ScenarioHeader = "X-Tssim-Scenario"

// ServiceDeviceProfile is the callback service name profile results go to.
const ServiceDeviceProfile = "DeviceProfileService"

// Listener is a callback URL registered for one service of an account.
type Listener struct {
	AccountName string `json:"accountName"`
	ServiceName string `json:"serviceName"`
	URL         string `json:"url"`
	Username    string `json:"username"`
	Password    string `json:"password"`
}

// Callback is one callback message due to go out, before delivery fills in
// the listener's credentials and the attempt count.
type Callback struct {
	Account string
	EID     string
	Step    int
	Message CallbackMessage
	gen     uint64
}

// Principal is who a session acts for; a nil accounts set means every
// account (relaxed auth).
type Principal struct {
	Username string
	accounts map[string]bool
}

func (p *Principal) mayUse(account string) bool {
	return p.accounts == nil || p.accounts[account]
}

// Sim is the simulated ThingSpace and SM-SR: devices and their profiles,
// accounts, OAuth tokens, sessions, listeners and pending actions. It knows
// nothing of HTTP: actions return errors carrying ThingSpace codes, and the
// callbacks their scenarios produce go to the function given to NewSim.
type Sim struct {
	clock           Clock
	relaxed         bool
	fixtures        *Fixtures
	scenarios       map[string]*Scenario
	defaultScenario string
	fallbackURL     string
	emit            func(Callback)

	mu  sync.Mutex
	gen uint64
	// devices share the fixtures' devices until one is changed: mutable
	// copies it first, and owned remembers the copies.
	devices   map[string]*Device
	owned     map[string]bool
	accounts  map[string]*Account
	users     map[string]*userState
	clients   map[string]string
	tokens    map[string]*accessToken
	byClient  map[string]*accessToken
	sessions  map[string]*session
	listeners map[string]map[string]Listener
	// actions are those with steps still to run.
	actions map[*deviceAction]bool
	// changes counts changes of state, for whoever saves it.
	changes uint64
}

type userState struct {
	User
	accounts map[string]bool
	failures int
}

type accessToken struct {
	token   string
	client  string
	expires time.Time
}

type session struct {
	token    string
	user     *Principal
	lastUsed time.Time
}

type deviceAction struct {
	requestID string
	action    string
	account   string
	eid       string
	iccid     string
	smsrOID   string
	deviceIDs []DeviceID
	scenario  *Scenario
	// device is the device as the request found it, for callbacks about a
	// device that was removed meanwhile.
	device *Device
	done   bool
	gen    uint64
	// started is when the request was accepted; fired counts the steps
	// run so far.
	started time.Time
	fired   int
}

// Token and session lifetimes of ThingSpace.
const (
	TokenLifetime      = time.Hour
	SessionIdleTimeout = 20 * time.Minute
	MaxFailedLogins    = 5
	MaxDevices         = 10000
)

// SimConfig is what a Sim starts from.
type SimConfig struct {
	Clock           Clock
	Relaxed         bool
	Fixtures        *Fixtures
	Scenarios       map[string]*Scenario
	DefaultScenario string
	FallbackURL     string
	// Emit receives every callback a scenario step sends; it must not block
	// nor call back into the Sim.
	Emit func(Callback)
}

// NewSim builds the world from cfg.Fixtures.
func NewSim(cfg SimConfig) (*Sim, error) {
	if _, ok := cfg.Scenarios[cfg.DefaultScenario]; !ok {
		return nil, fmt.Errorf("default scenario %q: no such scenario (known: %v)", cfg.DefaultScenario, slices.Sorted(maps.Keys(cfg.Scenarios)))
	}
	s := &Sim{
		clock: cfg.Clock, relaxed: cfg.Relaxed, fixtures: cfg.Fixtures, scenarios: cfg.Scenarios,
		defaultScenario: cfg.DefaultScenario, fallbackURL: cfg.FallbackURL, emit: cfg.Emit,
	}
	if err := s.checkScenarioNames(); err != nil {
		return nil, err
	}
	s.Reset()
	return s, nil
}

func (s *Sim) checkScenarioNames() error {
	for _, a := range s.fixtures.Accounts {
		if _, ok := s.scenarios[a.Scenario]; a.Scenario != "" && !ok {
			return fmt.Errorf("account %s: unknown scenario %q", a.Name, a.Scenario)
		}
	}
	for _, d := range s.fixtures.Devices {
		if _, ok := s.scenarios[d.Scenario]; d.Scenario != "" && !ok {
			return fmt.Errorf("device %s: unknown scenario %q", d.EID, d.Scenario)
		}
	}
	return nil
}

// Reset puts the world back to the fixtures: devices, accounts, users,
// tokens, sessions and listeners. Steps still scheduled from before do
// nothing when they fall due.
func (s *Sim) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	f := s.fixtures
	s.devices = make(map[string]*Device, len(f.Devices))
	for _, d := range f.Devices {
		s.devices[d.EID] = d
	}
	s.owned = map[string]bool{}
	s.accounts = map[string]*Account{}
	for _, a := range f.Accounts {
		s.accounts[a.Name] = &a
	}
	s.users = map[string]*userState{}
	for _, u := range f.Users {
		us := &userState{User: u, accounts: map[string]bool{}}
		for _, a := range u.Accounts {
			us.accounts[a] = true
		}
		s.users[u.Username] = us
	}
	s.clients = map[string]string{}
	for _, c := range f.Clients {
		s.clients[c.AppKey] = c.AppSecret
	}
	s.tokens = map[string]*accessToken{}
	s.byClient = map[string]*accessToken{}
	s.sessions = map[string]*session{}
	s.listeners = map[string]map[string]Listener{}
	s.actions = map[*deviceAction]bool{}
	s.changes++
}

// mutable returns the device to change, copied from the fixtures first; s.mu
// is held.
func (s *Sim) mutable(eid string) *Device {
	d := s.devices[eid]
	if d != nil && !s.owned[eid] {
		d = d.clone()
		s.devices[eid] = d
		s.owned[eid] = true
	}
	return d
}

// Generation counts resets; a callback from an older one is stale.
func (s *Sim) Generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// Stale reports whether c was produced before the last reset.
func (s *Sim) Stale(c Callback) bool { return c.gen != s.Generation() }

// IssueToken answers the OAuth client-credentials grant: the same token for
// as long as it is valid, a new one after.
func (s *Sim) IssueToken(appKey, appSecret string) (token string, expiresIn int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	if !s.relaxed {
		if secret, ok := s.clients[appKey]; !ok || secret != appSecret {
			return "", 0, &Error{Status: 401, Kind: KindOAuth, Code: "invalid_client", Message: "Client authentication failed: unknown app key or wrong secret"}
		}
	}
	now := s.clock.Now()
	t := s.byClient[appKey]
	if t == nil || !now.Before(t.expires) {
		if t != nil {
			delete(s.tokens, t.token)
		}
		t = &accessToken{token: newAccessToken(), client: appKey, expires: now.Add(TokenLifetime)}
		s.tokens[t.token] = t
		s.byClient[appKey] = t
	}
	left := t.expires.Sub(now)
	return t.token, int((left + time.Second - 1) / time.Second), nil
}

// RevokeToken invalidates an access token of that client. An unknown token
// is not an error (RFC 7009).
func (s *Sim) RevokeToken(appKey, appSecret, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	if !s.relaxed {
		if secret, ok := s.clients[appKey]; !ok || secret != appSecret {
			return &Error{Status: 401, Kind: KindOAuth, Code: "invalid_client", Message: "Client authentication failed: unknown app key or wrong secret"}
		}
	}
	if t := s.tokens[token]; t != nil && (s.relaxed || t.client == appKey) {
		delete(s.tokens, token)
		delete(s.byClient, t.client)
	}
	return nil
}

// CheckBearer checks the OAuth access token of an M2M call.
func (s *Sim) CheckBearer(token string) error {
	if token == "" {
		return &Error{Status: 401, Kind: KindFault, Code: FaultMissingCredentials, Message: "Missing Credentials",
			Violations: []Violation{{Pointer: "Authorization", Message: "Make sure your API invocation call has a header: 'Authorization: Bearer ACCESS_TOKEN'"}}}
	}
	if s.relaxed {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[token]
	if t == nil || !s.clock.Now().Before(t.expires) {
		return &Error{Status: 401, Kind: KindFault, Code: FaultInvalidCredentials, Message: "Invalid Credentials",
			Violations: []Violation{{Pointer: "Authorization", Message: "Access failure for API: /api/m2m, version: v1. Make sure you have given the correct access token"}}}
	}
	return nil
}

// Login opens a session for a user. Five failed logins in a row lock the
// user until the simulator is reset.
func (s *Sim) Login(username, password string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	p := &Principal{Username: username}
	if !s.relaxed {
		u := s.users[username]
		if u != nil && u.failures >= MaxFailedLogins {
			return "", badRequest(CodeUserLocked, "User %s is locked after %d failed logins", username, MaxFailedLogins)
		}
		if u == nil || u.Password != password {
			if u != nil {
				u.failures++
			}
			return "", badRequest(CodePasswordInvalid, "Invalid username or password")
		}
		u.failures = 0
		p.accounts = u.accounts
	}
	tok := newUUID()
	s.sessions[tok] = &session{token: tok, user: p, lastUsed: s.clock.Now()}
	return tok, nil
}

// Session checks a VZ-M2M-Token and renews it; it returns who it acts for.
func (s *Sim) Session(token string) (*Principal, error) {
	if token == "" {
		return nil, badRequest(CodeSessionFormat, "VZ-M2M-Token header is missing")
	}
	if s.relaxed {
		return &Principal{}, nil
	}
	if !isUUID(token) {
		return nil, badRequest(CodeSessionInvalid, "The session token is not valid: it must be a GUID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[token]
	if sess == nil {
		return nil, badRequest(CodeSessionInvalid, "The session token is not valid")
	}
	now := s.clock.Now()
	if now.Sub(sess.lastUsed) >= SessionIdleTimeout {
		// An expired session stays known, so that it keeps being reported
		// as expired rather than as unknown.
		return nil, badRequest(CodeSessionExpired, "The Session has expired.")
	}
	sess.lastUsed = now
	s.changes++
	return sess.user, nil
}

// Logout ends a session.
func (s *Sim) Logout(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	delete(s.sessions, token)
}

// accountFor checks that the account exists and that p may act on it.
func (s *Sim) accountFor(p *Principal, account string) error {
	if account == "" {
		return badRequest(CodeAccountNotDefined, "/accountName: an account name is required")
	}
	if _, ok := s.accounts[account]; !ok {
		return badRequest(CodeAccountNotFound, "Account %s was not found", account)
	}
	if !p.mayUse(account) {
		return badRequest(CodeAccountName, "User %s is not associated with account %s", p.Username, account)
	}
	return nil
}

// RegisterListener registers (or replaces) the URL of one callback service.
func (s *Sim) RegisterListener(p *Principal, l Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	if err := s.accountFor(p, l.AccountName); err != nil {
		return err
	}
	if s.listeners[l.AccountName] == nil {
		s.listeners[l.AccountName] = map[string]Listener{}
	}
	s.listeners[l.AccountName][l.ServiceName] = l
	return nil
}

// Listeners lists an account's registered listeners, by service name.
func (s *Sim) Listeners(p *Principal, account string) ([]Listener, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.accountFor(p, account); err != nil {
		return nil, err
	}
	out := []Listener{}
	for _, l := range s.listeners[account] {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ServiceName < out[j].ServiceName })
	return out, nil
}

// DeregisterListener removes one service's listener.
func (s *Sim) DeregisterListener(p *Principal, account, service string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	if err := s.accountFor(p, account); err != nil {
		return err
	}
	if _, ok := s.listeners[account][service]; !ok {
		return badRequest(CodeCallbackNotFound, "No callback is registered for service %s of account %s", service, account)
	}
	delete(s.listeners[account], service)
	return nil
}

// ListenerFor returns where an account's profile results go: its
// DeviceProfileService listener, or the fallback URL.
func (s *Sim) ListenerFor(account string) (Listener, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.listeners[account][ServiceDeviceProfile]; ok {
		return l, true
	}
	if s.fallbackURL != "" {
		return Listener{AccountName: account, ServiceName: ServiceDeviceProfile, URL: s.fallbackURL}, true
	}
	return Listener{}, false
}

// StartAction accepts a profile action for every device of req, or refuses
// the whole request with a synchronous error. scenario, when not empty,
// overrides every device's scenario. Each device's scenario then runs on the
// clock; steps due at once have run when StartAction returns, their
// callbacks given to emit (later ones go to the configured Emit).
func (s *Sim) StartAction(p *Principal, action string, req *ActionRequest, scenario string, emit func(Callback)) (string, error) {
	if len(req.Devices) > MaxDevices {
		return "", badRequest(CodeMaxRequests, "/devices: %d devices exceed the limit of %d per request", len(req.Devices), MaxDevices)
	}
	if err := s.knownScenario(ScenarioHeader, scenario); err != nil {
		return "", err
	}
	s.mu.Lock()
	if err := s.accountFor(p, req.AccountName); err != nil {
		s.mu.Unlock()
		return "", err
	}
	requestID := newUUID()
	now := s.clock.Now()
	acts := make([]*deviceAction, len(req.Devices))
	for i, dev := range req.Devices {
		var eid, iccid string
		for _, id := range dev.DeviceIDs {
			switch id.Kind {
			case "eid":
				eid = id.ID
			case "iccid":
				iccid = id.ID
			}
		}
		d := s.devices[eid]
		if d == nil || d.Account != req.AccountName {
			s.mu.Unlock()
			return "", badRequest(CodeDeviceNotFound, "/devices/%d: device %s was not found in account %s", i, eid, req.AccountName)
		}
		if d.State != StateActive {
			s.mu.Unlock()
			return "", badRequest(CodeDeviceStateInvalid, "/devices/%d: device %s is %s, not Active", i, eid, d.State)
		}
		acts[i] = &deviceAction{
			requestID: requestID, action: action, account: req.AccountName, eid: eid, iccid: iccid,
			smsrOID: req.SMSROID, deviceIDs: dev.DeviceIDs, gen: s.gen, started: now,
		}
	}
	for _, a := range acts {
		d := s.devices[a.eid]
		a.device = d.clone()
		if r := Check(d, action, a.iccid); r != nil {
			a.scenario = refusalScenario(r)
			continue
		}
		a.scenario = s.scenarioFor(d, scenario)
		d = s.mutable(a.eid)
		d.Pending = &Pending{RequestID: requestID, Action: action, ICCID: a.iccid, Scenario: a.scenario.Name, Since: now}
	}
	for _, a := range acts {
		s.actions[a] = true
	}
	s.changes++
	s.mu.Unlock()
	for _, a := range acts {
		s.schedule(a, emit)
	}
	return requestID, nil
}

// schedule runs the steps of a that have not run yet, each at its time
// from the request: at once when that time has passed, with its callbacks
// given to emit.
func (s *Sim) schedule(a *deviceAction, emit func(Callback)) {
	now := s.clock.Now()
	for i := a.fired; i < len(a.scenario.Steps); i++ {
		due := a.started.Add(time.Duration(a.scenario.Steps[i].After)).Sub(now)
		if due <= 0 {
			s.fire(a, i, emit)
			continue
		}
		s.clock.AfterFunc(due, func() { s.fire(a, i, s.emit) })
	}
}

// scenarioFor picks a device's scenario: the request's, the device's, the
// account's, the default, first match wins.
func (s *Sim) scenarioFor(d *Device, requested string) *Scenario {
	for _, name := range []string{requested, d.Scenario, s.accounts[d.Account].Scenario} {
		if sc, ok := s.scenarios[name]; ok {
			return sc
		}
	}
	return s.scenarios[s.defaultScenario]
}

// fire runs step i of an action: it settles the action when the step ends
// it, and gives the step's callbacks to emit. They are emitted under the
// lock, so that a saved state never holds a step run without its callbacks.
func (s *Sim) fire(a *deviceAction, i int, emit func(Callback)) {
	st := a.scenario.Steps[i]
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.gen != s.gen || i < a.fired {
		return
	}
	a.fired = i + 1
	if a.fired == len(a.scenario.Steps) {
		delete(s.actions, a)
	}
	s.changes++
	d := s.devices[a.eid]
	if !a.done && st.Result != ResultPending {
		a.done = true
		if d != nil && d.Pending != nil && d.Pending.RequestID == a.requestID {
			d = s.mutable(a.eid)
			d.Pending = nil
			if st.Result == ResultSuccess {
				if r := Apply(d, a.action, a.iccid); r != nil {
					st = refusalScenario(r).Steps[0]
				}
			}
		}
	}
	if d == nil {
		d = a.device
	}
	msg := newMessage(a, d, st)
	for range st.sends() {
		emit(Callback{Account: a.account, EID: a.eid, Step: i, Message: msg, gen: s.gen})
	}
}

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
	out := make([]*Device, 0, len(s.devices))
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
	d := s.devices[eid]
	if d == nil {
		return nil, apiError(404, CodeDeviceNotFound, "device %s was not found", eid)
	}
	return d.clone(), nil
}

// PutDevice creates or replaces a device; a replaced device loses its
// pending action.
func (s *Sim) PutDevice(d *Device) error {
	if err := checkDevice(d); err != nil {
		return badRequest(CodeUnexpected, "%s", err)
	}
	if err := s.knownScenario("/scenario", d.Scenario); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	if _, ok := s.accounts[d.Account]; !ok {
		return badRequest(CodeAccountNotFound, "/account: account %s was not found", d.Account)
	}
	d = d.clone()
	d.Pending = nil
	s.devices[d.EID] = d
	s.owned[d.EID] = true
	return nil
}

// knownScenario refuses a scenario name, given in field, that is neither ""
// nor known.
func (s *Sim) knownScenario(field, name string) error {
	if _, ok := s.scenarios[name]; name != "" && !ok {
		return badRequest(CodeSimUnknownScenario, "%s: unknown scenario %q (known: %v)", field, name, s.ScenarioNames())
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
	s.changes++
	d := s.mutable(eid)
	if d == nil {
		return apiError(404, CodeDeviceNotFound, "device %s was not found", eid)
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
	s.changes++
	a := s.accounts[account]
	if a == nil {
		return apiError(404, CodeAccountNotFound, "account %s was not found", account)
	}
	a.Scenario = scenario
	return nil
}
