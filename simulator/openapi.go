package simulator

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/tssim/tssim/internal/thingspace"
	"github.com/tssim/tssim/schemas"
)

// The API documents, OpenAPI 3.1: GET /_sim/openapi.json describes the
// ThingSpace operations tssim serves, from the catalogue
// (internal/thingspace), and GET /_sim/openapi-control.json the control
// API, from its routes. Both carry every JSON Schema of schemas/ under
// components/schemas, so that a body the document describes is a body
// tssim takes. Users import them into Postman or generate clients from
// them; each is built for the world it is asked of, whose URL is its
// server. docs/operations.md, the reference page, is generated from the
// same catalogue by TestOperationsPageIsCurrent:
//
//go:generate go test -run TestOperationsPageIsCurrent . -update-docs

// openAPIVersion is the OpenAPI version the documents follow.
const openAPIVersion = "3.1.0"

// callbackServiceKey, at the root of a schema in schemas/, names the
// callback service whose bodies it describes: the API document gives it
// as the callback body of every operation reporting to that service.
const callbackServiceKey = "x-callbackService"

// requestIDSchema is the component of the answer of an operation that
// acts on devices: the requestId its callbacks will carry.
const requestIDSchema = "request-id-answer"

// schemaComponents are the schemas of schemas/ as components of a
// document, by file name without ".json"; read once, the files being
// embedded.
var schemaComponents = sync.OnceValues(func() (map[string]any, error) {
	names, err := fs.Glob(schemas.FS, "*.json")
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, name := range names {
		b, err := schemas.FS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var doc map[string]any
		if err := d.Decode(&doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		// In the document, a schema is found by its place, not its id;
		// the dialect is the document's (JSON Schema 2020-12, OpenAPI's
		// base vocabulary).
		delete(doc, "$id")
		delete(doc, "$schema")
		if err := rewriteRefs(doc, name); err != nil {
			return nil, err
		}
		out[componentName(name)] = doc
	}
	out[requestIDSchema] = map[string]any{
		"type": "object", "required": []string{"requestId"},
		"properties": map[string]any{"requestId": map[string]any{"type": "string", "description": "Names the request in its callbacks and its status."}},
	}
	return out, nil
})

// componentName is a schema file's name among the components.
func componentName(file string) string { return strings.TrimSuffix(file, ".json") }

// schemaRef is the document's reference to a schema named as the
// validator names it: "login.json", "control.json#scenario" (a $defs
// member) or "callback.json#/$defs/deviceIds".
func schemaRef(name string) string {
	file, frag, _ := strings.Cut(name, "#")
	ref := "#/components/schemas/" + componentName(file)
	switch {
	case frag == "":
		return ref
	case strings.HasPrefix(frag, "/"):
		return ref + frag
	}
	return ref + "/$defs/" + frag
}

// rewriteRefs makes every $ref of file's schema a reference into the
// document's components.
func rewriteRefs(node any, file string) error {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if ref, ok := v.(string); ok && k == "$ref" {
				target, frag, _ := strings.Cut(ref, "#")
				if frag != "" && !strings.HasPrefix(frag, "/") {
					return fmt.Errorf("schema %s: $ref %q: only references to a file or a JSON pointer in one are supported", file, ref)
				}
				n[k] = schemaRef(cmp.Or(target, file) + "#" + frag)
				continue
			}
			if err := rewriteRefs(v, file); err != nil {
				return err
			}
		}
	case []any:
		for _, v := range n {
			if err := rewriteRefs(v, file); err != nil {
				return err
			}
		}
	}
	return nil
}

// muxVar is a gorilla/mux path variable, with its pattern if any.
var muxVar = regexp.MustCompile(`\{([^{}:]+)(:[^{}]*)?\}`)

// openAPIPath is a gorilla/mux path as OpenAPI writes it, and the names of
// its parameters.
func openAPIPath(path string) (string, []string) {
	var params []string
	for _, m := range muxVar.FindAllStringSubmatch(path, -1) {
		params = append(params, m[1])
	}
	return muxVar.ReplaceAllString(path, "{$1}"), params
}

// pathParameters are the OpenAPI parameters of a path's variables.
func pathParameters(names []string) []any {
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = map[string]any{"name": n, "in": "path", "required": true, "schema": map[string]any{"type": "string"}}
	}
	return out
}

// document is an OpenAPI document's top level.
type document struct {
	OpenAPI           string         `json:"openapi"`
	Info              map[string]any `json:"info"`
	JSONSchemaDialect string         `json:"jsonSchemaDialect"`
	Servers           []any          `json:"servers"`
	Paths             map[string]any `json:"paths"`
	Components        map[string]any `json:"components"`
}

// newDocument starts a document for the world c is served in.
func (h *Server) newDocument(s *world, c *call, title, description string) (*document, error) {
	comps, err := schemaComponents()
	if err != nil {
		return nil, err
	}
	server := map[string]any{"url": h.baseURL(s, c), "description": "this tssim, the default world"}
	if s != h.root {
		server["description"] = "this tssim, world " + s.spec.Name
	}
	return &document{
		OpenAPI: openAPIVersion,
		Info:    map[string]any{"title": title, "version": "1", "description": description},
		// OpenAPI 3.1's own dialect: JSON Schema 2020-12 with its
		// vocabulary, as every schema of schemas/ is written.
		JSONSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
		Servers:           []any{server},
		Paths:             map[string]any{},
		Components: map[string]any{
			"schemas": comps,
			"responses": map[string]any{"Error": map[string]any{
				"description": "An error, in one of ThingSpace's envelopes (see the error schema), naming the offending field where there is one.",
				"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": schemaRef("error.json")}}},
			}},
		},
	}, nil
}

// baseURL is the URL of the world c is served in.
func (h *Server) baseURL(s *world, c *call) string {
	scheme := "http"
	if c.R.TLS != nil {
		scheme = "https"
	}
	u := scheme + "://" + c.R.Host
	if s != h.root {
		u += WorldPrefix + s.spec.Name
	}
	return u
}

// add puts one operation object in the document.
func (d *document) add(method, path string, op map[string]any) {
	p, params := openAPIPath(path)
	item, _ := d.Paths[p].(map[string]any)
	if item == nil {
		item = map[string]any{}
		if len(params) > 0 {
			item["parameters"] = pathParameters(params)
		}
		d.Paths[p] = item
	}
	item[strings.ToLower(method)] = op
}

// jsonBody is a request or callback body of the schemas given by name,
// one of them when several.
func jsonBody(names []string) map[string]any {
	refs := make([]any, len(names))
	for i, n := range names {
		refs[i] = map[string]any{"$ref": schemaRef(n)}
	}
	schema := map[string]any{"oneOf": refs}
	if len(refs) == 1 {
		schema = refs[0].(map[string]any)
	}
	return map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
}

// apiDescription introduces the document of the ThingSpace operations.
const apiDescription = "The ThingSpace eUICC operations tssim serves, as its catalogue declares them. " +
	"Operations that act on devices answer a requestId at once and report each device's result later, " +
	"as a callback to the listener registered for their service (x-callback-service). " +
	"Several operations may share a method and path: x-tssim-operations lists them, told apart by their bodies. " +
	"A path no operation serves answers the API gateway's 400 fault 900906. " +
	"tssim's own request headers, X-Tssim-Scenario (the scenario of an action) and X-Tssim-Fault (a fault on one request), are described in /_sim/openapi-control.json's introduction."

// openAPI serves the document of the ThingSpace operations.
func (h *Server) openAPI(s *world, c *call) (any, error) {
	doc, err := h.newDocument(s, c, "ThingSpace eUICC API, as tssim simulates it", apiDescription)
	if err != nil {
		return nil, err
	}
	ops := thingspace.All()
	token := slices.IndexFunc(ops, func(o *thingspace.Operation) bool { return o.Name == "token" })
	if token < 0 {
		return nil, fmt.Errorf("openapi: the catalogue has no token operation")
	}
	doc.Components["securitySchemes"] = map[string]any{
		"oauth2": map[string]any{"type": "oauth2", "description": "An access token of the client-credentials grant, as 'Authorization: Bearer'.",
			"flows": map[string]any{"clientCredentials": map[string]any{"tokenUrl": h.baseURL(s, c) + ops[token].Path, "scopes": map[string]any{}}}},
		"m2mSession": map[string]any{"type": "apiKey", "in": "header", "name": "VZ-M2M-Token",
			"description": "The sessionToken of the M2M login, beside the access token."},
		"appCredentials": map[string]any{"type": "http", "scheme": "basic",
			"description": "The app key and secret, at the OAuth endpoints."},
	}
	security := map[thingspace.Access][]any{
		thingspace.Open:    {map[string]any{"appCredentials": []string{}}},
		thingspace.Bearer:  {map[string]any{"oauth2": []string{}}},
		thingspace.Session: {map[string]any{"oauth2": []string{}, "m2mSession": []string{}}},
	}
	callbacks := callbackSchemasByService(doc.Components["schemas"].(map[string]any))
	// The operations sharing a method and path are one operation object.
	for _, r := range thingspace.Routes() {
		o := apiOperation(r.Ops, callbacks)
		o["security"] = security[r.Ops[0].Access]
		doc.add(r.Method, r.Path, o)
	}
	return doc, nil
}

// apiOperation is the operation object of the operations on one method
// and path: one body of theirs, and their callbacks, each to the
// listener of its service with the body of its schema (callbacks maps a
// service to them).
func apiOperation(route []*thingspace.Operation, callbacks map[string][]string) map[string]any {
	var names, summaries, bodies, services []string
	var listed []any
	for _, op := range route {
		names = append(names, op.Name)
		summaries = append(summaries, op.Summary)
		v := map[string]any{"name": op.Name, "fault": op.FaultName(), "summary": op.Summary}
		if op.Schema != "" {
			v["body"] = schemaRef(op.Schema)
			if !slices.Contains(bodies, op.Schema) {
				bodies = append(bodies, op.Schema)
			}
		}
		if svc := op.Service(); svc != "" {
			v["callbackService"] = svc
			if !slices.Contains(services, svc) {
				services = append(services, svc)
			}
		}
		listed = append(listed, v)
	}
	answer := map[string]any{"description": "Done."}
	o := map[string]any{
		"operationId":        strings.Join(names, "_or_"),
		"summary":            strings.Join(summaries, "; or "),
		"x-tssim-operations": listed,
		"responses":          map[string]any{"200": answer, "default": map[string]any{"$ref": "#/components/responses/Error"}},
	}
	if len(bodies) > 0 {
		o["requestBody"] = jsonBody(bodies)
	}
	if len(services) == 0 {
		return o
	}
	answer["description"] = "Accepted: the results follow as callbacks."
	answer["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/" + requestIDSchema}}}
	o["x-callback-service"] = strings.Join(services, ", ")
	cbs := map[string]any{}
	for _, svc := range services {
		post := map[string]any{
			"summary":   "One device's result, sent to the listener registered for " + svc + "; any answer but a 2xx is retried.",
			"responses": map[string]any{"200": map[string]any{"description": "Acknowledged."}},
		}
		if names := callbacks[svc]; len(names) > 0 {
			post["requestBody"] = jsonBody(names)
		}
		// The key, which OpenAPI takes as the callback's URL, is a
		// placeholder: the URL is the one registered, not one the request
		// gives.
		cbs[svc] = map[string]any{svc + "-listener-url": map[string]any{
			"description": "The URL registered for " + svc + " with the callback listener operations.",
			"post":        post,
		}}
	}
	o["callbacks"] = cbs
	return o
}

// callbackSchemasByService maps each callback service to the schemas of
// schemas/ that declare it with callbackServiceKey.
func callbackSchemasByService(comps map[string]any) map[string][]string {
	out := map[string][]string{}
	for _, name := range slices.Sorted(maps.Keys(comps)) {
		root, _ := comps[name].(map[string]any)
		if svc, ok := root[callbackServiceKey].(string); ok {
			out[svc] = append(out[svc], name+".json")
		}
	}
	return out
}

// controlDescription introduces the document of the control API.
const controlDescription = "tssim's own API, under /_sim/: the world's devices, scenarios, clock, journals, faults and worlds. " +
	"With --admin-token, every route but health, the dashboard and the documents takes 'Authorization: Bearer <admin token>'. " +
	"On ThingSpace's paths tssim also reads two request headers: X-Tssim-Scenario names the scenario of an action's devices " +
	"(GET /_sim/scenarios lists them), and X-Tssim-Fault asks for a fault on that one request " +
	"(status=CODE, retry-after=DURATION, latency=DURATION, drop, garbage, joined by commas)."

// controlSummaries are the control routes' summaries, by method and path.
var controlSummaries = map[string]string{
	"GET /_sim/health":                      "Whether tssim is up.",
	"GET /_sim/ui":                          "The dashboard.",
	"GET /_sim/operations":                  "The catalogue's operations and the fault routes.",
	"GET /_sim/openapi.json":                "The OpenAPI document of the ThingSpace operations.",
	"GET /_sim/openapi-control.json":        "This document.",
	"POST /_sim/reset":                      "Put the world back as its fixtures made it.",
	"GET /_sim/devices":                     "The devices by EID (?limit=N&after=EID, ?eid=PREFIX).",
	"GET /_sim/devices/{eid}":               "One device.",
	"PUT /_sim/devices/{eid}":               "Add or replace a device.",
	"PUT /_sim/devices/{eid}/scenario":      "Assign a scenario to a device (\"\" clears it).",
	"PUT /_sim/accounts/{account}/scenario": "Assign a scenario to an account's devices (\"\" clears it).",
	"POST /_sim/users/{username}/unlock":    "Unlock a user locked out by failed logins.",
	"GET /_sim/scenarios":                   "The scenarios.",
	"GET /_sim/requests":                    "The request journal (?after=&limit=, ?last=N).",
	"GET /_sim/callbacks":                   "The callback journal (?requestId=, ?eid=, ?after=&limit=; ?wait=&min=&attempts= to wait for them).",
	"GET /_sim/delivery":                    "Callback delivery's counters.",
	"GET /_sim/clock":                       "The world's clock.",
	"POST /_sim/clock/advance":              "Move a manual clock forward.",
	"GET /_sim/faults":                      "The fault rules, with their counts.",
	"POST /_sim/faults":                     "Add a fault rule.",
	"DELETE /_sim/faults":                   "Clear the fault rules.",
	"DELETE /_sim/faults/{id}":              "Remove a fault rule.",
	"GET /_sim/worlds":                      "The worlds (at the root only).",
	"PUT /_sim/worlds/{name}":               "Make or replace a world, served under /w/{name}/ (at the root only).",
	"DELETE /_sim/worlds/{name}":            "Remove a world (at the root only).",
}

// openAPIControl serves the document of the control API; a world's has
// no route of the root only.
func (h *Server) openAPIControl(s *world, c *call) (any, error) {
	doc, err := h.newDocument(s, c, "tssim control API", controlDescription)
	if err != nil {
		return nil, err
	}
	doc.Components["securitySchemes"] = map[string]any{
		"adminToken": map[string]any{"type": "http", "scheme": "bearer", "description": "--admin-token, when tssim runs with one."},
	}
	for _, rt := range h.controlRoutes() {
		if rt.access == accessRootAdmin && s != h.root {
			continue
		}
		o := map[string]any{
			"operationId": controlOperationID(rt.method, rt.path),
			"summary":     controlSummaries[rt.method+" "+rt.path],
			"responses":   map[string]any{"200": map[string]any{"description": "Done."}, "default": map[string]any{"$ref": "#/components/responses/Error"}},
			"security":    []any{},
		}
		if control(rt.access) {
			o["security"] = []any{map[string]any{"adminToken": []string{}}, map[string]any{}}
		}
		if rt.schema != "" {
			o["requestBody"] = jsonBody([]string{rt.schema})
		}
		doc.add(rt.method, rt.path, o)
	}
	return doc, nil
}

// controlOperationID names a control route: its method and its path's
// words, "put_sim_devices_eid_scenario".
func controlOperationID(method, path string) string {
	words := strings.FieldsFunc(path, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') })
	return strings.ToLower(method) + "_" + strings.Join(words, "_")
}
