package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/tssimtest"
)

// The demo account's devices, in the order the lists give them.
var demoDevices = []string{
	"666456789123456789123456784008", "666456789123456789123456784009", "666456789123456789123456784010",
	"666456789123456789123456784011", "666456789123456789123456784012", "666456789123456789123456784013",
	"666456789123456789123456784014", tssimtest.DemoSuspendedEID, tssimtest.DemoDeactivatedEID,
}

func eids(ds []client.Device) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID("eid")
	}
	return out
}

// ListAllDevices follows the pages to the last, each from past the one
// before, and stops at its bound saying that more match.
func TestListAllDevicesPages(t *testing.T) {
	sim := tssimtest.New(t)
	ctx := context.Background()
	r := client.DeviceListRequest{AccountName: tssimtest.DemoAccount, MaxNumberOfDevices: 2}
	all, err := sim.Client.ListAllDevices(ctx, r, 100)
	if err != nil || !slices.Equal(eids(all), demoDevices) {
		t.Fatalf("every page: %v %v, want %v", eids(all), err, demoDevices)
	}
	some, err := sim.Client.ListAllDevices(ctx, r, 3)
	if !errors.Is(err, client.ErrMoreDevices) || !slices.Equal(eids(some), demoDevices[:3]) {
		t.Errorf("bounded at 3: %v %v, want the first 3 devices and ErrMoreDevices", eids(some), err)
	}
	page, err := sim.Client.ListDevices(ctx, r)
	if err != nil || !page.HasMoreData || len(page.Devices) != 2 {
		t.Errorf("one page: %+v %v", page, err)
	}
}

// The filters reach ThingSpace: a state, an identifier's part, one device;
// a device shows its line and its profile.
func TestListDevicesFilters(t *testing.T) {
	sim := tssimtest.New(t)
	ctx := context.Background()
	for name, tt := range map[string]struct {
		r    client.DeviceListRequest
		want []string
	}{
		"suspended":        {client.DeviceListRequest{AccountName: tssimtest.DemoAccount, CurrentState: "suspend"}, []string{tssimtest.DemoSuspendedEID}},
		"EID ends in 4012": {client.DeviceListRequest{Filter: []client.IdentifierFilter{{Kind: "eid", Contains: "", EndsWith: "4012"}}}, demoDevices[4:5]},
		"by IMEI":          {client.DeviceListRequest{DeviceID: &client.DeviceID{Kind: "imei", ID: tssimtest.DemoIMEI}}, []string{tssimtest.DemoEID}},
	} {
		page, err := sim.Client.ListDevices(ctx, tt.r)
		if err != nil || !slices.Equal(eids(page.Devices), tt.want) {
			t.Errorf("%s: %v %v, want %v", name, eids(page.Devices), err, tt.want)
		}
	}
	page, _ := sim.Client.ListDevices(ctx, client.DeviceListRequest{DeviceID: &client.DeviceID{Kind: "eid", ID: tssimtest.DemoEID}})
	if d := page.Devices[0]; d.State() != "active" || d.ServicePlan() != "RP4235311" || d.ID("iccid") != tssimtest.DemoICCID ||
		d.Attribute(client.AttrProfileStatus) != "ENABLE" || d.Attribute(client.AttrProfileICCID) != tssimtest.DemoICCID {
		t.Errorf("the seed device: %+v", d)
	}
	_, err := sim.Client.ListDevices(ctx, client.DeviceListRequest{AccountName: "9999999999-00001"})
	if e := (*client.Error)(nil); !errors.As(err, &e) || e.StatusCode != http.StatusBadRequest || e.Code == "" {
		t.Errorf("another account: %v", err)
	}
}

// The v2 list answers a requestId; its devices come in the callback.
func TestListDevicesV2(t *testing.T) {
	sim := tssimtest.New(t)
	ctx := context.Background()
	id, err := sim.Client.ListDevicesV2(ctx, client.DeviceListV2Request{AccountName: tssimtest.DemoAccount, ProvisioningStatusFilter: "DEACTIVE"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := sim.Listener.AwaitDeviceList(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Devices) != 1 || list.HasMoreData || list.Devices[0].State != "DEACTIVE" || len(list.Devices[0].Profiles) != 2 {
		t.Errorf("list %+v", list)
	}
	_, err = sim.Client.ListDevicesV2(ctx, client.DeviceListV2Request{AccountName: "x"})
	if e := (*client.Error)(nil); !errors.As(err, &e) || !e.StatusForm() || e.Code != "400" {
		t.Errorf("a bad account name: %v, want the Global IoT family's 400", err)
	}
}

// A page ListAllDevices cannot follow stops it with what it has: a
// ThingSpace whose devices carry no numeric id, or one whose cursor does
// not move, would otherwise be asked the same page for ever.
func TestListAllDevicesStopsAtAPageItCannotFollow(t *testing.T) {
	for name, page := range map[string]string{
		"no numeric id":       `{"hasMoreData":true,"devices":[{"deviceIds":[{"kind":"eid","id":"e1"}]}]}`,
		"an id not past":      `{"hasMoreData":true,"devices":[{"deviceIds":[{"kind":"eid","id":"e1"}],"extendedAttributes":[{"key":"DeviceId","value":"0"}]}]}`,
		"more and no devices": `{"hasMoreData":true,"devices":[]}`,
	} {
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/m2m/v1/devices/actions/list" {
				_, _ = io.WriteString(w, page)
				return
			}
			_, _ = io.WriteString(w, `{"access_token":"t","expires_in":3600,"sessionToken":"s"}`)
		}))
		c, _ := client.New(api.URL)
		got, err := c.ListAllDevices(context.Background(), client.DeviceListRequest{}, 100)
		api.Close()
		if err == nil || errors.Is(err, client.ErrMoreDevices) || len(got) != strings.Count(page, `"eid"`) {
			t.Errorf("%s: %d devices, %v", name, len(got), err)
		}
	}
}
