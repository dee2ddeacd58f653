package validate

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tssim/tssim/fixtures"
	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/gen"
	"github.com/tssim/tssim/internal/wire"
)

const fastSeed = `{"devices":[{"deviceIds":[{"kind":"eid","id":"666456789123456789123456784008"},{"kind":"iccid","id":"89148000000840784259"}]}],"accountName":"1223334444-00001","smsrOid":"1.3.6.1.4.1.31746.1.500.200.101.5"}`

var fastCases = []string{
	fastSeed,
	strings.Replace(fastSeed, `"accountName"`, `"ACCOUNTNAME"`, 1),
	strings.Replace(fastSeed, `"kind":"eid"`, `"Kind":"eid"`, 1),
	strings.Replace(fastSeed, `"1223334444-00001"`, `null`, 1),
	strings.Replace(fastSeed, `"1223334444-00001"`, `""`, 1),
	strings.Replace(fastSeed, `"1223334444-00001"`, `"`+strings.Repeat("1", 65)+`"`, 1),
	strings.Replace(fastSeed, `"1223334444-00001"`, `"é"`, 1),
	strings.Replace(fastSeed, `"1.3.6.1.4.1.31746.1.500.200.101.5"`, `"1."`, 1),
	strings.Replace(fastSeed, `"1.3.6.1.4.1.31746.1.500.200.101.5"`, `"1"`, 1),
	strings.Replace(fastSeed, `"1.3.6.1.4.1.31746.1.500.200.101.5"`, `".1.2"`, 1),
	strings.Replace(fastSeed, `"1.3.6.1.4.1.31746.1.500.200.101.5"`, `"1..2"`, 1),
	strings.Replace(fastSeed, `"smsrOid"`, `"servicePlan"`, 1),
	strings.Replace(fastSeed, `}],"accountName"`, `},null],"accountName"`, 1),
	strings.Replace(fastSeed, `"kind":"iccid"`, `"kind":"eid"`, 1),
	strings.Replace(fastSeed, `"89148000000840784259"`, `"891480000008407842"`, 1),
	strings.Replace(fastSeed, `"89148000000840784259"`, `"8914800000084078425"`, 1),
	strings.Replace(fastSeed, `"666456789123456789123456784008"`, `"66645678912345678912345678400"`, 1),
	strings.Replace(fastSeed, `"666456789123456789123456784008"`, `"66645678912345678912345678400812"`, 1),
	strings.Replace(fastSeed, `{"devices"`, `{"accountName":5,"devices"`, 1),
	strings.Replace(fastSeed, `{"devices"`, `{"accountName":"x","devices"`, 1),
	strings.Replace(fastSeed, `"id":"89148000000840784259"`, `"id":89148000000840784259`, 1),
	fastSeed + " {}",
	"[" + fastSeed + "]",
	"null",
	`{"devices":[],"accountName":"a","smsrOid":"1.2"}`,
	strings.Replace(fastSeed, `"12233`, `"12'33`, 1),
	strings.Replace(fastSeed, `"12233`, `"12\u003c33`, 1),
	strings.Replace(fastSeed, `"devices":[`, `"devices" : [`, 1),
	strings.Replace(fastSeed, `{"kind":"eid","id":"666456789123456789123456784008"},{"kind":"iccid","id":"89148000000840784259"}`,
		`{"id":"89148000000840784259","kind":"iccid"} , {"id":"666456789123456789123456784008","kind":"eid"}`, 1),
	strings.Replace(fastSeed, `{"devices"`, "{\n\t\"devices\"", 1) + "\r\n",
	strings.Replace(fastSeed, `"accountName":"1223334444-00001"`, `"accountName":"1223334444-00001","accountName":"1"`, 1),
	strings.Replace(fastSeed, `"kind":"eid",`, `"kind":"eid","kind":"eid",`, 1),
	strings.Replace(fastSeed, `]}],`, `]},{"deviceIds":[]}],`, 1),
	strings.Replace(fastSeed, `]}],`, `],"deviceIds":[]}],`, 1),
	strings.Replace(fastSeed, `]}],`, `,{"kind":"eid","id":"666456789123456789123456784008"}]}],`, 1),
	strings.Replace(fastSeed, `"kind":"eid"`, `"kind":"\u0065id"`, 1),
	strings.Replace(fastSeed, `"12233`, `"12\u002733`, 1),
	strings.Replace(fastSeed, `"devices":[`, `"devices":null,"Devices":[`, 1),
	strings.Replace(fastSeed, `"1223334444-00001"`, "\"12233\t34444\"", 1),
	strings.Replace(fastSeed, `"1223334444-00001"`, "\"12233\x7f34444\"", 1),
	strings.Replace(fastSeed, `"1223334444-00001"`, "\"12233\xff34444\"", 1),
	strings.Replace(fastSeed, `{"deviceIds"`, `{}`, 1),
	strings.Replace(fastSeed, `,"smsrOid"`, `,,"smsrOid"`, 1),
	strings.Replace(fastSeed, `]}]`, `]},]`, 1),
	strings.TrimSuffix(fastSeed, "}"),
}

// The fast path takes up to domain.MaxDevices devices, the schema's maxItems, and
// refuses more as the schema does.
func TestFastPathDeviceLimit(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeFast(gen.ActionBody("1223334444-00001", "1.2", 0, domain.MaxDevices)); err != nil {
		t.Errorf("the fast path refused %d devices: %v", domain.MaxDevices, err)
	}
	if !fastAgrees(t, v, gen.ActionBody("1223334444-00001", "1.2", 0, domain.MaxDevices+1)) {
		t.Errorf("the fast path left %d devices to the schema", domain.MaxDevices+1)
	}
}

func TestFastPathAgreesWithSchema(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	accepted := 0
	for _, c := range fastCases {
		if fastAgrees(t, v, []byte(c)) {
			accepted++
		}
	}
	if _, err := decodeFast([]byte(fastSeed)); accepted < 6 || err != nil {
		t.Errorf("the fast path accepted %d cases: it no longer recognises valid bodies", accepted)
	}
}

// decodeFast is the fast path's decision on body, and what it decoded.
func decodeFast(body []byte) (*wire.ActionRequest, error) {
	var out wire.ActionRequest
	return &out, fastProfileAction(body, &out)
}

func FuzzFastPath(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c))
	}
	v, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) { fastAgrees(t, v, body) })
}

// fastAgrees checks that the fast path answers body as the schema path
// does: the same error, or, when it accepts it, the same document as
// encoding/json decodes. It reports whether the fast path answered.
func fastAgrees(t *testing.T, v *Validator, body []byte) bool {
	t.Helper()
	got, err := decodeFast(body)
	if errors.Is(err, errNotPlain) {
		return false
	}
	slow := v.Check("profile-action.json", body)
	if err != nil || slow != nil {
		if diff := cmp.Diff(slow, err); diff != "" {
			t.Errorf("the fast path answers %.300q otherwise than the schema (-schema +fast):\n%s", body, diff)
		}
		return true
	}
	var want wire.ActionRequest
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("the fast path decodes %.300q otherwise than encoding/json (-want +got):\n%s", body, diff)
	}
	return true
}

// slowFixtures is what LoadFixtures decides without the fast path.
func slowFixtures(v *Validator, data []byte) (*domain.Fixtures, bool) {
	doc, err := parse(data)
	if err != nil || len(v.Validate("fixtures.json", doc)) > 0 {
		return nil, false
	}
	var f domain.Fixtures
	return &f, json.Unmarshal(data, &f) == nil
}

func fixtureCases() []string {
	demo := string(fixtures.Demo)
	return []string{
		demo,
		`{"clients":[],"users":[],"accounts":[],"devices":[]}`,
		strings.Replace(demo, `"eid"`, `"EID"`, 1),
		strings.Replace(demo, `"state": "Active"`, `"state": "active"`, 1),
		strings.Replace(demo, `"state": "Active"`, `"state": null`, 1),
		strings.Replace(demo, `"imei": "666456789014008"`, `"imei": null`, 1),
		strings.Replace(demo, `"imei": "666456789014008"`, `"imei": "12"`, 1),
		strings.Replace(demo, `"ipAddress": "101.0.1.216"`, `"ipAddress": null`, 1),
		strings.Replace(demo, `"servicePlan": "RP4235311"`, `"servicePlan": null`, 1),
		strings.Replace(demo, `"smsrOid": "1.3.6.1.4.1.31746.1.500.200.101.5"`, `"smsrOid": null`, 1),
		strings.Replace(demo, `"scenario": "warning-then-success"`, `"scenario": null`, 1),
		strings.Replace(demo, `"ipAddress": "101.0.1.216"`, `"ipAddress": "101.0.1.216", "ipaddress": "1"`, 1),
		strings.Replace(demo, `"ipAddress": "101.0.1.216"`, `"ipAddress": "101.0.1.216", "ipAddress": "1"`, 1),
		strings.Replace(demo, `"status": "enabled"`, `"status": "disabled"`, 1),
		strings.Replace(demo, `"type": "bootstrap"`, `"type": "local"`, 1),
		strings.Replace(demo, `"devices": [`, `"devices": [null,`, 1),
		strings.Replace(demo, `"clients": [`, `"iccid": "1", "clients": [`, 1),
		strings.Replace(demo, `"appKey": "demo-key"`, `"appKey": "demo-key", "name": "x"`, 1),
		strings.Replace(demo, `"accounts": [`, `"accounts": [null, `, 1),
		strings.Replace(demo, `"smsrOid": "1.3.6.1.4.1.31746.1.500.200.101.5"`, `"smsrOid": "x"`, 1),
		strings.Replace(demo, `"pending"`, `"pending"`, 1),
		strings.Replace(demo, `"servicePlan": "RP4235311"`, `"servicePlan": 5`, 1),
		strings.Replace(demo, `"servicePlan": "RP4235311"`, `"servicePlan": "RP4235311", "pending": {"requestId": "x"}`, 1),
		demo + "{}",
		strings.Replace(demo, `"imei": "666456789014008"`, `"imei": ""`, 1),
		strings.Replace(demo, `"servicePlan": "RP4235311"`, `"servicePlan": ""`, 1),
		strings.Replace(demo, `"servicePlan": "RP4235311"`, `"servicePlan": "RP4235311", "servicePlan": "x"`, 1),
		strings.Replace(demo, `"servicePlan": "RP4235311"`, `"servicePlan": "RP4235311", "scenario": ""`, 1),
		strings.Replace(demo, `"servicePlan": "RP4235311"`, `"servicePlan": "RP4235311", "scenario": "warning-then-success"`, 1),
		strings.Replace(demo, `"servicePlan": "RP4235311"`, `"servicePlan": "RP4235311", "profiles": []`, 1),
		strings.Replace(demo, `"type": "bootstrap",`, ``, 1),
		strings.Replace(demo, `"type": "bootstrap"`, `"type": "bootstrap", "type": "local"`, 1),
		strings.Replace(demo, `"appSecret": "demo-secret"`, `"appSecret": ""`, 1),
		strings.Replace(demo, `"username": "demo"`, `"username": "demo", "accounts": []`, 1),
		strings.Replace(demo, `"name": "5550001111-00001",`, `"scenario": "x", "name": "5550001111-00001",`, 1),
		strings.Replace(demo, `"name": "1223334444-00001"`, `"smsrOid": "1.2"`, 1),
		strings.Replace(demo, `"state": "Active"`, `"state": "Suspend"`, 1),
		strings.Replace(demo, "\n", "\r\n\t ", -1),
		`{"clients":[],"users":[],"accounts":[],"devices":[],"devices":[]}`,
		`{"clients":[],"users":[],"accounts":[]}`,
		`{"clients":[{}],"users":[],"accounts":[],"devices":[]}`,
	}
}

func TestFastFixturesAgreeWithSchema(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	accepted := 0
	for i, c := range fixtureCases() {
		fast, ok := fastFixtures([]byte(c))
		slow, slowOK := slowFixtures(v, []byte(c))
		if ok && !slowOK {
			t.Errorf("case %d: the fast path accepts what the schema refuses", i)
		}
		if ok {
			accepted++
			if diff := cmp.Diff(slow, fast, cmpopts.EquateEmpty(), ignoreIndex); diff != "" {
				t.Errorf("case %d: the fast path decodes otherwise (-slow +fast):\n%s", i, diff)
			}
		}
	}
	if _, ok := fastFixtures(fixtures.Demo); !ok || accepted < 8 {
		t.Errorf("the fast path accepted %d cases: it no longer recognises valid fixtures", accepted)
	}
}

func FuzzFastFixtures(f *testing.F) {
	v := seedFixtures(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := fastFixtures(data)
		if !ok {
			return
		}
		slow, slowOK := slowFixtures(v, data)
		if !slowOK {
			t.Fatalf("the fast path accepts what the schema refuses: %q", data)
		}
		if diff := cmp.Diff(slow, fast, cmpopts.EquateEmpty(), ignoreIndex); diff != "" {
			t.Fatalf("the fast path decodes otherwise (-slow +fast):\n%s", diff)
		}
	})
}

// A large generated fixture decodes as encoding/json decodes it.
func TestFastFixturesDecodesGeneratedDevices(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	demo, err := v.LoadFixtures("demo", fixtures.Demo)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(gen.WithDevices(demo, "1223334444-00001", 1000))
	if err != nil {
		t.Fatal(err)
	}
	fast, ok := fastFixtures(data)
	if !ok {
		t.Fatal("the fast path refused a generated fixture")
	}
	var whole domain.Fixtures
	if err := json.Unmarshal(data, &whole); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&whole, fast, cmpopts.EquateEmpty(), ignoreIndex); diff != "" {
		t.Errorf("(-encoding/json +fast path):\n%s", diff)
	}
}

// No string the fast path returns is a slice of the file, which would keep
// all of it in memory.
func TestFastFixturesKeepNothingOfTheFile(t *testing.T) {
	src := fixtures.Demo
	f, ok := fastFixtures(src)
	if !ok {
		t.Fatal("the fast path refused the demo fixtures")
	}
	first := uintptr(unsafe.Pointer(unsafe.SliceData(src)))
	last := first + uintptr(len(src)) - 1
	check := func(what, s string) {
		if p := uintptr(unsafe.Pointer(unsafe.StringData(s))); s != "" && p >= first && p <= last {
			t.Errorf("%s %q is a slice of the file", what, s)
		}
	}
	for _, c := range f.Clients {
		check("appKey", c.AppKey)
		check("appSecret", c.AppSecret)
	}
	for _, u := range f.Users {
		check("username", u.Username)
		check("password", u.Password)
		for _, a := range u.Accounts {
			check("user account", a)
		}
	}
	for _, a := range f.Accounts {
		check("account name", a.Name)
		check("smsrOid", a.SMSROID)
		check("account scenario", a.Scenario)
	}
	for _, d := range f.Devices {
		for _, s := range []string{d.EID, d.Account, d.IMEI, d.MDN, d.State, d.IPAddress, d.ServicePlan, d.Scenario} {
			check("device field", s)
		}
		for _, p := range d.Profiles {
			check("iccid", p.ICCID)
			check("profile type", p.Type)
			check("profile status", p.Status)
		}
	}
}

// ignoreIndex leaves out the index Fixtures builds of its devices.
var ignoreIndex = cmpopts.IgnoreUnexported(domain.Fixtures{})

// BenchmarkFastProfileAction is the fast path on a one-device delete.
func BenchmarkFastProfileAction(b *testing.B) {
	body := []byte(fastSeed)
	b.ReportAllocs()
	for b.Loop() {
		var out wire.ActionRequest
		if err := fastProfileAction(body, &out); err != nil {
			b.Fatal(err)
		}
	}
}
