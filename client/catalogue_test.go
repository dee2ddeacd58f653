package client_test

import (
	"context"
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
	"testing"

	"github.com/gorilla/mux"

	"github.com/tssim/tssim/client"
	"github.com/tssim/tssim/internal/thingspace"
)

// The client keeps its own names of actions and services, since it must
// not import tssim's internals; this test holds them to the catalogue
// (internal/thingspace). Every Action* constant, sent through
// ProfileAction, is served by the catalogue's operation of that name, an
// action on devices; every operation taking the same body has a constant;
// every Service* constant is the callback service of some operation.
func TestConstantsAgreeWithTheCatalogue(t *testing.T) {
	consts := exportedStringConstants(t)
	var reqs []sent
	var mu sync.Mutex
	// One answer fits every call ProfileAction makes: the token, the
	// login and the action.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, sent{r.Method, r.URL.Path, body})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"t","token_type":"bearer","expires_in":3600,"sessionToken":"s","requestId":"r"}`)
	}))
	defer api.Close()
	c, err := client.New(api.URL, client.WithCredentials("key", "secret"), client.WithUser("user", "password"))
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	var bodies []string
	for name, value := range consts {
		if !strings.HasPrefix(name, "Action") {
			continue
		}
		reqs = nil
		req := client.ProfileRequest{AccountName: "0000000000-00001", SMSROID: "1.2.3",
			Devices: []client.DeviceRef{{EID: "89049032000001000000000000000001", ICCID: "8914800000000000001"}}}
		if _, err := c.ProfileAction(context.Background(), value, req); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, r := range reqs {
			op := serving(r)
			if op == nil {
				t.Errorf("%s: the client sent %s %s, which no operation of the catalogue serves", name, r.method, r.path)
			}
		}
		op := serving(reqs[len(reqs)-1])
		if op == nil {
			continue
		}
		if op.Name != value || op.Kind == nil {
			t.Errorf("client.%s = %q is served by operation %q (an action on devices: %t), not by one of that name", name, value, op.Name, op.Kind != nil)
		}
		served[op.Name] = true
		if !slices.Contains(bodies, op.Schema) {
			bodies = append(bodies, op.Schema)
		}
	}
	for _, op := range thingspace.All() {
		if op.Kind != nil && slices.Contains(bodies, op.Schema) && !served[op.Name] {
			t.Errorf("operation %q takes the client's ProfileRequest (%s) but the client names it with no Action constant", op.Name, op.Schema)
		}
	}
	for name, value := range consts {
		if strings.HasPrefix(name, "Service") && !slices.ContainsFunc(thingspace.All(), func(op *thingspace.Operation) bool { return op.Service() == value }) {
			t.Errorf("client.%s = %q is the callback service of no operation of the catalogue", name, value)
		}
	}
}

// sent is one request the client made.
type sent struct {
	method, path string
	body         []byte
}

// serving returns the catalogue's operation that serves r, as tssim's edge
// picks it: by method and path, then by the Claims of those sharing them.
func serving(r sent) *thingspace.Operation {
	var candidates []*thingspace.Operation
	for _, op := range thingspace.All() {
		m := mux.NewRouter()
		m.Path(op.Path).Methods(op.Method)
		req := httptest.NewRequest(r.method, r.path, nil)
		if m.Match(req, &mux.RouteMatch{}) {
			candidates = append(candidates, op)
		}
	}
	var rest *thingspace.Operation
	for _, op := range candidates {
		switch {
		case op.Claims == nil:
			rest = op
		case op.Claims(r.body):
			return op
		}
	}
	return rest
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
