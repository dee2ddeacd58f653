package simulator_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/schemas"
)

// Demo devices the list tests look at.
const (
	suspendedEID  = "666456789123456789123456784015"
	deactiveEID   = "666456789123456789123456784016"
	installingEID = "666456789123456789123456784014" // its local profile is still installing
)

type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// listedDevice is ThingspaceDevice as the SDKs read it.
type listedDevice struct {
	AccountName         string `json:"accountName"`
	BillingCycleEndDate string `json:"billingCycleEndDate"`
	CarrierInformations []struct {
		CarrierName string `json:"carrierName"`
		ServicePlan string `json:"servicePlan"`
		State       string `json:"state"`
	} `json:"carrierInformations"`
	Connected          bool              `json:"connected"`
	CreatedAt          time.Time         `json:"createdAt"`
	CustomFields       []keyValue        `json:"customFields"`
	DeviceIDs          []client.DeviceID `json:"deviceIds"`
	ExtendedAttributes []keyValue        `json:"extendedAttributes"`
	GroupNames         []string          `json:"groupNames"`
	IPAddress          string            `json:"ipAddress"`
	LastActivationBy   string            `json:"lastActivationBy"`
	LastActivationDate time.Time         `json:"lastActivationDate"`
	LastConnectionDate time.Time         `json:"lastConnectionDate"`
}

func (d listedDevice) id(kind string) string {
	for _, id := range d.DeviceIDs {
		if id.Kind == kind {
			return id.ID
		}
	}
	return ""
}

func (d listedDevice) attr(key string) string {
	for _, a := range d.ExtendedAttributes {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

type deviceList struct {
	HasMoreData bool           `json:"hasMoreData"`
	Devices     []listedDevice `json:"devices"`
}

const listPath = "/api/m2m/v1/devices/actions/list"

// list posts a v1 list body, which must be answered with a 200.
func (e *env) list(h http.Header, body string) deviceList {
	e.t.Helper()
	status, answer := e.raw("POST", listPath, h, body)
	if status != 200 {
		e.t.Fatalf("list %s: %d %s", body, status, answer)
	}
	var out deviceList
	if err := json.Unmarshal([]byte(answer), &out); err != nil {
		e.t.Fatalf("list %s: %v\n%s", body, err, answer)
	}
	return out
}

func TestDeviceList(t *testing.T) {
	e := newEnv(t)
	h := e.authed()
	all := e.list(h, `{}`)
	if len(all.Devices) != 11 || all.HasMoreData {
		t.Fatalf("every device of the demo user: %d, hasMoreData %v; want the 11 of its two accounts", len(all.Devices), all.HasMoreData)
	}
	mine := e.list(h, fmt.Sprintf(`{"accountName":%q}`, account))
	byEID := map[string]listedDevice{}
	for _, d := range mine.Devices {
		byEID[d.id("eid")] = d
		if d.AccountName != account || d.GroupNames[0] != "Default: "+account || len(d.CarrierInformations) != 1 || d.CarrierInformations[0].CarrierName != "Verizon Wireless" {
			t.Errorf("device %+v", d)
		}
	}
	if len(mine.Devices) != 9 {
		t.Errorf("%d devices of %s, want 9", len(mine.Devices), account)
	}
	for _, tc := range []struct {
		eid, state, profileStatus string
		connected                 bool
	}{
		{seedEID, "active", "ENABLE", true},
		{suspendedEID, "suspend", "ENABLE", false},
		{deactiveEID, "deactive", "ENABLE", false},
		{installingEID, "active", "NOT_DOWNLOADED", true},
	} {
		d := byEID[tc.eid]
		if d.CarrierInformations[0].State != tc.state || d.attr("ProfileStatus") != tc.profileStatus || d.Connected != tc.connected {
			t.Errorf("device %s: state %s, profile %s, connected %v; want %s, %s, %v", tc.eid, d.CarrierInformations[0].State, d.attr("ProfileStatus"), d.Connected,
				tc.state, tc.profileStatus, tc.connected)
		}
	}
	seed := byEID[seedEID]
	wantIDs := []client.DeviceID{{Kind: "imei", ID: "666456789014008"}, {Kind: "iccid", ID: seedICCID}, {Kind: "mdn", ID: "2022326360"}, {Kind: "eid", ID: seedEID}}
	if diff := cmp.Diff(wantIDs, seed.DeviceIDs); diff != "" {
		t.Errorf("deviceIds (-want +got):\n%s", diff)
	}
	if seed.attr("Profiles") != seedBoot+":bootstrap:DISABLE,"+seedICCID+":local:ENABLE" || seed.attr("ProfileICCID") != seedICCID || seed.IPAddress != "101.0.1.216" {
		t.Errorf("the seed device: %+v", seed)
	}

	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"suspended devices", `{"currentState":"suspend"}`, []string{suspendedEID}},
		{"one device by its MDN", `{"deviceId":{"kind":"mdn","id":"2022326360"},"currentState":"deactive"}`, []string{seedEID}},
		{"by a profile's ICCID", `{"filter":{"deviceIdentifierFilters":[{"kind":"iccid","contains":"840784261"}]}}`, []string{"666456789123456789123456784009"}},
		{"custom fields", `{"customFields":[{"key":"a","value":"b"}]}`, nil},
		{"a service plan no device has", `{"servicePlan":"NOPE"}`, nil},
		{"another account's device", `{"deviceId":{"kind":"eid","id":"89049032000001000000000000006001"}}`, nil},
	} {
		got := e.list(h, tc.body)
		var eids []string
		for _, d := range got.Devices {
			eids = append(eids, d.id("eid"))
		}
		if diff := cmp.Diff(tc.want, eids); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// Pages of 4 by largestDeviceIdSeen: every device once, in order, the
// last page without hasMoreData; each answer a 200.
func TestDeviceListPages(t *testing.T) {
	e := newEnv(t)
	h := e.authed()
	var seen []string
	after := 0
	for pages := 1; ; pages++ {
		page := e.list(h, fmt.Sprintf(`{"accountName":%q,"maxNumberOfDevices":4,"largestDeviceIdSeen":%d}`, account, after))
		for _, d := range page.Devices {
			n, err := strconv.Atoi(d.attr("DeviceId"))
			if err != nil || n <= after {
				t.Fatalf("page %d: device %s has DeviceId %q after %d", pages, d.id("eid"), d.attr("DeviceId"), after)
			}
			after = n
			seen = append(seen, d.id("eid"))
		}
		if !page.HasMoreData {
			if pages != 3 || len(page.Devices) != 1 {
				t.Errorf("the last page is page %d of %d devices, want page 3 of 1", pages, len(page.Devices))
			}
			break
		}
	}
	var want []string
	for i := range 9 {
		want = append(want, fmt.Sprintf("6664567891234567891234567840%02d", 8+i))
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("devices across the pages (-want +got):\n%s", diff)
	}
	// By date added: the next page is past the last createdAt.
	first := e.list(h, fmt.Sprintf(`{"accountName":%q,"maxNumberOfDevices":8}`, account))
	rest := e.list(h, fmt.Sprintf(`{"accountName":%q,"earliest":%q}`, account, first.Devices[7].CreatedAt.Format(time.RFC3339)))
	if len(rest.Devices) != 1 || rest.Devices[0].id("eid") != want[8] {
		t.Errorf("devices added after the eighth: %+v", rest.Devices)
	}
}

func TestDeviceListErrors(t *testing.T) {
	e := newEnv(t)
	h := e.authed()
	for _, tc := range []struct {
		name, body, code, field string
	}{
		{"an unknown account", `{"accountName":"9999999999-00001"}`, tserr.CodeAccountNotFound, ""},
		{"an account of another user", `{"accountName":"` + otherAccount + `"}`, tserr.CodeAccountName, ""},
		{"an unknown kind", `{"deviceId":{"kind":"serial","id":"1"}}`, tserr.CodeDeviceKindInvalid, "/deviceId/kind"},
		{"an empty id", `{"deviceId":{"kind":"eid","id":""}}`, tserr.CodeDeviceIDInvalid, "/deviceId/id"},
		{"a filter without contains", `{"filter":{"deviceIdentifierFilters":[{"kind":"eid"}]}}`, tserr.CodeUnexpected, "/filter/deviceIdentifierFilters/0"},
		{"a date that is not one", `{"earliest":"yesterday"}`, tserr.CodeUnexpected, "/earliest"},
		{"a month 13", `{"latest":"2025-13-01T00:00:00Z"}`, tserr.CodeUnexpected, "/latest"},
		{"a negative cursor", `{"largestDeviceIdSeen":-1}`, tserr.CodeUnexpected, "/largestDeviceIdSeen"},
		{"a page size that is not a number", `{"maxNumberOfDevices":"ten"}`, tserr.CodeUnexpected, "/maxNumberOfDevices"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.raw("POST", listPath, h, tc.body)
			var got struct{ ErrorCode, ErrorMessage string }
			_ = json.Unmarshal([]byte(body), &got)
			if status != 400 || got.ErrorCode != tc.code || !strings.Contains(got.ErrorMessage, tc.field) {
				t.Errorf("%d %s, want 400 %s naming %s", status, body, tc.code, tc.field)
			}
		})
	}
}

// profileListener is a DeviceProfileService listener that fails its
// first failures callbacks with a 500, and hands over the bodies of the
// others.
type profileListener struct {
	url      string
	failures atomic.Int32
	bodies   chan []byte
}

func (e *env) profileListener(failures int32) *profileListener {
	e.t.Helper()
	l := &profileListener{bodies: make(chan []byte, 16)}
	l.failures.Store(failures)
	ls := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if l.failures.Add(-1) >= 0 {
			w.WriteHeader(500)
			return
		}
		l.bodies <- body
	}))
	e.t.Cleanup(ls.Close)
	l.url = ls.URL
	if err := e.api.RegisterCallback(e.ctx, account, client.CallbackRegistration{Name: client.ServiceDeviceProfile, URL: l.url, Username: "u1", Password: "p1"}); err != nil {
		e.t.Fatal(err)
	}
	return l
}

func (l *profileListener) next(t *testing.T) []byte {
	t.Helper()
	select {
	case b := <-l.bodies:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no callback came in 10 s")
		return nil
	}
}

// The v2 list answers a requestId, then one DeviceProfileService callback
// carries the devices with their profiles; it is retried as any callback,
// and the request's status is Success.
func TestDeviceListV2(t *testing.T) {
	e := newEnv(t)
	h := e.authed()
	l := e.profileListener(1)
	schema, err := schemas.Compile("device-list-callback.json")
	if err != nil {
		t.Fatal(err)
	}
	status, body := e.raw("POST", "/api/m2m/v2/devices/actions/list", h, fmt.Sprintf(`{"accountName":%q}`, account))
	var answer struct {
		RequestID string `json:"requestId"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &answer) != nil || answer.RequestID == "" {
		t.Fatalf("v2 list: %d %s", status, body)
	}
	e.callbacks(answer.RequestID, 1, 1)
	e.advance(5 * time.Minute)
	cb := l.next(t)
	check(t, schema, "the v2 list's callback", cb)
	var got struct {
		Username, Password, RequestID string
		CallbackCount                 int
		DeviceResponse                struct {
			DeviceListResponse struct {
				AccountName string
				HasMoreData bool
				Devices     []struct {
					DeviceIDs   []client.DeviceID
					State       string
					ServicePlan string
					Profiles    []struct{ ICCID, ProfileType, ProfileStatus string }
				}
			}
		}
	}
	if err := json.Unmarshal(cb, &got); err != nil {
		t.Fatal(err)
	}
	r := got.DeviceResponse.DeviceListResponse
	if got.RequestID != answer.RequestID || got.CallbackCount != 2 || got.Username != "u1" || r.AccountName != account || r.HasMoreData || len(r.Devices) != 9 {
		t.Errorf("callback %s", cb)
	}
	states := map[string]string{}
	for _, d := range r.Devices {
		states[d.DeviceIDs[len(d.DeviceIDs)-1].ID] = d.State
	}
	if states[suspendedEID] != "SUSPEND" || states[deactiveEID] != "DEACTIVE" || states[seedEID] != "ACTIVE" {
		t.Errorf("states %v", states)
	}
	if p := r.Devices[6].Profiles; len(p) != 2 || p[1].ProfileStatus != "NOT_DOWNLOADED" || p[0].ProfileType != "bootstrap" {
		t.Errorf("the profiles of a device whose local profile is installing: %+v", p)
	}
	var st v2Status
	if status, body := e.getJSON(h, statusPath("v2", account, answer.RequestID), &st); status != 200 || st.Status != "Success" || len(st.Subrequests) != 0 {
		t.Errorf("the list's status: %d %s", status, body)
	}

	status, body = e.raw("POST", "/api/m2m/v2/devices/actions/list", h,
		fmt.Sprintf(`{"accountName":%q,"provisioningStatusFilter":"SUSPEND","deviceFilter":[{"kind":"iccid","id":"89148000000840784267"},{"kind":"eid","id":%q}]}`, account, seedEID))
	if status != 200 {
		t.Fatalf("v2 list with filters: %d %s", status, body)
	}
	cb = l.next(t)
	check(t, schema, "the v2 list's callback", cb)
	if err := json.Unmarshal(cb, &got); err != nil {
		t.Fatal(err)
	}
	if d := got.DeviceResponse.DeviceListResponse.Devices; len(d) != 1 || d[0].DeviceIDs[len(d[0].DeviceIDs)-1].ID != suspendedEID {
		t.Errorf("filtered: %s", cb)
	}
}

// The v2 list's errors are the Global IoT family's: the HTTP status as
// errorCode, the message naming the field.
func TestDeviceListV2Errors(t *testing.T) {
	e := newEnv(t)
	h := e.authed()
	many := strings.TrimSuffix(strings.Repeat(`{"kind":"eid","id":"1"},`, 51), ",")
	for _, tc := range []struct{ name, body, message string }{
		{"no account", `{}`, "accountName"},
		{"an account name the SDK refuses", `{"accountName":"a"}`, "/accountName"},
		{"an unknown account", `{"accountName":"9999999999-00001"}`, "9999999999-00001"},
		{"an account of another user", `{"accountName":"` + otherAccount + `"}`, otherAccount},
		{"an unknown provisioning status", `{"accountName":"` + account + `","provisioningStatusFilter":"ON"}`, "/provisioningStatusFilter"},
		{"an unknown profile status", `{"accountName":"` + account + `","profileStatusFilter":"on"}`, "/profileStatusFilter"},
		{"51 devices", `{"accountName":"` + account + `","deviceFilter":[` + many + `]}`, "/deviceFilter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.raw("POST", "/api/m2m/v2/devices/actions/list", h, tc.body)
			var got struct{ ErrorCode, ErrorMessage string }
			_ = json.Unmarshal([]byte(body), &got)
			if status != 400 || got.ErrorCode != "400" || !strings.Contains(got.ErrorMessage, tc.message) {
				t.Errorf("%d %s, want 400 {\"errorCode\":\"400\"} naming %s", status, body, tc.message)
			}
		})
	}
}
