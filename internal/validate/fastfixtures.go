package validate

import (
	jsonv2 "github.com/go-json-experiment/json"

	"github.com/tssim/tssim/internal/domain"
)

// strict decodes JSON as the fixtures' fast path needs: keys exactly as
// spelt (no other case), each given once, no key the type does not name,
// valid UTF-8, nothing after the value. go-json-experiment/json (the
// proposed encoding/json/v2) does all of it; BENCHMARKS.md has the figures
// of this choice.
var strict = jsonv2.JoinOptions(jsonv2.RejectUnknownMembers(true))

// The shape of schemas/fixtures.json as the fast path reads it: a pointer
// where a required member's absence matters, an opt where an optional one
// may be absent but not null.
type (
	fixturesDoc struct {
		Clients  *[]domain.AppClient `json:"clients"`
		Users    *[]userDoc          `json:"users"`
		Accounts *[]accountDoc       `json:"accounts"`
		Devices  *[]deviceDoc        `json:"devices"`
	}
	userDoc struct {
		Username string    `json:"username"`
		Password string    `json:"password"`
		Accounts *[]string `json:"accounts"`
	}
	accountDoc struct {
		Name     string `json:"name"`
		SMSROID  opt    `json:"smsrOid"`
		Scenario opt    `json:"scenario"`
	}
	deviceDoc struct {
		EID         string           `json:"eid"`
		Account     string           `json:"account"`
		IMEI        opt              `json:"imei"`
		MDN         opt              `json:"mdn"`
		State       string           `json:"state"`
		IPAddress   opt              `json:"ipAddress"`
		ServicePlan opt              `json:"servicePlan"`
		Scenario    opt              `json:"scenario"`
		Profiles    []domain.Profile `json:"profiles"`
	}
)

// fastFixtures decodes a fixtures document that plainly satisfies
// schemas/fixtures.json, or reports false and leaves it to the schema: it
// makes loading 100,000 devices take a small fraction of a second instead
// of several. Like fastProfileAction it never accepts what the schema
// refuses, and decodes what it accepts as encoding/json would
// (FuzzFastFixtures). Every string is plain (see plain). Devices with a
// pending action are left to the schema.
func fastFixtures(data []byte) (*domain.Fixtures, bool) {
	var doc fixturesDoc
	if jsonv2.Unmarshal(data, &doc, strict) != nil || doc.Clients == nil || doc.Users == nil || doc.Accounts == nil || doc.Devices == nil {
		return nil, false
	}
	f := &domain.Fixtures{Clients: *doc.Clients}
	for _, c := range f.Clients {
		if !filled(c.AppKey, c.AppSecret) {
			return nil, false
		}
	}
	for _, u := range *doc.Users {
		if !filled(u.Username, u.Password) || u.Accounts == nil || !filled(*u.Accounts...) {
			return nil, false
		}
		f.Users = append(f.Users, domain.User{Username: u.Username, Password: u.Password, Accounts: *u.Accounts})
	}
	for _, a := range *doc.Accounts {
		acc := domain.Account{Name: a.Name}
		if !filled(a.Name) || !optional(a.SMSROID, &acc.SMSROID, isOID) || !optional(a.Scenario, &acc.Scenario, nonEmpty) {
			return nil, false
		}
		f.Accounts = append(f.Accounts, acc)
	}
	// One block for every device: 100,000 of them load in one allocation.
	devices := make([]domain.Device, len(*doc.Devices))
	f.Devices = make([]*domain.Device, len(devices))
	for i := range devices {
		if !plainDevice(&(*doc.Devices)[i], &devices[i]) {
			return nil, false
		}
		f.Devices[i] = &devices[i]
	}
	share(f)
	return f, true
}

// plainDevice checks one device of schemas/device.json, and fills d.
func plainDevice(in *deviceDoc, d *domain.Device) bool {
	*d = domain.Device{EID: in.EID, Account: in.Account, State: in.State, Profiles: in.Profiles}
	if !digits(d.EID, 30, 32) || !filled(d.Account) || len(d.Profiles) == 0 ||
		!optional(in.IMEI, &d.IMEI, func(s string) bool { return digits(s, 14, 16) }) ||
		!optional(in.MDN, &d.MDN, func(s string) bool { return digits(s, 10, 15) }) ||
		!optional(in.IPAddress, &d.IPAddress, plain) || !optional(in.ServicePlan, &d.ServicePlan, plain) ||
		!optional(in.Scenario, &d.Scenario, nonEmpty) {
		return false
	}
	switch d.State {
	case domain.StateActive, "Suspend", "Deactive":
	default:
		return false
	}
	bootstraps, enabled := 0, 0
	for _, pr := range d.Profiles {
		if !digits(pr.ICCID, 19, 20) {
			return false
		}
		switch pr.Type {
		case domain.ProfileBootstrap:
			bootstraps++
		case domain.ProfileLocal:
		default:
			return false
		}
		switch pr.Status {
		case domain.StatusEnabled:
			enabled++
		case domain.StatusDisabled, domain.StatusInstalling:
		default:
			return false
		}
	}
	return bootstraps == 1 && enabled == 1
}

// filled reports strings that are plain and not empty.
func filled(ss ...string) bool {
	for _, s := range ss {
		if !nonEmpty(s) {
			return false
		}
	}
	return true
}

func nonEmpty(s string) bool { return s != "" && plain(s) }

// opt is an optional string member: absent, or a string (null is
// neither, and fails the decoding).
type opt struct {
	set bool
	v   string
}

// UnmarshalJSON takes a string, and refuses anything else.
func (o *opt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return errNotPlain
	}
	o.set = true
	return jsonv2.Unmarshal(b, &o.v)
}

// optional copies an optional member that is absent, or present and ok.
func optional(o opt, dst *string, ok func(string) bool) bool {
	if !o.set {
		return true
	}
	*dst = o.v
	return ok(o.v) && plain(o.v)
}

// share makes the strings many devices repeat (account, state, service
// plan, profile types and statuses) one each, so that 100,000 devices do
// not hold 100,000 copies of "Active".
func share(f *domain.Fixtures) {
	shared := map[string]string{}
	one := func(ss ...*string) {
		for _, s := range ss {
			if v, ok := shared[*s]; ok {
				*s = v
			} else {
				shared[*s] = *s
			}
		}
	}
	for _, d := range f.Devices {
		one(&d.Account, &d.State, &d.ServicePlan, &d.Scenario)
		for i := range d.Profiles {
			one(&d.Profiles[i].Type, &d.Profiles[i].Status)
		}
	}
}
