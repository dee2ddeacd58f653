package client_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/tssimtest"
)

// What activating the seed device gives its line: an MDN and an IP
// address from the last nine digits of its IMEI.
const (
	activatedMDN = "5789014008"
	activatedIP  = "10.7.101.248"
	newPlan      = "M2MFLEX5GB"
)

// line is a request of one line change for the seed device, named by id.
func line(id client.DeviceID) client.LineRequest {
	return client.LineRequest{AccountName: tssimtest.DemoAccount, Devices: []client.Identifiers{{id}}, ServicePlan: newPlan, MDNZipCode: "94107"}
}

// await waits, a second at most, for the final results of a request.
func await(t *testing.T, sim *tssimtest.Server, id string) map[string]client.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := sim.Listener.Await(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The seed device's line through the client, named each time by another
// identifier: each change's CarrierService callback is a final success
// that says the line's new state, the v1 and v2 statuses say Success, and
// a profile action on the suspended line is refused with the state code.
func TestLineChangesThroughTheClient(t *testing.T) {
	sim := tssimtest.New(t)
	ctx := context.Background()
	for _, tt := range []struct {
		action string
		by     client.DeviceID
		state  string
		mdn    string
	}{
		{client.LineSuspend, client.IMEI(tssimtest.DemoIMEI), client.StateSuspend, tssimtest.DemoMDN},
		{client.LineRestore, client.MDN(tssimtest.DemoMDN), client.StateActive, tssimtest.DemoMDN},
		// No reason code given: the client sends FF, which the schema requires.
		{client.LineDeactivate, client.ICCID(tssimtest.DemoICCID), client.StateDeactive, ""},
		{client.LineActivate, client.EID(tssimtest.DemoEID), client.StateActive, activatedMDN},
	} {
		id, err := sim.Client.LineAction(ctx, tt.action, line(tt.by))
		if err != nil {
			t.Fatalf("%s: %v", tt.action, err)
		}
		r, ok := await(t, sim, id)[tssimtest.DemoEID]
		action, got := r.Message.DeviceResponse.Line()
		if !ok || !r.Succeeded || r.Service != client.ServiceCarrier || r.Action != tt.action || action != tt.action || got.State != tt.state {
			t.Fatalf("%s: result %+v", tt.action, r)
		}
		if d, _ := sim.Admin.Device(ctx, tssimtest.DemoEID); d.State != tt.state || d.MDN != tt.mdn {
			t.Errorf("after %s: device %s, MDN %q; want %s, %q", tt.action, d.State, d.MDN, tt.state, tt.mdn)
		}
		if (tt.action == client.LineSuspend) != (got.AutoResumeDate != "") {
			t.Errorf("%s: autoResumeDate %q", tt.action, got.AutoResumeDate)
		}
		st, err := sim.Client.RequestStatus(ctx, tssimtest.DemoAccount, id)
		if err != nil || st.Status != client.RequestSuccess {
			t.Errorf("%s: v1 status %+v %v", tt.action, st, err)
		}
		v2, err := sim.Client.RequestStatusV2(ctx, tssimtest.DemoAccount, id)
		if err != nil || v2.Status != client.RequestSuccess || len(v2.Subrequests) != 1 || v2.Subrequests[0] != (client.Subrequest{IDs: tt.by, Status: client.RequestSuccess}) {
			t.Errorf("%s: v2 status %+v %v", tt.action, v2, err)
		}
		if tt.action != client.LineSuspend {
			continue
		}
		_, err = sim.Client.DeleteProfile(ctx, client.ProfileRequest{AccountName: tssimtest.DemoAccount, SMSROID: tssimtest.DemoSMSROID,
			Devices: []client.DeviceRef{{EID: tssimtest.DemoEID, ICCID: tssimtest.DemoICCID}}})
		if e := (*client.Error)(nil); !errors.As(err, &e) || e.Code != client.CodeDeviceStateInvalid {
			t.Errorf("a delete on the suspended line: %v, want %s", err, client.CodeDeviceStateInvalid)
		}
	}
	if got := sim.Listener.Dropped(); got != 0 {
		t.Errorf("%d callbacks dropped", got)
	}
}

// A line change refused for the line's state is refused at once, in
// ThingSpace's words.
func TestLineChangeRefusedForTheState(t *testing.T) {
	sim := tssimtest.New(t)
	_, err := sim.Client.Activate(context.Background(), line(client.EID(tssimtest.DemoEID)))
	if e := (*client.Error)(nil); !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest || e.Code != client.CodeDeviceStateInvalid || e.StatusForm() {
		t.Errorf("activating an active line: %v", err)
	}
}

// An unreachable device: the line change's warning is not final, and the
// request stays Pending, until the clock brings its outcome.
func TestLineChangeWarningThenSuccess(t *testing.T) {
	sim := tssimtest.New(t)
	ctx := context.Background()
	h := http.Header{"X-Tssim-Scenario": {"warning-then-success"}}
	id, err := sim.Client.LineActionWith(ctx, client.LineSuspend, line(client.EID(tssimtest.DemoEID)), h)
	if err != nil {
		t.Fatal(err)
	}
	sim.Advance(0)
	if got := sim.Listener.Results(); len(got) != 1 || got[0].Final || got[0].Status != "Warning" || got[0].Service != client.ServiceCarrier {
		t.Fatalf("at once: %+v, want one warning of CarrierService", got)
	}
	if st, err := sim.Client.RequestStatus(ctx, tssimtest.DemoAccount, id); err != nil || st.Status != client.RequestPending {
		t.Errorf("status while the device is unreachable: %+v %v", st, err)
	}
	sim.Advance(10 * time.Minute)
	if r := await(t, sim, id)[tssimtest.DemoEID]; !r.Succeeded {
		t.Errorf("after 10 minutes: %+v", r)
	}
}

// A line change that fails inside ThingSpace comes as a faultResponse,
// which names the device only as the request did: Await still knows it
// for the device asked for, and for a CarrierService result.
func TestLineChangeFault(t *testing.T) {
	sim := tssimtest.New(t)
	ctx := context.Background()
	h := http.Header{"X-Tssim-Scenario": {"fault-response"}}
	mdn := client.MDN(tssimtest.DemoMDN)
	id, err := sim.Client.LineActionWith(ctx, client.LineSuspend, line(mdn), h)
	if err != nil {
		t.Fatal(err)
	}
	sim.Advance(time.Hour)
	res := await(t, sim, id)
	r, ok := res["mdn:"+tssimtest.DemoMDN]
	if !ok || !r.Final || r.Succeeded || r.Service != client.ServiceCarrier || r.Code == "" {
		t.Fatalf("results %+v", res)
	}
	if st, _ := sim.Client.RequestStatus(ctx, tssimtest.DemoAccount, id); st.Status != client.RequestFailure {
		t.Errorf("status %+v", st)
	}
}

// An unknown request: v1 answers ThingSpace's 400, v2 the Global IoT
// family's 404 with the status as its code.
func TestRequestStatusOfAnUnknownRequest(t *testing.T) {
	sim := tssimtest.New(t)
	ctx := context.Background()
	_, err := sim.Client.RequestStatus(ctx, tssimtest.DemoAccount, "no-such-request")
	if e := (*client.Error)(nil); !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest || e.StatusForm() {
		t.Errorf("v1: %v", err)
	}
	_, err = sim.Client.RequestStatusV2(ctx, tssimtest.DemoAccount, "no-such-request")
	if e := (*client.Error)(nil); !errors.As(err, &e) || e.StatusCode != http.StatusNotFound || e.Code != "404" || !e.StatusForm() {
		t.Errorf("v2: %v", err)
	}
}
