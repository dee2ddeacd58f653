package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
)

// fixtureKeys are every object key of schemas/fixtures.json.
var fixtureKeys = map[string]bool{
	"clients": true, "users": true, "accounts": true, "devices": true,
	"appKey": true, "appSecret": true, "username": true, "password": true,
	"name": true, "smsrOid": true, "scenario": true,
	"eid": true, "account": true, "imei": true, "mdn": true, "state": true, "ipAddress": true,
	"servicePlan": true, "pending": true, "profiles": true, "iccid": true, "type": true, "status": true,
}

// jstr is a string field that must be a JSON string when present. The fast
// path only reads bodies without backslashes, so a string's raw bytes are
// its value.
type jstr struct {
	set bool
	v   string
}

var errNotString = errors.New("not a string")

func (s *jstr) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' {
		return errNotString
	}
	s.set, s.v = true, string(b[1:len(b)-1])
	return nil
}

// optional reports whether an optional string is absent or holds digits.
func (s jstr) digitsOrAbsent(minLen, maxLen int) bool { return !s.set || digits(s.v, minLen, maxLen) }

// fastFixtures decodes a fixtures document that plainly satisfies
// schemas/fixtures.json, or reports false and leaves it to the schema. Like
// fastProfileAction it must never accept what the schema refuses
// (FuzzFastFixtures); it makes loading a fixture of 100,000 devices take a
// fraction of a second instead of several.
func fastFixtures(data []byte) (*Fixtures, bool) {
	for _, c := range data {
		if c >= 0x80 || c == '\\' {
			return nil, false
		}
	}
	if !onlyKeys(data, fixtureKeys) || !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
		return nil, false
	}
	var doc struct {
		Clients *[]struct {
			AppKey    jstr `json:"appKey"`
			AppSecret jstr `json:"appSecret"`
		} `json:"clients"`
		Users *[]struct {
			Username jstr    `json:"username"`
			Password jstr    `json:"password"`
			Accounts *[]jstr `json:"accounts"`
		} `json:"users"`
		Accounts *[]struct {
			Name     jstr `json:"name"`
			SMSROID  jstr `json:"smsrOid"`
			Scenario jstr `json:"scenario"`
		} `json:"accounts"`
		Devices *[]struct {
			EID         jstr            `json:"eid"`
			Account     jstr            `json:"account"`
			IMEI        jstr            `json:"imei"`
			MDN         jstr            `json:"mdn"`
			State       jstr            `json:"state"`
			IPAddress   jstr            `json:"ipAddress"`
			ServicePlan jstr            `json:"servicePlan"`
			Scenario    jstr            `json:"scenario"`
			Pending     json.RawMessage `json:"pending"`
			Profiles    *[]struct {
				ICCID  jstr `json:"iccid"`
				Type   jstr `json:"type"`
				Status jstr `json:"status"`
			} `json:"profiles"`
		} `json:"devices"`
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if d.Decode(&doc) != nil || d.More() || doc.Clients == nil || doc.Users == nil || doc.Accounts == nil || doc.Devices == nil {
		return nil, false
	}
	nonEmpty := func(s jstr) bool { return s.set && s.v != "" }
	f := &Fixtures{}
	for _, c := range *doc.Clients {
		if !nonEmpty(c.AppKey) || !nonEmpty(c.AppSecret) {
			return nil, false
		}
		f.Clients = append(f.Clients, AppClient{c.AppKey.v, c.AppSecret.v})
	}
	for _, u := range *doc.Users {
		if !nonEmpty(u.Username) || !nonEmpty(u.Password) || u.Accounts == nil {
			return nil, false
		}
		user := User{Username: u.Username.v, Password: u.Password.v, Accounts: []string{}}
		for _, a := range *u.Accounts {
			if !nonEmpty(a) {
				return nil, false
			}
			user.Accounts = append(user.Accounts, a.v)
		}
		f.Users = append(f.Users, user)
	}
	for _, a := range *doc.Accounts {
		if !nonEmpty(a.Name) || (a.SMSROID.set && !isOID(a.SMSROID.v)) || (a.Scenario.set && a.Scenario.v == "") {
			return nil, false
		}
		f.Accounts = append(f.Accounts, Account{Name: a.Name.v, SMSROID: a.SMSROID.v, Scenario: a.Scenario.v})
	}
	f.Devices = make([]*Device, 0, len(*doc.Devices))
	for _, dv := range *doc.Devices {
		switch {
		case !dv.EID.set || !digits(dv.EID.v, 30, 32), !nonEmpty(dv.Account),
			!dv.IMEI.digitsOrAbsent(14, 16), !dv.MDN.digitsOrAbsent(10, 15),
			dv.State.v != "Active" && dv.State.v != "Suspend" && dv.State.v != "Deactive",
			dv.Scenario.set && dv.Scenario.v == "",
			dv.Profiles == nil || len(*dv.Profiles) == 0:
			return nil, false
		}
		dev := &Device{EID: dv.EID.v, Account: dv.Account.v, IMEI: dv.IMEI.v, MDN: dv.MDN.v, State: dv.State.v,
			IPAddress: dv.IPAddress.v, ServicePlan: dv.ServicePlan.v, Scenario: dv.Scenario.v,
			Profiles: make([]Profile, 0, len(*dv.Profiles))}
		bootstraps, enabled := 0, 0
		for _, p := range *dv.Profiles {
			if !p.ICCID.set || !digits(p.ICCID.v, 19, 20) {
				return nil, false
			}
			switch p.Type.v {
			case ProfileBootstrap:
				bootstraps++
			case ProfileLocal:
			default:
				return nil, false
			}
			switch p.Status.v {
			case StatusEnabled:
				enabled++
			case StatusDisabled, StatusInstalling:
			default:
				return nil, false
			}
			dev.Profiles = append(dev.Profiles, Profile{p.ICCID.v, p.Type.v, p.Status.v})
		}
		if bootstraps != 1 || enabled != 1 {
			return nil, false
		}
		f.Devices = append(f.Devices, dev)
	}
	return f, true
}
