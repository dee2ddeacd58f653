package record

import (
	"net/http"
	"testing"

	"github.com/tssim/tssim/internal/thingspace"
)

// The catalogue names each request as tssim's router does, shared paths
// told apart by their bodies; and the listeners' operations are found by
// what they are.
func TestCatalogue(t *testing.T) {
	c := NewCatalogue()
	for _, tc := range []struct {
		method, path, body, want string
	}{
		{http.MethodPost, "/api/ts/v1/oauth2/token", "grant_type=client_credentials", "token"},
		{http.MethodPost, "/api/m2m/v1/devices/profile/actions/delete", `{"smsrOid":"1.2","accountName":"a","devices":[]}`, "delete"},
		{http.MethodPost, "/api/m2m/v1/devices/profile/actions/delete", `{"accountName":"a","devices":[]}`, "gio_delete"},
		{http.MethodPost, "/api/m2m/v1/devices/profile/actions/disable", `{"accountName":"a"}`, "disable"},
		{http.MethodGet, "/api/m2m/v1/accounts/a-1/requests/r-1/status", "", "request_status"},
		{http.MethodGet, "/api/m2m/v1/devices/profile/actions/delete", "", ""},
		{http.MethodPost, "/api/nothing", "{}", ""},
	} {
		op, _ := c.Find(tc.method, tc.path, []byte(tc.body))
		got := ""
		if op != nil {
			got = op.Name
		}
		if got != tc.want {
			t.Errorf("%s %s %s: %q, want %q", tc.method, tc.path, tc.body, got, tc.want)
		}
	}
	var registers, lists, deregisters []string
	for _, op := range thingspace.All() {
		vars := map[string]string{}
		if op.Method == http.MethodDelete {
			_, vars = c.Find(op.Method, "/api/m2m/v1/callbacks/a-1/name/S", nil)
		}
		if c.Registers(op) {
			registers = append(registers, op.Name)
		}
		if c.ListsListeners(op) {
			lists = append(lists, op.Name)
		}
		if c.Deregisters(op, vars) {
			deregisters = append(deregisters, op.Name)
		}
	}
	if len(registers) != 1 || registers[0] != "callbacks_register" || len(lists) != 1 || lists[0] != "callbacks_list" ||
		len(deregisters) != 1 || deregisters[0] != "callbacks_deregister" {
		t.Errorf("registers %v, lists %v, deregisters %v", registers, lists, deregisters)
	}
}
