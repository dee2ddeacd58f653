package client_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorilla/mux"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/thingspace"
)

// The client keeps its own names of actions and services, since it must
// not import tssim's internals; this test holds them to the catalogue
// (internal/thingspace). Every constant of a family (Action*, sent
// through ProfileAction; Line*, through LineAction; GIO*, through
// GIOAction) is served by the catalogue's operation of that name (GIO's
// prefixed gio_), an action on devices whose callbacks go to the service
// the client tells its listener; every operation taking a body of the
// family has a constant; every Service* constant is the callback service
// of some operation; and every other request the client makes is served.
func TestConstantsAgreeWithTheCatalogue(t *testing.T) {
	consts := exportedStringConstants(t)
	var reqs []sent
	var mu sync.Mutex
	var ids atomic.Int64
	// One answer fits every call the client makes: the token, the login,
	// an action, a status, a list.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, sent{r.Method, r.URL.Path, body})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"t","token_type":"bearer","expires_in":3600,"sessionToken":"s","requestId":"r%d","status":"Pending"}`, ids.Add(1))
	}))
	defer api.Close()
	listener := client.NewListener()
	c, err := client.New(api.URL, client.WithCredentials("key", "secret"), client.WithUser("user", "password"), client.WithListener(listener))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const account, eid, iccid = "0000000000-00001", "89049032000001000000000000000001", "8914800000000000001"
	device := []client.Identifiers{{client.EID(eid), client.ICCID(iccid)}}
	families := []struct {
		prefix, opPrefix string
		send             func(action string) (string, error)
	}{
		{"Action", "", func(a string) (string, error) {
			return c.ProfileAction(ctx, a, client.ProfileRequest{AccountName: account, SMSROID: "1.2.3", Devices: []client.DeviceRef{{EID: eid, ICCID: iccid}}})
		}},
		{"Line", "", func(a string) (string, error) {
			return c.LineAction(ctx, a, client.LineRequest{AccountName: account, Devices: device, ServicePlan: "plan", MDNZipCode: "94107"})
		}},
		{"GIO", "gio_", func(a string) (string, error) {
			return c.GIOAction(ctx, a, client.GIORequest{AccountName: account, Devices: device})
		}},
	}
	for _, f := range families {
		served := map[string]bool{}
		var bodies []string
		for name, value := range consts {
			if !strings.HasPrefix(name, f.prefix) {
				continue
			}
			reqs = nil
			id, err := f.send(value)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			op := servedAll(t, name, reqs)
			if op == nil {
				continue
			}
			if op.Name != f.opPrefix+value || op.Kind == nil {
				t.Errorf("client.%s = %q is served by operation %q (an action on devices: %t), not by %q", name, value, op.Name, op.Kind != nil, f.opPrefix+value)
			}
			listener.Add(client.Result{RequestID: id, Status: "Failed", Final: true, DeviceIDs: []client.DeviceID{client.EID(eid)}})
			if got := listener.Results()[len(listener.Results())-1].Service; got != op.Service() {
				t.Errorf("client.%s: the client tells its listener the callbacks go to %q; operation %q sends them to %q", name, got, op.Name, op.Service())
			}
			served[op.FaultName()] = true
			if !slices.Contains(bodies, op.Schema) {
				bodies = append(bodies, op.Schema)
			}
		}
		for _, op := range thingspace.All() {
			if op.Kind != nil && slices.Contains(bodies, op.Schema) && !served[op.FaultName()] {
				t.Errorf("operation %q takes a body of the client's %s family (%s) but the client names it with no %s constant", op.Name, f.prefix, op.Schema, f.prefix)
			}
		}
	}
	for name, value := range consts {
		if strings.HasPrefix(name, "Service") && !slices.ContainsFunc(thingspace.All(), func(op *thingspace.Operation) bool { return op.Service() == value }) {
			t.Errorf("client.%s = %q is the callback service of no operation of the catalogue", name, value)
		}
	}
	for name, call := range map[string]func() error{
		"RequestStatus":   func() error { _, err := c.RequestStatus(ctx, account, "r1"); return err },
		"RequestStatusV2": func() error { _, err := c.RequestStatusV2(ctx, account, "r1"); return err },
		"ListDevices":     func() error { _, err := c.ListDevices(ctx, client.DeviceListRequest{AccountName: account}); return err },
		"ListDevicesV2": func() error {
			_, err := c.ListDevicesV2(ctx, client.DeviceListV2Request{AccountName: account})
			return err
		},
	} {
		reqs = nil
		if err := call(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		servedAll(t, name, reqs)
	}
}

// servedAll reports each request of reqs that no operation of the
// catalogue serves, and returns the operation serving the last.
func servedAll(t *testing.T, what string, reqs []sent) *thingspace.Operation {
	t.Helper()
	var op *thingspace.Operation
	for _, r := range reqs {
		if op = serving(r); op == nil {
			t.Errorf("%s: the client sent %s %s, which no operation of the catalogue serves", what, r.method, r.path)
		}
	}
	return op
}

// sent is one request the client made.
type sent struct {
	method, path string
	body         []byte
}

// serving returns the catalogue's operation that serves r, as tssim's edge
// picks it: by method and path, then by the Claims of those sharing them.
func serving(r sent) *thingspace.Operation {
	for _, route := range thingspace.Routes() {
		m := mux.NewRouter()
		m.Path(route.Path).Methods(route.Method)
		if m.Match(httptest.NewRequest(r.method, r.path, nil), &mux.RouteMatch{}) {
			return thingspace.Pick(route.Ops, r.body)
		}
	}
	return nil
}

// exportedStringConstants reads the client package's exported string
// constants, by name, from its source.
func exportedStringConstants(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && n.IsExported() && lit.Kind == token.STRING {
						out[n.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no constant found in the client's source")
	}
	return out
}
