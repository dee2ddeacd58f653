package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/logline"
	"github.com/tssim/tssim/internal/tserr"
)

// access says which credentials a route needs.
type access int

const (
	accessOpen      access = iota // none (or checked by the handler, as OAuth's Basic)
	accessBearer                  // an OAuth access token
	accessSession                 // an access token and a VZ-M2M session token
	accessAdmin                   // the admin token, when one is set
	accessRootAdmin               // accessAdmin, at the default world's URL only
)

// control reports whether a route is of the control API.
func (a access) control() bool { return a == accessAdmin || a == accessRootAdmin }

// route is one line of the routing table.
type route struct {
	method string
	path   string
	access access
	// schema names the JSON Schema the body must satisfy; "" means the
	// route takes no JSON body. A route with a schema is made with
	// withBody, which hands its handler the body decoded.
	schema string
	// h handles the request in the world it is for.
	h func(*world, *call) (any, error)
	// fault names the route for the fault rules (routeAction: by its
	// {action}); "" takes no fault.
	fault string
}

// withBody makes the handler of a route with a schema: the body, valid
// against the route's schema, decoded into a T.
func withBody[T any](schema string, h func(*world, *call, *T) (any, error)) func(*world, *call) (any, error) {
	return func(s *world, c *call) (any, error) {
		var in T
		if err := s.host.validator.Decode(schema, c.body, &in); err != nil {
			return nil, err
		}
		return h(s, c, &in)
	}
}

// call is what a handler gets: the request, its body and who makes it.
// Handlers fill record with what the journal should say, and callbacks
// with what delivery sends once the answer is out.
type call struct {
	r         *http.Request
	vars      map[string]string
	body      []byte
	principal *domain.Principal
	record    *requestRecord
	callbacks delivery.Batch
	// nextPage, when not "", is the after= of a list's next page,
	// written as the NextPageHeader of the answer.
	nextPage string
}

// NextPageHeader carries the after= of the next page of a list
// (/_sim/requests, /_sim/callbacks, /_sim/devices) when there is one.
const NextPageHeader = "X-Tssim-Next-After"

// empty is a handler result written as a 200 with no body.
type empty struct{}

// routes builds the one mux of every world for a route table; every route,
// and every path or method that matches none, goes through serve.
func (h *Server) routes(routes []route) http.Handler {
	m := mux.NewRouter()
	for _, rt := range routes {
		m.Handle(rt.path, h.serve(rt)).Methods(rt.method)
	}
	m.NotFoundHandler = h.serve(route{h: func(_ *world, c *call) (any, error) {
		return nil, tserr.New(404, tserr.CodeNotFound, "%s %s: no such resource", c.r.Method, c.r.URL.Path)
	}})
	m.MethodNotAllowedHandler = h.serve(route{h: func(_ *world, c *call) (any, error) {
		return nil, tserr.New(405, tserr.CodeMethodNotAllowed, "%s is not allowed on %s", c.r.Method, c.r.URL.Path)
	}})
	return m
}

// serve adapts a route to HTTP: credentials, body limits and Content-Type
// are checked before the handler runs (and the body against its schema by
// withBody), then the fault asked for, if any (faults.go); the result or
// error is journalled, then written here and only here, and logged; the
// callbacks the handler produced go to delivery last, once the answer is
// out, as on ThingSpace.
func (h *Server) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s := worldOf(r)
		path := r.URL.Path
		if s != h.root {
			path = WorldPrefix + s.spec.Name + path
		}
		rec := requestRecord{Time: s.clock.Now(), Method: r.Method, Path: path}
		c := &call{r: r, vars: mux.Vars(r), record: &rec}
		// Released whatever happens next: held callbacks count as attempts
		// under way until then.
		defer func() { s.dispatcher.Release(c.callbacks) }()
		var v any
		err := s.prepare(rt, c, w)
		if err == nil && rt.fault != "" {
			var handled bool
			if handled, err = s.injectFault(rt, c, w); handled {
				logline.Write(h.log, slog.LevelInfo, "request",
					slog.String("method", r.Method), slog.String("path", path), slog.String("fault", rec.Fault))
				return
			}
		}
		if err == nil {
			v, err = rt.h(s, c)
		}
		if err == nil && h.keeper != nil {
			// Answered only once what it changed is on disk.
			err = h.keeper.Durable(r.Context())
		}
		var a answer
		if err != nil {
			a = errorAnswer(w, err, &rec)
		} else {
			if c.nextPage != "" {
				w.Header().Set(NextPageHeader, c.nextPage)
			}
			a = valueAnswer(w, v)
		}
		rec.Status = a.status
		// Journalled before the answer goes out: whoever has the answer
		// finds the request in /_sim/requests.
		s.requests.add(rec)
		a.write(w)
		if f, ok := w.(http.Flusher); ok && c.callbacks.Len() > 0 {
			f.Flush()
		}
		logline.Write(h.log, slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", path), slog.Int("status", rec.Status),
			slog.String("errorCode", rec.ErrorCode), slog.String("requestId", rec.RequestID), slog.String("fault", rec.Fault),
			slog.Float64("ms", float64(time.Since(start).Microseconds())/1000))
	})
}

// prepare runs every check that comes before the handler.
func (s *world) prepare(rt route, c *call, w http.ResponseWriter) error {
	r := c.r
	for _, h := range []string{"Authorization", "Vz-M2m-Token", "Content-Type", domain.ScenarioHeader} {
		if len(r.Header.Values(h)) > 1 {
			return tserr.BadRequest(tserr.CodeUnexpected, "header %s is given %d times: send it once", h, len(r.Header.Values(h)))
		}
	}
	switch rt.access {
	case accessAdmin, accessRootAdmin:
		if s.host.opts.AdminToken != "" && bearerToken(r) != s.host.opts.AdminToken {
			return tserr.New(401, tserr.CodeSimUnauthorized, "the control API needs 'Authorization: Bearer <admin token>'")
		}
		if rt.access == accessRootAdmin && s != s.host.root {
			return tserr.New(404, tserr.CodeNotFound, "%s is served at the root only, not under %s%s/", r.URL.Path, WorldPrefix, s.spec.Name)
		}
	case accessBearer, accessSession:
		if err := s.sim.CheckBearer(bearerToken(r)); err != nil {
			return err
		}
		if rt.access == accessSession {
			p, err := s.sim.Session(r.Header.Get("VZ-M2M-Token"))
			if err != nil {
				return err
			}
			c.principal = p
		}
	}
	if rt.schema == "" && rt.method != http.MethodPost {
		return nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.host.opts.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return tserr.New(413, tserr.CodeRequestTooLarge, "request body exceeds %d bytes", s.host.opts.MaxBodyBytes)
		}
		return tserr.BadRequest(tserr.CodeUnexpected, "request body could not be read: %s", err)
	}
	c.body = body
	if rt.schema == "" {
		return nil
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return tserr.BadRequest(tserr.CodeRequestUndefined, "the request body is empty")
	}
	// The control API reads JSON whatever the Content-Type says (curl -d
	// sends a form's); ThingSpace's paths keep ThingSpace's rule.
	if ct := r.Header.Get("Content-Type"); ct != "application/json" && !rt.access.control() {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return tserr.New(415, tserr.CodeUnsupportedMediaType, "Content-Type must be application/json, not %q", ct)
		}
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
}

func (a answer) write(w http.ResponseWriter) {
	w.WriteHeader(a.status)
	if a.body != nil {
		_, _ = w.Write(a.body)
	}
}

// valueAnswer is a handler's result as a 200.
func valueAnswer(w http.ResponseWriter, v any) answer {
	switch v := v.(type) {
	case empty:
		return answer{status: http.StatusOK}
	case htmlPage:
		return pageAnswer(w, v)
	}
	return jsonAnswer(w, http.StatusOK, v)
}

// errorAnswer is the one place an error becomes a status and a body, in
// the envelope its kind calls for; rec gets its code and violations.
func errorAnswer(w http.ResponseWriter, err error, rec *requestRecord) answer {
	var e *tserr.Error
	if !errors.As(err, &e) {
		e = tserr.New(500, tserr.CodeUnexpected, "internal error: %s", err)
	}
	rec.ErrorCode = e.Code
	rec.Violations = e.Violations
	if n := len(rec.Violations); n > maxJournalViolations {
		rec.Violations, rec.ViolationsOmitted = rec.Violations[:maxJournalViolations:maxJournalViolations], n-maxJournalViolations
	}
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
	}
	return jsonAnswer(w, e.Status, map[string]string{"errorCode": e.Code, "errorMessage": e.Message})
}

// jsonAnswer encodes v and sets the headers of a JSON answer.
func jsonAnswer(w http.ResponseWriter, status int, v any) answer {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = fmt.Appendf(nil, `{"errorCode":%q,"errorMessage":%q}`, tserr.CodeUnexpected, err.Error())
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	// With its length known the answer is sent whole when flushed early,
	// not chunked.
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	return answer{status: status, body: b}
}
