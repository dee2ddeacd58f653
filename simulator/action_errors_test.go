package simulator_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/tserr"
)

// authed returns the headers of a logged-in demo user.
func (e *env) authed() http.Header {
	e.t.Helper()
	tok, err := e.api.Token(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	sess, err := e.api.Login(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return http.Header{"Authorization": {"Bearer " + tok}, "Vz-M2m-Token": {sess}, "Content-Type": {"application/json"}}
}

func actionBody(account, oid string, devices ...string) string {
	return fmt.Sprintf(`{"devices":[%s],"accountName":%q,"smsrOid":%q}`, strings.Join(devices, ","), account, oid)
}

func dev(eid, iccid string) string {
	return fmt.Sprintf(`{"deviceIds":[{"kind":"eid","id":%q},{"kind":"iccid","id":%q}]}`, eid, iccid)
}

func TestProfileActionRequestErrors(t *testing.T) {
	e := newEnv(t)
	h := e.authed()
	seed := dev(seedEID, seedICCID)
	many := strings.TrimSuffix(strings.Repeat(seed+",", domain.MaxDevices+1), ",")
	tests := []struct {
		name   string
		body   string
		ctype  string
		status int
		code   string
		// msg must appear in errorMessage: the offending field.
		msg string
	}{
		{"empty body", "", "", 400, tserr.CodeRequestUndefined, "empty"},
		{"blank body", "  \n", "", 400, tserr.CodeRequestUndefined, "empty"},
		{"not JSON", "devices=1", "", 400, tserr.CodeUnexpected, "not valid JSON"},
		{"truncated JSON", `{"devices":[`, "", 400, tserr.CodeUnexpected, "not valid JSON"},
		{"two documents", `{} {}`, "", 400, tserr.CodeUnexpected, "after the JSON value"},
		{"wrong content type", actionBody(account, smsrOID, seed), "text/plain", 415, tserr.CodeUnsupportedMediaType, "Content-Type"},
		{"array body", `[]`, "", 400, tserr.CodeUnexpected, "/: "},
		{"no accountName", `{"devices":[` + seed + `],"smsrOid":"1.3.6"}`, "", 400, tserr.CodeAccountNotDefined, "/accountName"},
		{"empty accountName", actionBody("", smsrOID, seed), "", 400, tserr.CodeAccountNotDefined, "/accountName"},
		{"numeric accountName", `{"devices":[` + seed + `],"accountName":1223334444,"smsrOid":"1.3.6"}`, "", 400, tserr.CodeAccountNotDefined, "/accountName"},
		{"no devices", `{"accountName":"1223334444-00001","smsrOid":"1.3.6"}`, "", 400, tserr.CodeUnexpected, "/devices: is required"},
		{"zero devices", actionBody(account, smsrOID), "", 400, tserr.CodeUnexpected, "/devices"},
		{"bad smsrOid", actionBody(account, "oid", seed), "", 400, tserr.CodeUnexpected, "/smsrOid"},
		{"unknown kind", actionBody(account, smsrOID, `{"deviceIds":[{"kind":"eid","id":"`+seedEID+`"},{"kind":"imsi","id":"1"}]}`), "", 400, tserr.CodeDeviceKindInvalid, "/devices/0/deviceIds/1/kind"},
		{"short EID", actionBody(account, smsrOID, dev("123", seedICCID)), "", 400, tserr.CodeDeviceIDInvalid, "/devices/0/deviceIds/0/id"},
		{"letters in ICCID", actionBody(account, smsrOID, dev(seedEID, "8914800000084078425X")), "", 400, tserr.CodeDeviceIDInvalid, "/devices/0/deviceIds/1/id"},
		{"no ICCID", actionBody(account, smsrOID, `{"deviceIds":[{"kind":"eid","id":"`+seedEID+`"}]}`), "", 400, tserr.CodeUnexpected, "/devices/0/deviceIds"},
		{"two EIDs", actionBody(account, smsrOID, `{"deviceIds":[{"kind":"eid","id":"`+seedEID+`"},{"kind":"eid","id":"`+seedEID+`"},{"kind":"iccid","id":"`+seedICCID+`"}]}`), "", 400, tserr.CodeUnexpected, `exactly one identifier of kind \"eid\"`},
		{"null id", actionBody(account, smsrOID, `{"deviceIds":[{"kind":"eid","id":null},{"kind":"iccid","id":"`+seedICCID+`"}]}`), "", 400, tserr.CodeDeviceIDInvalid, "/devices/0/deviceIds/0/id"},
		{"apostrophe", actionBody("12'3", smsrOID, seed), "", 400, tserr.CodeInvalidCharacter, "/accountName"},
		{"angle bracket", actionBody(account, smsrOID, dev("<script>", seedICCID)), "", 400, tserr.CodeInvalidCharacter, "/devices/0/deviceIds/0/id"},
		{"backslash", `{"devices":[` + seed + `],"accountName":"a\\b","smsrOid":"1.3"}`, "", 400, tserr.CodeInvalidCharacter, "/accountName"},
		{"10,001 devices", actionBody(account, smsrOID, many), "", 400, tserr.CodeMaxRequests, "/devices: more than 10,000 devices"},
		{"unknown account", actionBody("9999999999-00001", smsrOID, seed), "", 400, tserr.CodeAccountNotFound, "9999999999-00001"},
		{"account of another user", actionBody(otherAccount, smsrOID, dev("89049032000001000000000000006001", "89148000000840786001")), "", 400, tserr.CodeAccountName, otherAccount},
		{"unknown device", actionBody(account, smsrOID, dev("666456789123456789123456789999", seedICCID)), "", 400, tserr.CodeDeviceNotFound, "/devices/0"},
		{"device of another account", actionBody(account, smsrOID, seed, dev("89049032000001000000000000005001", "89148000000840785001")), "", 400, tserr.CodeDeviceNotFound, "/devices/1"},
		{"suspended device", actionBody(account, smsrOID, dev("666456789123456789123456784015", "89148000000840784267")), "", 400, tserr.CodeDeviceStateInvalid, "Suspend"},
		{"deactivated device", actionBody(account, smsrOID, dev("666456789123456789123456784016", "89148000000840784268")), "", 400, tserr.CodeDeviceStateInvalid, "Deactive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hh := h.Clone()
			if tt.ctype != "" {
				hh.Set("Content-Type", tt.ctype)
			}
			st, body := e.raw("POST", "/api/m2m/v1/devices/profile/actions/delete", hh, tt.body)
			want := fmt.Sprintf(`"errorCode":%q`, tt.code)
			if st != tt.status || !strings.Contains(body, want) || !strings.Contains(body, tt.msg) {
				t.Errorf("got %d %s\nwant %d %s naming %q", st, body, tt.status, tt.code, tt.msg)
			}
		})
	}
	// None of them started anything.
	if d := e.device(seedEID); d.Pending != nil || d.Enabled() != seedICCID {
		t.Errorf("a refused request changed the device: %+v", d)
	}
}

func TestTooLargeBody(t *testing.T) {
	e := newEnv(t)
	big := `{"devices":[],"accountName":"` + strings.Repeat("1", 10<<20) + `","smsrOid":"1.3"}`
	st, body := e.raw("POST", "/api/m2m/v1/devices/profile/actions/delete", e.authed(), big)
	if st != 413 || !strings.Contains(body, tserr.CodeRequestTooLarge) {
		t.Errorf("10 MB body: %d %.200s", st, body)
	}
}

// A body sent chunked, its length unknown, is read within the same bound
// as one whose Content-Length says it.
func TestChunkedBodyIsBoundedToo(t *testing.T) {
	e := newEnv(t)
	post := func(body string) (int, string) {
		// A reader of unknown length: the client sends the body chunked.
		req, err := http.NewRequest("POST", e.url+"/api/m2m/v1/devices/profile/actions/delete", io.MultiReader(strings.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = e.authed()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if req.ContentLength != 0 || len(req.TransferEncoding) != 0 {
			t.Fatalf("the request was not chunked: length %d, %v", req.ContentLength, req.TransferEncoding)
		}
		return resp.StatusCode, string(b)
	}
	if st, body := post(`{"devices":[],"accountName":"` + strings.Repeat("1", 10<<20) + `","smsrOid":"1.3"}`); st != 413 || !strings.Contains(body, tserr.CodeRequestTooLarge) {
		t.Errorf("10 MB chunked body: %d %.200s", st, body)
	}
	if st, body := post(actionBody(account, smsrOID, dev(seedEID, seedICCID))); st != 200 {
		t.Errorf("a chunked delete: %d %.300s", st, body)
	}
}

func TestRequestJournalRecordsViolations(t *testing.T) {
	e := newEnv(t)
	e.raw("POST", "/api/m2m/v1/devices/profile/actions/delete", e.authed(), actionBody(account, "x", dev("1", "2")))
	reqs, err := e.admin.Requests(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := reqs[len(reqs)-1]
	if last.Status != 400 || last.Path != "/api/m2m/v1/devices/profile/actions/delete" || len(last.Violations) != 3 {
		t.Fatalf("journal: %+v", last)
	}
	for _, v := range last.Violations {
		if v.Pointer == "" || v.Message == "" || v.ErrorCode == "" {
			t.Errorf("violation %+v", v)
		}
	}
}

func TestUnknownPathAndMethod(t *testing.T) {
	e := newEnv(t)
	// As ThingSpace's API gateway answers a path no API serves.
	if st, body := e.raw("GET", "/api/m2m/v1/nope", nil, ""); st != 400 || !strings.Contains(body, `"code":"900906"`) {
		t.Errorf("unknown path: %d %s", st, body)
	}
	if st, body := e.raw("GET", "/_sim/nope", nil, ""); st != 404 || !strings.Contains(body, `"errorCode"`) {
		t.Errorf("unknown control path: %d %s", st, body)
	}
	if st, body := e.raw("GET", "/api/m2m/v1/devices/profile/actions/delete", nil, ""); st != 405 || !strings.Contains(body, `"errorCode"`) {
		t.Errorf("wrong method: %d %s", st, body)
	}
}
