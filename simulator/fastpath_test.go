package simulator

import (
	"strings"
	"testing"
)

// slowAccepts is what the HTTP edge decides without the fast path.
func slowAccepts(v *Validator, body []byte) bool {
	doc, err := Decode(body)
	if err != nil {
		return false
	}
	if _, bad := invalidCharacter(doc, ""); bad {
		return false
	}
	return len(v.Validate("profile-action.json", doc)) == 0
}

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
}

func TestFastPathAgreesWithSchema(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	accepted := 0
	for _, c := range fastCases {
		_, fast := fastProfileAction([]byte(c))
		slow := slowAccepts(v, []byte(c))
		if fast && !slow {
			t.Errorf("the fast path accepts what the schema refuses: %s", c)
		}
		if fast {
			accepted++
		}
	}
	if _, ok := fastProfileAction([]byte(fastSeed)); accepted < 3 || !ok {
		t.Errorf("the fast path accepted %d cases: it no longer recognises valid bodies", accepted)
	}
}

func FuzzFastPath(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c))
	}
	v, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, fast := fastProfileAction(body); fast && !slowAccepts(v, body) {
			t.Errorf("the fast path accepts what the schema refuses: %q", body)
		}
	})
}
