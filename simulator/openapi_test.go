package simulator

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tssim/tssim/internal/jsonptr"
	"github.com/tssim/tssim/internal/thingspace"
)

// updateDocs rewrites docs/operations.md (go generate ./simulator runs
// the test with it).
var updateDocs = flag.Bool("update-docs", false, "rewrite docs/operations.md from the catalogue")

// docServer is a tssim on a manual clock, and its URL.
func docServer(t *testing.T) (*Server, string) {
	t.Helper()
	h, err := New(Options{Clock: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h.Handler())
	t.Cleanup(func() {
		hs.Close()
		if err := h.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return h, hs.URL
}

// getDocument fetches a JSON document, numbers kept exact.
func getDocument(t *testing.T, u string) (map[string]any, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %s %s", u, resp.StatusCode, resp.Header.Get("Content-Type"), raw.Bytes())
	}
	d := json.NewDecoder(bytes.NewReader(raw.Bytes()))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc, raw.Bytes()
}

// walk calls f with every node of doc and its JSON pointer, keys in order.
func walk(doc any, ptr string, f func(ptr, key string, v any)) {
	switch n := doc.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(n)) {
			f(ptr+"/"+jsonptr.Escape(k), k, n[k])
			walk(n[k], ptr+"/"+jsonptr.Escape(k), f)
		}
	case []any:
		for i, v := range n {
			p := ptr + "/" + strconv.Itoa(i)
			f(p, "", v)
			walk(v, p, f)
		}
	}
}

// checkDocument holds a document to OpenAPI 3.1's schema, resolves each
// of its $refs inside it, and compiles each of its schemas.
func checkDocument(t *testing.T, name string, doc map[string]any, raw []byte) *jsonschema.Compiler {
	t.Helper()
	oas, err := os.ReadFile("testdata/oas-3.1/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	const oasURL = "https://spec.openapis.org/oas/3.1/schema/WORK-IN-PROGRESS"
	if err := c.AddResource(oasURL, bytes.NewReader(oas)); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(oasURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Errorf("%s is not a valid OpenAPI 3.1 document: %#v", name, err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("%s: openapi %v", name, doc["openapi"])
	}
	sc := jsonschema.NewCompiler()
	sc.Draft = jsonschema.Draft2020
	if err := sc.AddResource(name, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	var schemaPtrs []string
	for k := range doc["components"].(map[string]any)["schemas"].(map[string]any) {
		schemaPtrs = append(schemaPtrs, "/components/schemas/"+jsonptr.Escape(k))
	}
	walk(doc, "", func(ptr, key string, v any) {
		if ref, ok := v.(string); ok && key == "$ref" {
			if !strings.HasPrefix(ref, "#/") || jsonptr.Lookup(doc, strings.TrimPrefix(ref, "#")) == nil {
				t.Errorf("%s: $ref %q at %s resolves to nothing in the document", name, ref, ptr)
			}
		}
		if key == "schema" && !strings.HasPrefix(ptr, "/components/schemas/") {
			schemaPtrs = append(schemaPtrs, ptr)
		}
	})
	slices.Sort(schemaPtrs)
	for _, ptr := range schemaPtrs {
		if _, err := sc.Compile(name + "#" + (&url.URL{Fragment: ptr}).EscapedFragment()); err != nil {
			t.Errorf("%s: the schema at %s does not compile: %v", name, ptr, err)
		}
	}
	return sc
}

// The API document has every operation of the catalogue, at its method
// and path, with its body's schema, its credentials and its callbacks'
// service, and nothing else; it is a valid OpenAPI 3.1 document whose
// references resolve and whose schemas compile, and its callback schema
// takes the callback tssim sends.
func TestOpenAPIDocumentCoversTheCatalogue(t *testing.T) {
	_, base := docServer(t)
	doc, raw := getDocument(t, base+"/_sim/openapi.json")
	sc := checkDocument(t, "openapi.json", doc, raw)
	if got := jsonptr.Lookup(doc, "/servers/0/url"); got != base {
		t.Errorf("server %v, want %s", got, base)
	}
	listed := map[string]bool{}
	for _, op := range thingspace.All() {
		path, _ := openAPIPath(op.Path)
		where := "/paths/" + jsonptr.Escape(path) + "/" + strings.ToLower(op.Method)
		o, _ := jsonptr.Lookup(doc, where).(map[string]any)
		if o == nil {
			t.Errorf("operation %s: nothing at %s", op.Name, where)
			continue
		}
		var mine map[string]any
		for _, v := range o["x-tssim-operations"].([]any) {
			if v := v.(map[string]any); v["name"] == op.Name {
				mine = v
			}
		}
		if mine == nil || mine["fault"] != op.FaultName() || mine["summary"] != op.Summary {
			t.Errorf("operation %s: %s lists %v", op.Name, where, o["x-tssim-operations"])
		}
		listed[op.Name] = true
		if op.Schema != "" {
			if body, _ := json.Marshal(jsonptr.Lookup(o, "/requestBody/content/application~1json/schema")); !strings.Contains(string(body), `"`+schemaRef(op.Schema)+`"`) {
				t.Errorf("operation %s: its body %s does not refer to %s", op.Name, body, schemaRef(op.Schema))
			}
		}
		sec, _ := json.Marshal(o["security"])
		want := map[thingspace.Access]string{thingspace.Open: `[{"appCredentials":[]}]`, thingspace.Bearer: `[{"oauth2":[]}]`, thingspace.Session: `[{"m2mSession":[],"oauth2":[]}]`}[op.Access]
		if string(sec) != want {
			t.Errorf("operation %s: security %s, want %s", op.Name, sec, want)
		}
		if svc := op.Service(); svc != "" {
			if s, _ := o["x-callback-service"].(string); !slices.Contains(strings.Split(s, ", "), svc) || jsonptr.Lookup(o, "/callbacks/"+svc) == nil {
				t.Errorf("operation %s: callbacks to %s not described: %v %v", op.Name, svc, o["x-callback-service"], o["callbacks"])
			}
			if jsonptr.Lookup(o, "/responses/200/content/application~1json/schema/$ref") != "#/components/schemas/"+requestIDSchema {
				t.Errorf("operation %s: its answer is not a requestId: %v", op.Name, jsonptr.Lookup(o, "/responses/200"))
			}
		}
	}
	walk(doc["paths"], "/paths", func(ptr, key string, v any) {
		if key != "x-tssim-operations" {
			return
		}
		for _, o := range v.([]any) {
			if name := o.(map[string]any)["name"].(string); !listed[name] {
				t.Errorf("%s lists %s, which the catalogue does not have", ptr, name)
			}
		}
	})
	// The callbacks to DeviceProfileService are described by callback.json,
	// which takes the callback tssim sends (the seed page's example).
	cb := jsonptr.Lookup(doc, "/paths/"+jsonptr.Escape(thingspace.ProfileActionsPath+"delete")+"/post/callbacks/DeviceProfileService")
	body, _ := json.Marshal(cb)
	if !strings.Contains(string(body), `"#/components/schemas/callback"`) {
		t.Errorf("the DeviceProfileService callbacks' body: %s", body)
	}
	s, err := sc.Compile("openapi.json#/components/schemas/callback")
	if err != nil {
		t.Fatal(err)
	}
	seed, err := os.ReadFile("testdata/seed-callback.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var msg any
	if err := json.Unmarshal(seed, &msg); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(msg); err != nil {
		t.Errorf("the document's callback schema refuses tssim's callback: %v", err)
	}
	delete(msg.(map[string]any), "deviceIds")
	if err := s.Validate(msg); err == nil {
		t.Error("the document's callback schema takes a callback without deviceIds")
	}
}

// The control document has every control route, each with a summary; a
// world's has none of the routes served at the root only. Every summary
// is of a route.
func TestOpenAPIControlDocumentCoversTheControlRoutes(t *testing.T) {
	h, base := docServer(t)
	req, _ := http.NewRequest(http.MethodPut, base+"/_sim/worlds/docs", strings.NewReader(`{}`))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("making a world: %v %v", resp, err)
	}
	root, raw := getDocument(t, base+"/_sim/openapi-control.json")
	checkDocument(t, "openapi-control.json", root, raw)
	world, raw := getDocument(t, base+"/w/docs/_sim/openapi-control.json")
	checkDocument(t, "openapi-control.json", world, raw)
	if got := jsonptr.Lookup(world, "/servers/0/url"); got != base+"/w/docs" {
		t.Errorf("the world's server %v", got)
	}
	routes := h.controlRoutes()
	for _, rt := range routes {
		path, _ := openAPIPath(rt.path)
		where := "/paths/" + jsonptr.Escape(path) + "/" + strings.ToLower(rt.method)
		if s, _ := jsonptr.Lookup(root, where+"/summary").(string); s == "" {
			t.Errorf("%s %s: no summary in the document (add one to controlSummaries)", rt.method, rt.path)
		}
		if (jsonptr.Lookup(world, where) == nil) != (rt.access == accessRootAdmin) {
			t.Errorf("%s %s: in a world's document: %t", rt.method, rt.path, jsonptr.Lookup(world, where) != nil)
		}
		if rt.schema != "" && jsonptr.Lookup(root, where+"/requestBody/content/application~1json/schema/$ref") != schemaRef(rt.schema) {
			t.Errorf("%s %s: its body is not %s: %v", rt.method, rt.path, schemaRef(rt.schema), jsonptr.Lookup(root, where+"/requestBody"))
		}
	}
	for key := range controlSummaries {
		if !slices.ContainsFunc(routes, func(rt *route) bool { return rt.method+" "+rt.path == key }) {
			t.Errorf("controlSummaries has %q, which is no control route", key)
		}
	}
}

// A schema's $ref to another file, or into one, becomes a reference into
// the document's components; a reference to an anchor is refused.
func TestSchemaRefs(t *testing.T) {
	for name, want := range map[string]string{
		"login.json":                     "#/components/schemas/login",
		"control.json#scenario":          "#/components/schemas/control/$defs/scenario",
		"callback.json#/$defs/deviceIds": "#/components/schemas/callback/$defs/deviceIds",
	} {
		if got := schemaRef(name); got != want {
			t.Errorf("schemaRef(%q) = %q, want %q", name, got, want)
		}
	}
	doc := map[string]any{"items": []any{map[string]any{"$ref": "#/$defs/a"}, map[string]any{"$ref": "device.json"}}}
	if err := rewriteRefs(doc, "fixtures.json"); err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(doc); string(got) != `{"items":[{"$ref":"#/components/schemas/fixtures/$defs/a"},{"$ref":"#/components/schemas/device"}]}` {
		t.Errorf("rewritten: %s", got)
	}
	if err := rewriteRefs(map[string]any{"$ref": "#anchor"}, "x.json"); err == nil {
		t.Error("a reference to an anchor was taken")
	}
	if p, params := openAPIPath("/a/{id:[0-9]+}/b/{name}"); p != "/a/{id}/b/{name}" || !slices.Equal(params, []string{"id", "name"}) {
		t.Errorf("openAPIPath: %s %v", p, params)
	}
}

// docs/operations.md, the reference page of the operations, is what the
// catalogue says: regenerate it with go generate ./simulator.
func TestOperationsPageIsCurrent(t *testing.T) {
	h, _ := docServer(t)
	got := operationsPage(h)
	const page = "../docs/operations.md"
	if *updateDocs {
		if err := os.WriteFile(page, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go generate ./simulator (it runs this test with -update-docs). It should read:\n%s", page, got)
	}
}

// operationsPage renders docs/operations.md.
func operationsPage(h *Server) []byte {
	var b bytes.Buffer
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	b.WriteString("# Operations\n\n" +
		"<!-- Generated from the catalogue (internal/thingspace) by go generate ./simulator; do not edit. -->\n\n" +
		"The ThingSpace operations tssim serves. A running tssim describes them as\n" +
		"OpenAPI 3.1 at `GET /_sim/openapi.json` (import it into Postman, or\n" +
		"generate a client from it), its control API at\n" +
		"`GET /_sim/openapi-control.json`, and lists them as JSON at\n" +
		"`GET /_sim/operations`.\n\n" +
		"Credentials: *app* is the app key and secret as Basic credentials; *token*\n" +
		"an OAuth access token (`Authorization: Bearer`); *session* a token and the\n" +
		"M2M session token (`VZ-M2M-Token`).\n\n" +
		"| Operation | Method and path | Credentials | Body | Callbacks to | Fault route | What it does |\n" +
		"|---|---|---|---|---|---|---|\n")
	ops := thingspace.All()
	slices.SortStableFunc(ops, func(a, b *thingspace.Operation) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.Method, b.Method))
	})
	creds := map[thingspace.Access]string{thingspace.Open: "app", thingspace.Bearer: "token", thingspace.Session: "session"}
	for _, op := range ops {
		body := ""
		if op.Schema != "" {
			body = fmt.Sprintf("[%s](../schemas/%s)", op.Schema, op.Schema)
		}
		fmt.Fprintf(&b, "| `%s` | `%s %s` | %s | %s | %s | `%s` | %s |\n", op.Name, op.Method, op.Path, creds[op.Access], body, op.Service(), op.FaultName(), cell(op.Summary))
	}
	b.WriteString("\n## Fault routes\n\n" +
		"A fault rule (`POST /_sim/faults`) matches requests by `route`, one of\n" +
		"these names (any other is refused), or `*` for every operation:\n\n")
	for _, name := range thingspace.FaultNames() {
		if name == "*" {
			continue
		}
		var names []string
		for _, op := range ops {
			if op.FaultName() == name {
				names = append(names, "`"+op.Name+"`")
			}
		}
		fmt.Fprintf(&b, "- `%s`: %s\n", name, strings.Join(names, ", "))
	}
	b.WriteString("\n## Control API\n\n" +
		"Under every world's URL (`/w/NAME/...` for a world other than the\n" +
		"default); *admin* routes take `Authorization: Bearer <admin token>` when\n" +
		"tssim runs with `--admin-token`.\n\n" +
		"| Method and path | Credentials | Body | What it does |\n" +
		"|---|---|---|---|\n")
	for _, rt := range h.controlRoutes() {
		access := ""
		if control(rt.access) {
			access = "admin"
		}
		body := ""
		if rt.schema != "" {
			file, def, _ := strings.Cut(rt.schema, "#")
			body = fmt.Sprintf("[%s](../schemas/%s)", strings.TrimSuffix(file+" "+def, " "), file)
		}
		fmt.Fprintf(&b, "| `%s %s` | %s | %s | %s |\n", rt.method, rt.path, access, body, cell(controlSummaries[rt.method+" "+rt.path]))
	}
	return b.Bytes()
}
