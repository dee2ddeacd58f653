package simulator

import (
	"bytes"
	"encoding/json"
	"slices"
)

// fixtureKeys are every object key of schemas/fixtures.json.
var fixtureKeys = map[string]bool{
	"clients": true, "users": true, "accounts": true, "devices": true,
	"appKey": true, "appSecret": true, "username": true, "password": true,
	"name": true, "smsrOid": true, "scenario": true,
	"eid": true, "account": true, "imei": true, "mdn": true, "state": true, "ipAddress": true,
	"servicePlan": true, "pending": true, "profiles": true, "iccid": true, "type": true, "status": true,
}

// digitsOrEmpty reports whether an optional string is absent ("") or
// digits.
func digitsOrEmpty(s string, minLen, maxLen int) bool {
	return s == "" || digits(s, minLen, maxLen)
}

// fastFixtures decodes a fixtures document that plainly satisfies
// schemas/fixtures.json, or reports false and leaves it to the schema. Like
// fastProfileAction it must never accept what the schema refuses
// (FuzzFastFixtures); it makes loading a fixture of 100,000 devices take a
// fraction of a second instead of several, decoding straight into the
// simulator's own types.
func fastFixtures(data []byte) (*Fixtures, bool) {
	for _, c := range data {
		if c >= 0x80 || c == '\\' {
			return nil, false
		}
	}
	// Without null or "" anywhere, a field decoded as "" was absent.
	if bytes.Contains(data, []byte("null")) || bytes.Contains(data, []byte(`""`)) {
		return nil, false
	}
	if !onlyKeys(data, fixtureKeys) || !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
		return nil, false
	}
	var doc struct {
		Clients *[]AppClient `json:"clients"`
		Users   *[]struct {
			Username string    `json:"username"`
			Password string    `json:"password"`
			Accounts *[]string `json:"accounts"`
		} `json:"users"`
		Accounts *[]Account `json:"accounts"`
		Devices  *[]*Device `json:"devices"`
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if d.Decode(&doc) != nil || d.More() || doc.Clients == nil || doc.Users == nil || doc.Accounts == nil || doc.Devices == nil {
		return nil, false
	}
	f := &Fixtures{Clients: *doc.Clients, Accounts: *doc.Accounts, Devices: *doc.Devices}
	for _, c := range f.Clients {
		if c.AppKey == "" || c.AppSecret == "" {
			return nil, false
		}
	}
	for _, u := range *doc.Users {
		if u.Username == "" || u.Password == "" || u.Accounts == nil || slices.Contains(*u.Accounts, "") {
			return nil, false
		}
		f.Users = append(f.Users, User{Username: u.Username, Password: u.Password, Accounts: *u.Accounts})
	}
	for _, a := range f.Accounts {
		if a.Name == "" || (a.SMSROID != "" && !isOID(a.SMSROID)) {
			return nil, false
		}
	}
	for _, dv := range f.Devices {
		if dv == nil || !digits(dv.EID, 30, 32) || dv.Account == "" || !digitsOrEmpty(dv.IMEI, 14, 16) || !digitsOrEmpty(dv.MDN, 10, 15) ||
			(dv.State != "Active" && dv.State != "Suspend" && dv.State != "Deactive") || len(dv.Profiles) == 0 {
			return nil, false
		}
		bootstraps, enabled := 0, 0
		for _, p := range dv.Profiles {
			if !digits(p.ICCID, 19, 20) {
				return nil, false
			}
			switch p.Type {
			case ProfileBootstrap:
				bootstraps++
			case ProfileLocal:
			default:
				return nil, false
			}
			switch p.Status {
			case StatusEnabled:
				enabled++
			case StatusDisabled, StatusInstalling:
			default:
				return nil, false
			}
		}
		if bootstraps != 1 || enabled != 1 {
			return nil, false
		}
	}
	return f, true
}
