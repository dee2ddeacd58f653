package simulator

import (
	"bytes"
	"encoding/json"
	"runtime"
	"slices"
	"sync"
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
	// The devices, most of the file, are decoded apart and in parallel.
	rest, devices, ok := cutDevices(data)
	if !ok {
		return nil, false
	}
	var parsed []*Device
	decoded := make(chan bool, 1)
	go func() { parsed, ok = decodeDevices(devices); decoded <- ok }()
	restOK := decodeStrict(rest, &doc)
	if !<-decoded || !restOK || doc.Clients == nil || doc.Users == nil || doc.Accounts == nil || doc.Devices == nil {
		return nil, false
	}
	f := &Fixtures{Clients: *doc.Clients, Accounts: *doc.Accounts, Devices: parsed}
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

// decodeStrict decodes one JSON value, refusing unknown fields and trailing
// data.
func decodeStrict(data []byte, v any) bool {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	return d.Decode(v) == nil && !d.More()
}

// cutDevices finds the value of the top-level "devices" key: it returns the
// document with that value replaced by [] and the value itself. The input
// has no backslash, so a quote always opens or closes a string.
func cutDevices(data []byte) (rest, devices []byte, ok bool) {
	depth, inString, start, end, found := 0, false, -1, -1, 0
	keyStart := -1
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			if c == '"' {
				inString = false
				if depth == 1 && string(data[keyStart:i]) == "devices" {
					j := i + 1
					for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\n' || data[j] == '\r') {
						j++
					}
					if j < len(data) && data[j] == ':' {
						found++
						j++
						for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\n' || data[j] == '\r') {
							j++
						}
						start = j
					}
				}
			}
			continue
		}
		switch c {
		case '"':
			inString, keyStart = true, i+1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 1 && start >= 0 && end < 0 && c == ']' {
				end = i + 1
			}
		}
	}
	if found != 1 || start < 0 || end < 0 || data[start] != '[' {
		return nil, nil, false
	}
	rest = append(append(append([]byte{}, data[:start]...), "[]"...), data[end:]...)
	return rest, data[start:end], true
}

// decodeDevices decodes a JSON array of devices in as many parts as there
// are processors, cut between elements.
func decodeDevices(raw []byte) ([]*Device, bool) {
	parts := max(1, min(runtime.GOMAXPROCS(0), len(raw)/(1<<20)))
	bounds := []int{0}
	depth, inString, next := 0, false, len(raw)/parts
	for i, c := range raw {
		switch {
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		case c == ',' && depth == 1 && i >= next:
			bounds = append(bounds, i)
			next = i + len(raw)/parts
		}
	}
	bounds = append(bounds, len(raw)-1)
	out := make([][]*Device, len(bounds)-1)
	oks := make([]bool, len(out))
	var wg sync.WaitGroup
	for p := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			part := append(append([]byte{'['}, raw[bounds[p]+1:bounds[p+1]]...), ']')
			oks[p] = decodeStrict(part, &out[p]) && out[p] != nil
		}()
	}
	wg.Wait()
	if slices.Contains(oks, false) {
		return nil, false
	}
	return slices.Concat(out...), true
}
