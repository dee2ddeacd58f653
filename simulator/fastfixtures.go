package simulator

import (
	"bytes"
	"encoding/json"
)

// fixtureKeys are every object key of schemas/fixtures.json.
var fixtureKeys = map[string]bool{
	"clients": true, "users": true, "accounts": true, "devices": true,
	"appKey": true, "appSecret": true, "username": true, "password": true,
	"name": true, "smsrOid": true, "scenario": true,
	"eid": true, "account": true, "imei": true, "mdn": true, "state": true, "ipAddress": true,
	"servicePlan": true, "pending": true, "profiles": true, "iccid": true, "type": true, "status": true,
}

// val reads an optional string, "" when absent.
func val(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nonEmpty reports whether a string is present and not "".
func nonEmpty(s *string) bool { return s != nil && *s != "" }

// digitsOrAbsent reports whether an optional string is absent or digits.
func digitsOrAbsent(s *string, minLen, maxLen int) bool {
	return s == nil || digits(*s, minLen, maxLen)
}

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
	// Without "null" anywhere, a nil field was absent, not null.
	if bytes.Contains(data, []byte("null")) {
		return nil, false
	}
	if !onlyKeys(data, fixtureKeys) || !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
		return nil, false
	}
	var doc struct {
		Clients *[]struct {
			AppKey    *string `json:"appKey"`
			AppSecret *string `json:"appSecret"`
		} `json:"clients"`
		Users *[]struct {
			Username *string    `json:"username"`
			Password *string    `json:"password"`
			Accounts *[]*string `json:"accounts"`
		} `json:"users"`
		Accounts *[]struct {
			Name     *string `json:"name"`
			SMSROID  *string `json:"smsrOid"`
			Scenario *string `json:"scenario"`
		} `json:"accounts"`
		Devices *[]struct {
			EID         *string         `json:"eid"`
			Account     *string         `json:"account"`
			IMEI        *string         `json:"imei"`
			MDN         *string         `json:"mdn"`
			State       *string         `json:"state"`
			IPAddress   *string         `json:"ipAddress"`
			ServicePlan *string         `json:"servicePlan"`
			Scenario    *string         `json:"scenario"`
			Pending     json.RawMessage `json:"pending"`
			Profiles    *[]struct {
				ICCID  *string `json:"iccid"`
				Type   *string `json:"type"`
				Status *string `json:"status"`
			} `json:"profiles"`
		} `json:"devices"`
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if d.Decode(&doc) != nil || d.More() || doc.Clients == nil || doc.Users == nil || doc.Accounts == nil || doc.Devices == nil {
		return nil, false
	}
	f := &Fixtures{}
	for _, c := range *doc.Clients {
		if !nonEmpty(c.AppKey) || !nonEmpty(c.AppSecret) {
			return nil, false
		}
		f.Clients = append(f.Clients, AppClient{*c.AppKey, *c.AppSecret})
	}
	for _, u := range *doc.Users {
		if !nonEmpty(u.Username) || !nonEmpty(u.Password) || u.Accounts == nil {
			return nil, false
		}
		user := User{Username: *u.Username, Password: *u.Password, Accounts: []string{}}
		for _, a := range *u.Accounts {
			if !nonEmpty(a) {
				return nil, false
			}
			user.Accounts = append(user.Accounts, *a)
		}
		f.Users = append(f.Users, user)
	}
	for _, a := range *doc.Accounts {
		if !nonEmpty(a.Name) || (a.SMSROID != nil && !isOID(*a.SMSROID)) || (a.Scenario != nil && *a.Scenario == "") {
			return nil, false
		}
		f.Accounts = append(f.Accounts, Account{Name: *a.Name, SMSROID: val(a.SMSROID), Scenario: val(a.Scenario)})
	}
	f.Devices = make([]*Device, 0, len(*doc.Devices))
	for _, dv := range *doc.Devices {
		switch {
		case dv.EID == nil || !digits(*dv.EID, 30, 32), !nonEmpty(dv.Account),
			!digitsOrAbsent(dv.IMEI, 14, 16), !digitsOrAbsent(dv.MDN, 10, 15),
			val(dv.State) != "Active" && val(dv.State) != "Suspend" && val(dv.State) != "Deactive",
			dv.Scenario != nil && *dv.Scenario == "",
			dv.Profiles == nil || len(*dv.Profiles) == 0:
			return nil, false
		}
		dev := &Device{EID: *dv.EID, Account: *dv.Account, IMEI: val(dv.IMEI), MDN: val(dv.MDN), State: *dv.State,
			IPAddress: val(dv.IPAddress), ServicePlan: val(dv.ServicePlan), Scenario: val(dv.Scenario),
			Profiles: make([]Profile, 0, len(*dv.Profiles))}
		bootstraps, enabled := 0, 0
		for _, p := range *dv.Profiles {
			if p.ICCID == nil || !digits(*p.ICCID, 19, 20) {
				return nil, false
			}
			switch val(p.Type) {
			case ProfileBootstrap:
				bootstraps++
			case ProfileLocal:
			default:
				return nil, false
			}
			switch val(p.Status) {
			case StatusEnabled:
				enabled++
			case StatusDisabled, StatusInstalling:
			default:
				return nil, false
			}
			dev.Profiles = append(dev.Profiles, Profile{*p.ICCID, *p.Type, *p.Status})
		}
		if bootstraps != 1 || enabled != 1 {
			return nil, false
		}
		f.Devices = append(f.Devices, dev)
	}
	return f, true
}
