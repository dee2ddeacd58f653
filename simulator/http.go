package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/fault"
	"github.com/tssim/tssim/internal/logline"
	"github.com/tssim/tssim/internal/state"
	"github.com/tssim/tssim/internal/thingspace"
	"github.com/tssim/tssim/internal/tserr"
)

// The HTTP edge: one route per method and path, each request taken
// through the stages below in order (credentials, body, which operation,
// fault, handler, durability), then journalled, answered and logged in one
// place. ThingSpace's operations come from the catalogue
// (internal/thingspace); the control API's routes are in control.go.

// access says which credentials a route needs: the catalogue's, or the
// control API's admin token.
type access = thingspace.Access

const (
	accessOpen      = thingspace.Open
	accessAdmin     = thingspace.Session + 1 + iota // the admin token, when one is set
	accessRootAdmin                                 // accessAdmin, at the default world's URL only
)

// control reports whether a route is of the control API.
func control(a access) bool { return a == accessAdmin || a == accessRootAdmin }

// route is one method and path.
type route struct {
	method, path string
	access       access
	// name labels the route's requests in the metrics when no operation
	// does: METHOD /path.
	name string
	// ops are the ThingSpace operations on this method and path (the
	// first whose Claims takes the body, else the one without); a route
	// of the control API has none, and schema and h instead.
	ops    []*thingspace.Operation
	schema string
	h      func(*world, *call) (any, error)
}

// withBody makes the handler of a control route with a schema: the body,
// valid against it, decoded into a T.
func withBody[T any](h func(*world, *call, *T) (any, error)) func(*world, *call) (any, error) {
	return func(s *world, c *call) (any, error) {
		var in T
		if err := c.Decode(&in); err != nil {
			return nil, err
		}
		return h(s, c, &in)
	}
}

// call is one request on its way through the stages.
type call struct {
	thingspace.Call
	w     http.ResponseWriter
	world *world
	route *route
	// op is the operation served, once known (nil on the control API).
	op *thingspace.Operation
	// rec is the request's journal record.
	rec    requestRecord
	result any
	// batch holds the callbacks the handler produced until the answer is
	// out; handled says that a fault answered (or hung up) itself.
	batch   delivery.Batch
	handled bool
	// fault is the fault carried out on the request, if any, and
	// faultByRule says that a rule asked for it, not the header.
	fault       fault.Fault
	faultByRule bool
	// nextPage, when not "", is the after= of a list's next page,
	// written as the NextPageHeader of the answer.
	nextPage string
}

// NextPageHeader carries the after= of the next page of a list
// (/_sim/requests, /_sim/callbacks, /_sim/devices) when there is one.
const NextPageHeader = "X-Tssim-Next-After"

// stage is one concern of the edge: it returns an error to answer with,
// or sets c.handled when the request needs no answer of the edge's.
type stage func(*Server, *call) error

// stages run in this order on every request.
var stages = []stage{checkHeaders, checkAccess, readBody, pickOperation, checkJSON, injectFault, runHandler, awaitDurable}

// routes builds the one mux of every world for the catalogue and the
// control API; every route, and every path or method that matches none,
// goes through serve.
func (h *Server) routes() http.Handler {
	var table []*route
	for _, r := range thingspace.Routes() {
		table = append(table, &route{method: r.Method, path: r.Path, access: r.Ops[0].Access, ops: r.Ops})
	}
	table = append(table, h.controlRoutes()...)
	table = append(table, &route{method: http.MethodGet, path: "/metrics", access: accessRootAdmin, h: h.serveMetrics})
	m := mux.NewRouter()
	for _, rt := range table {
		rt.name = rt.method + " " + rt.path
		m.Handle(rt.path, h.serve(rt)).Methods(rt.method).Name(rt.name)
	}
	// A path without variables is looked up in a map, where the router
	// would pick the same route.
	h.exact = map[routeKey]*route{}
	for _, rt := range table {
		var match mux.RouteMatch
		r, err := http.NewRequest(rt.method, rt.path, nil)
		if err == nil && !strings.Contains(rt.path, "{") && m.Match(r, &match) && match.Route.GetName() == rt.name {
			h.exact[routeKey{rt.method, rt.path}] = rt
		}
	}
	m.NotFoundHandler = h.serve(&route{name: opUnmatched, h: notFound})
	m.MethodNotAllowedHandler = h.serve(&route{name: opUnmatched, h: func(_ *world, c *call) (any, error) {
		return nil, tserr.New(405, tserr.CodeMethodNotAllowed, "%s is not allowed on %s", c.R.Method, c.R.URL.Path)
	}})
	return m
}

// notFound answers a path that matches no route: under /api/ as
// ThingSpace's API gateway does, elsewhere (/_sim/) with a plain 404.
func notFound(_ *world, c *call) (any, error) {
	if strings.HasPrefix(c.R.URL.Path, "/api/") {
		return nil, &tserr.Error{Status: 400, Kind: tserr.KindFault, Code: tserr.FaultNoResource,
			Message:    "No matching resource found in the API for the given request",
			Violations: []tserr.Violation{{Message: fmt.Sprintf("Access failure for API: %s, version: unknown with key: none. Check the API documentation and add a proper REST resource path to the invocation URL", c.R.URL.Path)}}}
	}
	return nil, tserr.New(404, tserr.CodeNotFound, "%s %s: no such resource", c.R.Method, c.R.URL.Path)
}

// routeKey is a method and a path without variables: a request for one
// is served from a map lookup (Server.exact), not from the router, which
// tries its routes' regular expressions in turn.
type routeKey struct{ method, path string }

// serve is serveIn as the router's handler of rt, the world in the
// request's context.
func (h *Server) serve(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.serveIn(worldOf(r), rt, w, r)
	})
}

// serveIn takes a request through the stages, then journals it, answers
// and logs it; the callbacks the handler produced go to delivery last,
// once the answer is out, as on ThingSpace.
func (h *Server) serveIn(s *world, rt *route, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	path := ownPath(r, rt, r.URL.Path)
	if s != h.root {
		path = WorldPrefix + s.spec.Name + path
	}
	c := &call{Call: thingspace.Call{R: r, Vars: mux.Vars(r)}, w: w, world: s, route: rt,
		rec: requestRecord{Time: s.clock.Now(), Method: r.Method, Path: path}}
	// Released whatever happens next: held callbacks count as attempts
	// under way until then.
	defer func() { s.dispatcher.Release(c.batch) }()
	// Counted before the callbacks go out, and before an answer not
	// flushed yet does.
	defer h.observe(c, start)
	defer h.recoverPanic(c)
	var err error
	for _, st := range stages {
		if err = st(h, c); err != nil || c.handled {
			break
		}
	}
	if c.handled {
		h.logRequest(c, start)
		return
	}
	var a answer
	if err != nil {
		if c.op != nil && c.op.StatusErrors {
			err = tserr.InStatusForm(err)
		}
		a = errorAnswer(w, err, &c.rec)
	} else {
		if c.nextPage != "" {
			w.Header().Set(NextPageHeader, c.nextPage)
		}
		a = valueAnswer(w, c.result)
	}
	c.rec.Status = a.status
	// Journalled before the answer goes out: whoever has the answer
	// finds the request in /_sim/requests.
	s.requests.add(c.rec)
	a.write(w)
	if f, ok := w.(http.Flusher); ok && c.batch.Len() > 0 {
		f.Flush()
	}
	h.logRequest(c, start)
}

// recoverPanic turns a panic in one request into its 500, logged with the
// stack: a request that cannot be served fails alone. A dropped connection
// (http.ErrAbortHandler, as a fault hangs up) goes on up.
func (h *Server) recoverPanic(c *call) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
	h.log.Error("request failed: a bug in tssim", "method", c.R.Method, "path", cut(c.rec.Path, maxJournalText),
		"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	a := errorAnswer(c.w, tserr.New(500, tserr.CodeUnexpected, "internal error: tssim could not serve this request, and logged why"), &c.rec)
	c.rec.Status = a.status
	c.world.requests.add(c.rec)
	a.write(c.w)
}

func (h *Server) logRequest(c *call, start time.Time) {
	rec := &c.rec
	path := rec.Path
	if len(path) > maxJournalText {
		path = cut(path, maxJournalText)
	}
	logline.Write(h.log, slog.LevelInfo, "request",
		slog.String("method", rec.Method), slog.String("path", path), slog.Int("status", rec.Status),
		slog.String("errorCode", rec.ErrorCode), slog.String("requestId", rec.RequestID), slog.String("fault", rec.Fault),
		slog.Float64("ms", float64(time.Since(start).Microseconds())/1000))
}

// checkHeaders refuses a credential or a choice given twice.
func checkHeaders(_ *Server, c *call) error {
	for _, name := range []string{"Authorization", "Vz-M2m-Token", "Content-Type", domain.ScenarioHeader} {
		if n := len(c.R.Header.Values(name)); n > 1 {
			return tserr.BadRequest(tserr.CodeUnexpected, "header %s is given %d times: send it once", name, n)
		}
	}
	return nil
}

// checkAccess checks the credentials the route needs.
func checkAccess(h *Server, c *call) error {
	r, s := c.R, c.world
	switch c.route.access {
	case accessAdmin, accessRootAdmin:
		if err := sameSite(r); err != nil {
			return err
		}
		if h.opts.AdminToken != "" && bearerToken(r) != h.opts.AdminToken {
			return tserr.New(401, tserr.CodeSimUnauthorized, "the control API needs 'Authorization: Bearer <admin token>'")
		}
		if c.route.access == accessRootAdmin && s != h.root {
			return tserr.New(404, tserr.CodeNotFound, "%s is served at the root only, not under %s%s/", r.URL.Path, WorldPrefix, s.spec.Name)
		}
	case thingspace.Bearer, thingspace.Session:
		if err := s.sim.CheckBearer(bearerToken(r)); err != nil {
			return err
		}
		if c.route.access == thingspace.Session {
			p, err := s.sim.Session(r.Header.Get("Vz-M2m-Token"))
			if err != nil {
				return err
			}
			c.Principal = p
		}
	}
	return nil
}

// readBody reads the body of a POST, or of a route with a schema, within
// the size bound.
func readBody(h *Server, c *call) error {
	if c.route.method != http.MethodPost && c.route.schema == "" {
		return nil
	}
	tooLarge := func() error {
		return tserr.New(413, tserr.CodeRequestTooLarge, "request body exceeds %d bytes", h.opts.MaxBodyBytes)
	}
	var body []byte
	var err error
	switch n := c.R.ContentLength; {
	case n > h.opts.MaxBodyBytes:
		return tooLarge()
	case n >= 0 && n <= preallocBody:
		// Its length known and small, the body is read in one buffer of
		// that size; a larger one grows as it comes, so that a client
		// that declares megabytes and sends nothing holds nothing.
		body = make([]byte, n)
		_, err = io.ReadFull(c.R.Body, body)
	default:
		body, err = io.ReadAll(http.MaxBytesReader(c.w, c.R.Body, h.opts.MaxBodyBytes))
	}
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooLarge()
		}
		return tserr.BadRequest(tserr.CodeUnexpected, "request body could not be read: %s", err)
	}
	c.Body = body
	return nil
}

// preallocBody is the largest body read into a buffer made before it
// arrives.
const preallocBody = 64 << 10

// pickOperation finds which of the route's operations the request is, and
// so the JSON Schema of its body ("" for none).
func pickOperation(_ *Server, c *call) error {
	c.op = thingspace.Pick(c.route.ops, c.Body)
	c.Schema = c.route.schema
	if c.op != nil {
		c.Schema = c.op.Schema
	}
	return nil
}

// checkJSON refuses an empty body, or one not sent as JSON, where a
// schema is due.
func checkJSON(_ *Server, c *call) error {
	if c.Schema == "" {
		return nil
	}
	if len(bytes.TrimSpace(c.Body)) == 0 {
		return tserr.BadRequest(tserr.CodeRequestUndefined, "the request body is empty")
	}
	// The control API reads JSON whatever the Content-Type says (curl -d
	// sends a form's); ThingSpace's paths keep ThingSpace's rule.
	if ct := c.R.Header.Get("Content-Type"); ct != "application/json" && !control(c.route.access) {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return tserr.New(415, tserr.CodeUnsupportedMediaType, "Content-Type must be application/json, not %q", ct)
		}
	}
	return nil
}

// runHandler runs the handler in its world. A ThingSpace operation runs
// under the world's read lock, and the callbacks it produced are held for
// delivery under it too: a saved state never holds an accepted action
// without its callbacks.
func runHandler(h *Server, c *call) error {
	c.Decoder = h.validator
	s := c.world
	if c.op == nil {
		var err error
		c.result, err = c.route.h(s, c)
		return err
	}
	c.Sim = s.sim
	s.lock.RLock()
	defer s.lock.RUnlock()
	v, err := c.op.Handle(&c.Call)
	n := c.Note
	c.rec.RequestID, c.rec.Scenario, c.rec.EIDs, c.rec.EIDsOmitted = n.RequestID, n.Scenario, n.EIDs, n.EIDsOmitted
	if err != nil {
		return err
	}
	if len(c.Callbacks) > 0 {
		c.batch = s.dispatcher.Hold(c.Callbacks)
	}
	c.result = v
	return nil
}

// awaitDurable holds the answer until what the request changed is on disk:
// a request is answered 200 only once the commit that carried its changes
// succeeded. While commits fail, its changes are kept and retried; past
// Options.DurableWait it is answered 503, saying so.
func awaitDurable(h *Server, c *call) error {
	if h.keeper == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.R.Context(), h.opts.DurableWait)
	defer cancel()
	err := h.keeper.Durable(ctx)
	var notSaved *state.NotSavedError
	switch {
	case errors.As(err, &notSaved):
		return tserr.New(503, tserr.CodeSimNotSaved, "%s; its callbacks go out once it is saved", err)
	case errors.Is(err, context.DeadlineExceeded) && c.R.Context().Err() == nil:
		return tserr.New(503, tserr.CodeSimNotSaved, "the state file has not taken the change within %s (a slow disk): it is kept and will be saved; its callbacks go out once it is", h.opts.DurableWait)
	}
	return err
}

// sameSite refuses a request to the control API that a browser sent from
// another site: any page could otherwise reset a local tssim, move its
// clock or add fault rules with a no-cors request, since the control API
// reads JSON whatever the Content-Type. curl and the clients send neither
// header and pass; the dashboard's own requests are same-origin.
func sameSite(r *http.Request) error {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return tserr.New(403, tserr.CodeSimCrossSite, "the control API refuses requests a browser sends from another site (Sec-Fetch-Site: %s)", r.Header.Get("Sec-Fetch-Site"))
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	if u, err := url.Parse(origin); err != nil || u.Host != r.Host {
		return tserr.New(403, tserr.CodeSimCrossSite, "the control API refuses requests from another origin (Origin: %s, not this tssim's %s)", origin, r.Host)
	}
	return nil
}

func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// answer is a status and a body, its headers set, to write.
type answer struct {
	status int
	body   []byte
	// buf, when set, holds body and goes back to answerBufs once written.
	buf *answerBuf
}

func (a answer) write(w http.ResponseWriter) {
	w.WriteHeader(a.status)
	if a.body != nil {
		_, _ = w.Write(a.body)
	}
	if a.buf != nil && a.buf.b.Cap() <= maxKeptAnswer {
		answerBufs.Put(a.buf)
	}
}

// answerBuf is a buffer and the encoder writing JSON into it, kept from
// one answer to the next.
type answerBuf struct {
	b   bytes.Buffer
	enc *json.Encoder
}

var answerBufs = sync.Pool{New: func() any {
	ab := &answerBuf{}
	ab.enc = json.NewEncoder(&ab.b)
	return ab
}}

// maxKeptAnswer bounds the buffer an answer gives back: a page of 10,000
// devices is not kept for the next delete.
const maxKeptAnswer = 64 << 10

// valueAnswer is a handler's result as a 200.
func valueAnswer(w http.ResponseWriter, v any) answer {
	switch v := v.(type) {
	case thingspace.Empty:
		return answer{status: http.StatusOK}
	case htmlPage:
		return pageAnswer(w, v)
	}
	return jsonAnswer(w, http.StatusOK, v)
}

// errorAnswer is the one place an error becomes a status and a body, in
// the envelope its kind calls for; rec gets its code and violations (a
// copy of the first few, never the request's whole list).
func errorAnswer(w http.ResponseWriter, err error, rec *requestRecord) answer {
	var e *tserr.Error
	if !errors.As(err, &e) {
		e = tserr.New(500, tserr.CodeUnexpected, "internal error: %s", err)
	}
	rec.ErrorCode = e.Code
	rec.Violations = slices.Clone(e.Violations[:min(len(e.Violations), maxJournalViolations)])
	rec.ViolationsOmitted = len(e.Violations) - len(rec.Violations)
	switch e.Kind {
	case tserr.KindFault:
		desc := e.Message
		if len(e.Violations) > 0 {
			desc = e.Violations[0].Message
		}
		if e.Code == tserr.FaultInvalidCredentials || e.Code == tserr.FaultMissingCredentials {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ThingSpace"`)
		}
		return jsonAnswer(w, e.Status, map[string]any{"fault": map[string]string{"code": e.Code, "message": e.Message, "description": desc}})
	case tserr.KindOAuth:
		if e.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="ThingSpace"`)
		}
		return jsonAnswer(w, e.Status, map[string]string{"error": e.Code, "error_description": e.Message})
	case tserr.KindStatus:
		return jsonAnswer(w, e.Status, map[string]string{"errorCode": strconv.Itoa(e.Status), "errorMessage": e.Message})
	}
	return jsonAnswer(w, e.Status, map[string]string{"errorCode": e.Code, "errorMessage": e.Message})
}

// jsonContentType is the Content-Type of every JSON answer, one slice for
// all of them (a header set anew replaces it, never changes it).
var jsonContentType = []string{"application/json"}

// jsonAnswer encodes v and sets the headers of a JSON answer.
func jsonAnswer(w http.ResponseWriter, status int, v any) answer {
	ab := answerBufs.Get().(*answerBuf)
	ab.b.Reset()
	// As json.Marshal writes it, and a newline.
	if err := ab.enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		ab.b.Reset()
		fmt.Fprintf(&ab.b, `{"errorCode":%q,"errorMessage":%q}`+"\n", tserr.CodeUnexpected, err.Error())
	}
	b := ab.b.Bytes()
	w.Header()["Content-Type"] = jsonContentType
	// With its length known the answer is sent whole when flushed early,
	// not chunked.
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	return answer{status: status, body: b, buf: ab}
}
