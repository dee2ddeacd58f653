package validate

import (
	"strings"

	"github.com/tssim/tssim/internal/domain"
)

// fastFixtures decodes a fixtures document that plainly satisfies
// schemas/fixtures.json, or reports false and leaves it to the schema. Like
// fastProfileAction it must never accept what the schema refuses
// (FuzzFastFixtures), and it decodes what it accepts as encoding/json
// would; it makes loading a fixture of 100,000 devices take a small
// fraction of a second instead of several. Devices with a pending action
// are left to the schema.
func fastFixtures(src string) (*domain.Fixtures, bool) {
	p := plainJSON{src: src}
	f := &domain.Fixtures{}
	seen, ok := p.members([]string{"clients", "users", "accounts", "devices"}, func(i int) bool {
		switch i {
		case 0:
			return each(&p, &f.Clients, p.client)
		case 1:
			return each(&p, &f.Users, p.user)
		case 2:
			return each(&p, &f.Accounts, p.account)
		}
		return each(&p, &f.Devices, p.device)
	})
	if !ok || seen != 0b1111 || !p.end() {
		return nil, false
	}
	compact(f)
	return f, true
}

// compact copies out every string of f, which are slices of the source,
// so that the source can be freed: the devices' identifiers into one block,
// the values many share (accounts, states, profile types) once each.
func compact(f *domain.Fixtures) {
	size := 0
	for _, d := range f.Devices {
		size += len(d.EID) + len(d.IMEI) + len(d.MDN) + len(d.IPAddress)
		for _, p := range d.Profiles {
			size += len(p.ICCID)
		}
	}
	var block strings.Builder
	block.Grow(size)
	own := func(ss ...*string) {
		for _, s := range ss {
			start := block.Len()
			block.WriteString(*s)
			*s = block.String()[start:]
		}
	}
	shared := map[string]string{}
	share := func(ss ...*string) {
		for _, s := range ss {
			v, ok := shared[*s]
			if !ok {
				v = strings.Clone(*s)
				shared[v] = v
			}
			*s = v
		}
	}
	for _, d := range f.Devices {
		own(&d.EID, &d.IMEI, &d.MDN, &d.IPAddress)
		share(&d.Account, &d.State, &d.ServicePlan, &d.Scenario)
		for i := range d.Profiles {
			p := &d.Profiles[i]
			own(&p.ICCID)
			share(&p.Type, &p.Status)
		}
	}
	for i := range f.Clients {
		share(&f.Clients[i].AppKey, &f.Clients[i].AppSecret)
	}
	for i := range f.Users {
		u := &f.Users[i]
		share(&u.Username, &u.Password)
		for j := range u.Accounts {
			share(&u.Accounts[j])
		}
	}
	for i := range f.Accounts {
		share(&f.Accounts[i].Name, &f.Accounts[i].SMSROID, &f.Accounts[i].Scenario)
	}
}

// each reads an array, appending to *dst what elem reads of each element.
func each[T any](p *plainJSON, dst *[]T, elem func() (T, bool)) bool {
	return p.array(func() bool {
		v, ok := elem()
		*dst = append(*dst, v)
		return ok
	})
}

func (p *plainJSON) client() (domain.AppClient, bool) {
	var c domain.AppClient
	seen, ok := p.members([]string{"appKey", "appSecret"}, func(i int) bool {
		return p.nonEmpty([]*string{&c.AppKey, &c.AppSecret}[i])
	})
	return c, ok && seen == 0b11
}

func (p *plainJSON) user() (domain.User, bool) {
	var u domain.User
	seen, ok := p.members([]string{"username", "password", "accounts"}, func(i int) bool {
		if i == 2 {
			return each(p, &u.Accounts, func() (string, bool) {
				var a string
				return a, p.nonEmpty(&a)
			})
		}
		return p.nonEmpty([]*string{&u.Username, &u.Password}[i])
	})
	return u, ok && seen == 0b111
}

func (p *plainJSON) account() (domain.Account, bool) {
	var a domain.Account
	seen, ok := p.members([]string{"name", "smsrOid", "scenario"}, func(i int) bool {
		switch i {
		case 0:
			return p.nonEmpty(&a.Name)
		case 1:
			var ok bool
			a.SMSROID, ok = p.str()
			return ok && isOID(a.SMSROID)
		}
		return p.nonEmpty(&a.Scenario)
	})
	return a, ok && seen&1 == 1
}

// deviceKeys and profileKeys are the keys the fast path reads, in the
// order it numbers them.
var (
	deviceKeys  = []string{"eid", "account", "imei", "mdn", "state", "ipAddress", "servicePlan", "scenario", "profiles"}
	profileKeys = []string{"iccid", "type", "status"}
)

// device reads one device of schemas/device.json.
func (p *plainJSON) device() (*domain.Device, bool) {
	d := &domain.Device{}
	seen, ok := p.members(deviceKeys, func(i int) bool {
		if i == 8 {
			return each(p, &d.Profiles, p.profile)
		}
		v, ok := p.str()
		*[...]*string{&d.EID, &d.Account, &d.IMEI, &d.MDN, &d.State, &d.IPAddress, &d.ServicePlan, &d.Scenario}[i] = v
		return ok
	})
	const required = 1<<0 | 1<<1 | 1<<4 | 1<<8
	if !ok || seen&required != required || !digits(d.EID, 30, 32) || d.Account == "" ||
		(seen&(1<<2) != 0 && !digits(d.IMEI, 14, 16)) || (seen&(1<<3) != 0 && !digits(d.MDN, 10, 15)) ||
		(seen&(1<<7) != 0 && d.Scenario == "") || len(d.Profiles) == 0 {
		return nil, false
	}
	switch d.State {
	case domain.StateActive, "Suspend", "Deactive":
	default:
		return nil, false
	}
	bootstraps, enabled := 0, 0
	for _, pr := range d.Profiles {
		if !digits(pr.ICCID, 19, 20) {
			return nil, false
		}
		switch pr.Type {
		case domain.ProfileBootstrap:
			bootstraps++
		case domain.ProfileLocal:
		default:
			return nil, false
		}
		switch pr.Status {
		case domain.StatusEnabled:
			enabled++
		case domain.StatusDisabled, domain.StatusInstalling:
		default:
			return nil, false
		}
	}
	return d, bootstraps == 1 && enabled == 1
}

func (p *plainJSON) profile() (domain.Profile, bool) {
	var pr domain.Profile
	seen, ok := p.members(profileKeys, func(i int) bool {
		v, ok := p.str()
		*[...]*string{&pr.ICCID, &pr.Type, &pr.Status}[i] = v
		return ok
	})
	return pr, ok && seen == 0b111
}
