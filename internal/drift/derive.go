package drift

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/record"
)

// Fixtures is a fixture file of tssim (schemas/fixtures.json).
type Fixtures struct {
	Clients  []domain.AppClient `json:"clients"`
	Users    []domain.User      `json:"users"`
	Accounts []domain.Account   `json:"accounts"`
	Devices  []*domain.Device   `json:"devices"`
}

// What fixtures may hold, as schemas/fixtures.json and device.json say.
var (
	eidPattern   = regexp.MustCompile(`^[0-9]{30,32}$`)
	imeiPattern  = regexp.MustCompile(`^[0-9]{14,16}$`)
	mdnPattern   = regexp.MustCompile(`^[0-9]{10,15}$`)
	iccidPattern = regexp.MustCompile(`^[0-9]{19,20}$`)
	smsrPattern  = regexp.MustCompile(`^[0-9]+(\.[0-9]+)+$`)
)

// fixtures derives the world the recording was made in, as far as it
// shows it: the app keys whose token requests succeeded, with the label of
// the secret that did as their secret; the users whose logins succeeded,
// likewise, with the accounts their sessions used; every account named;
// and every device named by an EID, as a device list answered before any
// action on it showed it, else as its actions imply (the profiles they
// name, the service state they need). Notes say what could not be
// derived.
func (s *session) fixtures() (*Fixtures, []string) {
	f := &Fixtures{Clients: []domain.AppClient{}, Users: []domain.User{}, Accounts: []domain.Account{}, Devices: []*domain.Device{}}
	var notes []string
	s.deriveCredentials(f)
	s.deriveAccounts(f)
	for _, eid := range s.eids() {
		if !eidPattern.MatchString(eid) {
			notes = append(notes, fmt.Sprintf("device %s: not an EID of 30 to 32 digits, left out", eid))
			continue
		}
		d, note := s.device(eid, f)
		if note != "" {
			notes = append(notes, note)
		}
		if d != nil {
			f.Devices = append(f.Devices, d)
		}
	}
	return f, notes
}

// deriveCredentials finds the clients and users whose credentials the
// upstream accepted.
func (s *session) deriveCredentials(f *Fixtures) {
	sessionsOf := map[string][]string{} // username → its session token labels
	for _, x := range s.exchanges {
		h := x.e.Request.Headers
		if key, secret, ok := basic(h["Authorization"]); ok && x.ok() && find(x.answer, "access_token") != nil {
			if !slices.ContainsFunc(f.Clients, func(c domain.AppClient) bool { return c.AppKey == key }) {
				f.Clients = append(f.Clients, domain.AppClient{AppKey: key, AppSecret: secret})
			}
		}
		user, _ := field(x.body, "username").(string)
		pass, _ := field(x.body, "password").(string)
		tok, _ := field(x.answer, "sessionToken").(string)
		if user == "" || pass == "" || tok == "" || !x.ok() {
			continue
		}
		if !slices.ContainsFunc(f.Users, func(u domain.User) bool { return u.Username == user }) {
			f.Users = append(f.Users, domain.User{Username: user, Password: pass})
		}
		sessionsOf[user] = append(sessionsOf[user], tok)
	}
	for i := range f.Users {
		u := &f.Users[i]
		u.Accounts = []string{}
		for _, x := range s.exchanges {
			if x.ok() && slices.Contains(sessionsOf[u.Username], x.e.Request.Headers["Vz-M2m-Token"]) {
				if a := accountOf(x); a != "" && !slices.Contains(u.Accounts, a) {
					u.Accounts = append(u.Accounts, a)
				}
			}
		}
	}
}

// basic reads a recorded "Basic appKey:secret" header.
func basic(h string) (key, secret string, ok bool) {
	scheme, cred, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	return strings.Cut(cred, ":")
}

// basicHeader is a recorded Basic header as it is sent.
func basicHeader(key, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret))
}

// accountOf is the account a request names, in its path or its body.
func accountOf(x *exchange) string {
	if a := x.vars["accountName"]; a != "" {
		return a
	}
	a, _ := field(x.body, "accountName").(string)
	return a
}

// deriveAccounts names every account the recording names, with the
// SM-SR its requests name; users whose sessions used none get them all.
func (s *session) deriveAccounts(f *Fixtures) {
	add := func(name, smsr string) {
		if name == "" {
			return
		}
		i := slices.IndexFunc(f.Accounts, func(a domain.Account) bool { return a.Name == name })
		if i < 0 {
			f.Accounts = append(f.Accounts, domain.Account{Name: name})
			i = len(f.Accounts) - 1
		}
		if f.Accounts[i].SMSROID == "" && smsrPattern.MatchString(smsr) {
			f.Accounts[i].SMSROID = smsr
		}
	}
	for _, x := range s.exchanges {
		smsr, _ := field(x.body, "smsrOid").(string)
		add(accountOf(x), smsr)
		for _, d := range listedDevices(x.answer) {
			add(d.account, "")
		}
	}
	for _, c := range s.callbacks {
		for _, d := range listedDevices(c.body) {
			add(d.account, "")
		}
	}
	for _, e := range s.rec.Entries {
		if e.Type == record.TypeCallback {
			add(e.Account, "")
		}
	}
	var all []string
	for _, a := range f.Accounts {
		all = append(all, a.Name)
	}
	for i := range f.Users {
		if len(f.Users[i].Accounts) == 0 {
			f.Users[i].Accounts = slices.Clone(all)
		}
	}
}

// eids are the devices the recording names by EID, in the order first
// named.
func (s *session) eids() []string {
	var out []string
	for _, k := range s.devices.order {
		if e, ok := strings.CutPrefix(k, "eid:"); ok && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// listed is a device as a device list showed it.
type listed struct {
	eid, account, state, servicePlan, ipAddress string
	ids                                         []ident
	profiles                                    []domain.Profile
}

// listedDevices finds the devices a device list shows in a body: objects
// with deviceIds and their profiles, as the v1 list (profiles in the
// extended attribute Profiles, ICCID:type:STATUS) and the v2 list's
// callback (profiles) show them.
func listedDevices(v any) []listed {
	var out []listed
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			raw, _ := v["deviceIds"].([]any)
			ids := toIdents(raw)
			if ps, ok := profilesOf(v); ok && len(ids) > 0 {
				d := listed{ids: ids, profiles: ps}
				for _, id := range ids {
					if strings.EqualFold(id.kind, "eid") {
						d.eid = id.id
					}
				}
				d.account, _ = v["accountName"].(string)
				d.ipAddress, _ = v["ipAddress"].(string)
				d.servicePlan, _ = v["servicePlan"].(string)
				d.state, _ = v["state"].(string)
				if ci, _ := v["carrierInformations"].([]any); len(ci) > 0 {
					c, _ := ci[0].(map[string]any)
					d.state, _ = c["state"].(string)
					d.servicePlan, _ = c["servicePlan"].(string)
				}
				out = append(out, d)
				return
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// profilesOf reads a listed device's profiles.
func profilesOf(v map[string]any) ([]domain.Profile, bool) {
	var out []domain.Profile
	if ps, ok := v["profiles"].([]any); ok {
		for _, p := range ps {
			m, _ := p.(map[string]any)
			iccid, _ := m["iccid"].(string)
			typ, _ := m["profileType"].(string)
			st, _ := m["profileStatus"].(string)
			out = append(out, domain.Profile{ICCID: iccid, Type: strings.ToLower(typ), Status: statusOf(st)})
		}
		return out, true
	}
	attrs, _ := v["extendedAttributes"].([]any)
	for _, a := range attrs {
		m, _ := a.(map[string]any)
		if m["key"] != domain.AttrProfiles {
			continue
		}
		val, _ := m["value"].(string)
		for p := range strings.SplitSeq(val, ",") {
			parts := strings.Split(p, ":")
			if len(parts) == 3 {
				out = append(out, domain.Profile{ICCID: parts[0], Type: strings.ToLower(parts[1]), Status: statusOf(parts[2])})
			}
		}
		return out, true
	}
	return nil, false
}

// statusOf is a profile status in the lists' words (ENABLE, DISABLE,
// NOT_DOWNLOADED, DOWNLOAD_ENABLE…) as the model has it.
func statusOf(word string) string {
	w := strings.ToUpper(word)
	switch {
	case strings.Contains(w, "DISABLE"):
		return domain.StatusDisabled
	case strings.Contains(w, "ENABLE"):
		return domain.StatusEnabled
	}
	return domain.StatusInstalling
}

// stateOf is a service state in any of ThingSpace's spellings as the
// model has it; "" for none it knows.
func stateOf(s string) string {
	switch strings.ToUpper(s) {
	case "ACTIVE", "ACTIVATE", "ACTIVATED":
		return domain.StateActive
	case "SUSPEND", "SUSPENDED":
		return domain.StateSuspend
	case "DEACTIVE", "DEACTIVATE", "DEACTIVATED":
		return domain.StateDeactive
	}
	return ""
}

// profilesValid reports whether profiles make a device fixtures take:
// one bootstrap, one enabled, ICCIDs of 19 or 20 digits, types known.
func profilesValid(ps []domain.Profile) bool {
	boot, enabled := 0, 0
	for _, p := range ps {
		if !iccidPattern.MatchString(p.ICCID) || (p.Type != domain.ProfileBootstrap && p.Type != domain.ProfileLocal) {
			return false
		}
		if p.Type == domain.ProfileBootstrap {
			boot++
		}
		if p.Status == domain.StatusEnabled {
			enabled++
		}
	}
	return boot == 1 && enabled == 1
}

// action is an accepted request acting on one device, and the ICCID it
// named with it.
type action struct {
	x      *exchange
	target string
}

// actions are the accepted requests of an operation with a Kind that
// name eid, in order.
func (s *session) actions(eid string) []action {
	var out []action
	for _, x := range s.exchanges {
		if x.op == nil || x.op.Kind == nil || !x.ok() {
			continue
		}
		for _, ids := range identifierLists(x.body) {
			if !s.names(ids, eid) {
				continue
			}
			a := action{x: x}
			for _, id := range ids {
				if strings.EqualFold(id.kind, "iccid") {
					a.target = id.id
				}
			}
			out = append(out, a)
			break
		}
	}
	return out
}

// names reports whether a list of identifiers names the device eid.
func (s *session) names(ids []ident, eid string) bool {
	return slices.ContainsFunc(ids, func(id ident) bool { return s.devices.eid(id.kind, id.id) == eid })
}

// device derives one device, or says why it cannot.
func (s *session) device(eid string, f *Fixtures) (*domain.Device, string) {
	d := &domain.Device{EID: eid}
	acts := s.actions(eid)
	firstAction := -1
	if len(acts) > 0 {
		firstAction = acts[0].x.e.Seq
	}
	// The first list that shows the device, and whether it shows it as
	// it was before any action.
	var snap *listed
	snapBefore := false
	for _, x := range s.exchanges {
		for _, l := range listedDevices(x.answer) {
			if l.eid == eid && snap == nil {
				snap, snapBefore = &l, firstAction < 0 || x.e.Seq < firstAction
			}
		}
	}
	for _, c := range s.callbacks {
		for _, l := range listedDevices(c.body) {
			if l.eid == eid && snap == nil {
				snap, snapBefore = &l, firstAction < 0 || c.seq < firstAction
			}
		}
	}
	for _, k := range s.devices.order {
		kind, id, _ := strings.Cut(k, ":")
		if s.devices.eid(kind, id) != eid {
			continue
		}
		switch kind {
		case "imei":
			if d.IMEI == "" && imeiPattern.MatchString(id) {
				d.IMEI = id
			}
		case "mdn", "msisdn":
			if d.MDN == "" && mdnPattern.MatchString(id) {
				d.MDN = id
			}
		}
	}
	if snap != nil {
		d.Account, d.IPAddress, d.ServicePlan = snap.account, snap.ipAddress, snap.servicePlan
	}
	for _, a := range acts {
		if d.Account == "" {
			d.Account = accountOf(a.x)
		}
	}
	if d.Account == "" && len(f.Accounts) > 0 {
		d.Account = f.Accounts[0].Name
	}
	if d.Account == "" {
		return nil, fmt.Sprintf("device %s: no account names it, left out", eid)
	}
	if snap != nil && snapBefore && profilesValid(snap.profiles) && stateOf(snap.state) != "" {
		d.State, d.Profiles = stateOf(snap.state), slices.Clone(snap.profiles)
		return d, ""
	}
	d.State, d.Profiles = s.inferred(eid, acts)
	return d, fmt.Sprintf("device %s: no device list showed it before it was acted on; its profiles and state are inferred from its actions (start a recorded session with a device list)", eid)
}

// inferred is a device's service state and profiles as its actions imply
// them: the state the first needs, a local profile for each ICCID an
// action other than a download names and that did not fail (a failure may
// be the profile's absence; the one a disable names is enabled), and a
// bootstrap profile, enabled when no disable says otherwise.
func (s *session) inferred(eid string, acts []action) (string, []domain.Profile) {
	state := domain.StateActive
	if len(acts) > 0 && len(acts[0].x.op.Kind.States) > 0 {
		state = acts[0].x.op.Kind.States[0]
	}
	var profiles []domain.Profile
	enabled := ""
	seen := map[string]bool{}
	for _, a := range acts {
		if a.target == "" || seen[a.target] || !iccidPattern.MatchString(a.target) || s.failed(a.x, eid) {
			continue
		}
		seen[a.target] = true
		if strings.Contains(a.x.op.Kind.Name, "download") {
			continue
		}
		profiles = append(profiles, domain.Profile{ICCID: a.target, Type: domain.ProfileLocal, Status: domain.StatusDisabled})
		if a.x.op.Kind.Name == domain.ActionDisable && enabled == "" {
			enabled = a.target
			profiles[len(profiles)-1].Status = domain.StatusEnabled
		}
	}
	boot := domain.Profile{ICCID: "8900" + eid[len(eid)-16:], Type: domain.ProfileBootstrap, Status: domain.StatusDisabled}
	if enabled == "" {
		boot.Status = domain.StatusEnabled
	}
	return state, append([]domain.Profile{boot}, profiles...)
}

// failed reports whether the callbacks of request x for device eid say it
// failed: none says success, and one says failure.
func (s *session) failed(x *exchange, eid string) bool {
	failure := false
	for _, c := range s.callbacks {
		if c.request != x || c.device != eid {
			continue
		}
		switch resultOf(itemOf(c, 0)) {
		case domain.ResultSuccess:
			return false
		case domain.ResultFailure:
			failure = true
		}
	}
	return failure
}
