package simulator_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/gen"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/simulator"
)

// Demo devices with a scenario of their own in the fixtures.
const (
	warnEID   = "666456789123456789123456784012" // warning-then-success
	warnICCID = "89148000000840784264"
	failEID   = "666456789123456789123456784013" // unreachable-then-failure
	failICCID = "89148000000840784265"
)

func statusPath(version, account, id string) string {
	return "/api/m2m/" + version + "/accounts/" + account + "/requests/" + id + "/status"
}

// getJSON sends a GET with h and decodes a 200's body into out; it returns
// the status and the body.
func (e *env) getJSON(h http.Header, path string, out any) (int, string) {
	e.t.Helper()
	status, body := e.raw("GET", path, h, "")
	if status == 200 && out != nil {
		if err := json.Unmarshal([]byte(body), out); err != nil {
			e.t.Fatalf("GET %s: %v\n%s", path, err, body)
		}
	}
	return status, body
}

type v1Status struct {
	RequestID string `json:"requestId"`
	Status    string `json:"status"`
}

type v2Status struct {
	RequestID   string `json:"requestId"`
	Status      string `json:"status"`
	Subrequests []struct {
		IDs    client.DeviceID `json:"ids"`
		Status string          `json:"status"`
	} `json:"subrequests"`
}

// v1 and v2 follow the callbacks and the clock: a warning-then-success
// device is Pending after its Warning and Success once the clock passes
// the second step; an unreachable-then-failure one ends a Failure.
func TestRequestStatusFollowsTheCallbacks(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	ask := func(eid, iccid string) string {
		id, err := e.api.DeleteProfile(e.ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: eid, ICCID: iccid}}})
		if err != nil {
			t.Fatal(err)
		}
		e.callbacks(id, 1, 0)
		return id
	}
	warn, fail := ask(warnEID, warnICCID), ask(failEID, failICCID)
	expect := func(id, want string) {
		t.Helper()
		h := e.authed() // a new session: the clock may have moved past the last one's idle time
		var one v1Status
		if status, body := e.getJSON(h, statusPath("v1", account, id), &one); status != 200 || one != (v1Status{id, want}) {
			t.Errorf("v1 status of %s: %d %s, want %s", id, status, body, want)
		}
		var two v2Status
		if status, body := e.getJSON(h, statusPath("v2", account, id), &two); status != 200 || two.Status != want || len(two.Subrequests) != 1 || two.Subrequests[0].Status != want {
			t.Errorf("v2 status of %s: %d %s, want %s", id, status, body, want)
		}
	}
	expect(warn, "Pending")
	expect(fail, "Pending")
	e.advance(10 * time.Minute)
	if res, err := e.listener.Await(e.ctx, warn); err != nil || !res[warnEID].Succeeded {
		t.Fatalf("the Success callback: %+v %v", res, err)
	}
	expect(warn, "Success")
	expect(fail, "Pending")
	e.advance(20 * time.Minute)
	expect(fail, "Failure")
}

// A request of several devices: v1 refuses it and points to v2, which
// names each device as the request named it.
func TestRequestStatusOfSeveralDevices(t *testing.T) {
	e := newEnv(t)
	e.register(account)
	h := e.authed()
	id, err := e.api.DeleteProfile(e.ctx, client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{
		{EID: seedEID, ICCID: seedICCID}, {EID: failEID, ICCID: failICCID}, {EID: seedEID, ICCID: seedBoot}}})
	if err != nil {
		t.Fatal(err)
	}
	e.callbacks(id, 3, 0)
	status, body := e.raw("GET", statusPath("v1", account, id), h, "")
	if status != 400 || !strings.Contains(body, domain.CodeRequestNotSingle) || !strings.Contains(body, statusPath("v2", account, id)) {
		t.Errorf("v1 status of a request of 3 devices: %d %s", status, body)
	}
	var two v2Status
	if status, body := e.getJSON(h, statusPath("v2", account, id), &two); status != 200 {
		t.Fatalf("v2: %d %s", status, body)
	}
	var got []string
	for _, s := range two.Subrequests {
		got = append(got, s.IDs.Kind+":"+s.IDs.ID+" "+s.Status)
	}
	want := []string{"eid:" + seedEID + " Success", "eid:" + failEID + " Pending", "eid:" + seedEID + " Failure"}
	if diff := cmp.Diff(want, got); diff != "" || two.Status != "Pending" || two.RequestID != id {
		t.Errorf("v2 status %s %s (-want +got):\n%s", two.RequestID, two.Status, diff)
	}
	e.advance(30 * time.Minute)
	if e.getJSON(e.authed(), statusPath("v2", account, id), &two); two.Status != "Failure" {
		t.Errorf("after the clock passed every step: %+v", two)
	}
}

func TestRequestStatusErrors(t *testing.T) {
	e := newEnv(t)
	e.register(account, account2)
	h := e.authed()
	id := e.delete(seedEID, seedICCID)
	const unknown = "3f0c1b7e-52a4-4c1e-9d0a-6b2f8e1c4d77"
	for _, tc := range []struct {
		name, path string
		status     int
		body       string
	}{
		{"an unknown request", statusPath("v1", account, unknown), 400, `"errorCode":"` + domain.CodeRequestNotFound},
		{"another account's request", statusPath("v1", account2, id), 400, `"errorCode":"` + domain.CodeRequestNotFound},
		{"an unknown account", statusPath("v1", "9999999999-00001", id), 400, tserr.CodeAccountNotFound},
		{"an account of another user", statusPath("v1", otherAccount, id), 400, tserr.CodeAccountName},
		{"v2: an unknown request", statusPath("v2", account, unknown), 404, `{"errorCode":"404","errorMessage":"requestId: request ` + unknown},
		{"v2: another account's request", statusPath("v2", account2, id), 404, `{"errorCode":"404"`},
		{"v2: an account of another user", statusPath("v2", otherAccount, id), 400, `{"errorCode":"400"`},
		{"v2: an account name the SDK refuses", statusPath("v2", "ac_1", id), 400, `{"errorCode":"400","errorMessage":"accountName: \"ac_1\" does not match`},
		{"v2: a requestId the SDK refuses", statusPath("v2", account, "r."+strings.Repeat("1", 70)), 400, `"errorMessage":"requestId:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.raw("GET", tc.path, h, "")
			if status != tc.status || !strings.Contains(body, tc.body) {
				t.Errorf("%d %s, want %d with %s", status, body, tc.status, tc.body)
			}
		})
	}
	if status, body := e.raw("GET", statusPath("v1", account, id), nil, ""); status != 401 {
		t.Errorf("without credentials: %d %s", status, body)
	}
}

// A world remembers as many requests as its journal: the oldest is
// forgotten first.
func TestRequestStatusIsBoundedByTheJournal(t *testing.T) {
	e := newEnv(t, func(o *simulator.Options) { o.JournalSize = 2 })
	e.register(account)
	h := e.authed()
	ids := []string{e.delete(seedEID, seedBoot), e.delete(seedEID, seedBoot), e.delete(seedEID, seedBoot)}
	for i, id := range ids {
		status, body := e.raw("GET", statusPath("v1", account, id), h, "")
		if kept := i > 0; kept != (status == 200) {
			t.Errorf("request %d: %d %s, want it kept: %v", i, status, body, kept)
		}
	}
}

// A request of 10,000 devices: v2 names the first 100, and the status
// counts all of them.
func TestRequestStatusOfTenThousandDevices(t *testing.T) {
	e := newEnv(t, func(o *simulator.Options) { o.Fixtures = fixtureFile(t, domain.MaxDevices) })
	h := e.authed()
	status, body := e.raw("POST", "/api/m2m/v1/devices/profile/actions/delete", h, string(gen.ActionBody(account, smsrOID, 0, domain.MaxDevices)))
	if status != 200 {
		t.Fatalf("delete: %d %.300s", status, body)
	}
	var answer struct {
		RequestID string `json:"requestId"`
	}
	if err := json.Unmarshal([]byte(body), &answer); err != nil {
		t.Fatal(err)
	}
	var two v2Status
	if status, body := e.getJSON(h, statusPath("v2", account, answer.RequestID), &two); status != 200 {
		t.Fatalf("v2: %d %.300s", status, body)
	}
	if len(two.Subrequests) != domain.MaxRequestDevices || two.Status != "Success" || two.Subrequests[99].IDs != (client.DeviceID{Kind: "eid", ID: gen.EID(99)}) {
		t.Errorf("v2 status of 10,000 devices: %s with %d subrequests, the last %+v", two.Status, len(two.Subrequests), two.Subrequests[len(two.Subrequests)-1])
	}
}

// The status answers the same after a restart, and follows the clock on.
func TestRequestStatusSurvivesARestart(t *testing.T) {
	stateFile := filepath.Join(t.TempDir(), "state.db")
	a := start(t, stateFile)
	c, _ := client.New(a.hs.URL, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"))
	id, err := c.DeleteProfile(t.Context(), client.ProfileRequest{AccountName: account, SMSROID: smsrOID, Devices: []client.DeviceRef{{EID: warnEID, ICCID: warnICCID}}})
	if err != nil {
		t.Fatal(err)
	}
	a.stop(t)

	b := start(t, stateFile)
	defer b.stop(t)
	e := &env{t: t, ctx: t.Context(), url: b.hs.URL}
	e.api, _ = client.New(b.hs.URL, client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo"))
	h := e.authed()
	var one v1Status
	if status, body := e.getJSON(h, statusPath("v1", account, id), &one); status != 200 || one.Status != "Pending" {
		t.Fatalf("after the restart: %d %s", status, body)
	}
	if _, err := b.admin.Advance(t.Context(), 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if status, body := e.getJSON(h, statusPath("v1", account, id), &one); status != 200 || one.Status != "Success" {
		t.Errorf("10 minutes after the restart: %d %s", status, body)
	}
}
