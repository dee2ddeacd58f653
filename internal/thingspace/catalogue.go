// Package thingspace is the catalogue of the ThingSpace operations tssim
// serves: each is declared once, in the file of its family (oauth.go,
// session.go, callbacks.go, profile.go, lifecycle.go, status.go,
// devices.go, gio.go), with its method and path, the JSON Schema of its
// body, the credentials it needs, the name fault rules match it by, its
// handler, and, for an operation that acts on devices, the domain.Kind
// that says what it changes and how its callback reads. The router, the
// fault routes, the control API's lists, the dashboard and the API
// document all come from here; adding an operation is one more file.
package thingspace

import (
	"cmp"
	"net/http"
	"slices"
	"sync"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/wire"
)

// Access says which credentials an operation needs.
type Access int

const (
	// Open needs none (or what the handler checks itself, as OAuth's
	// Basic credentials).
	Open Access = iota
	// Bearer needs an OAuth access token.
	Bearer
	// Session needs an access token and a VZ-M2M session token.
	Session
)

// Operation is one ThingSpace operation.
type Operation struct {
	// Name is unique; fault rules match the operation by it unless Fault
	// names a group (the two OAuth endpoints are both "token").
	Name  string
	Fault string
	// Method and Path, as gorilla/mux patterns. Operations may share
	// them: Claims then tells their bodies apart.
	Method, Path string
	// Schema names the JSON Schema (in schemas/) the body must satisfy;
	// "" for an operation without a JSON body.
	Schema string
	Access Access
	// Kind, for an operation that acts on devices asynchronously, is what
	// it does to each; its Service is where the callbacks go.
	Kind *domain.Kind
	// Reports names the callback service of an operation that sends its
	// callbacks itself, without a Kind (the v2 device list).
	Reports string
	// StatusErrors writes the operation's errors as the Global IoT and
	// eSIM APIs do: the HTTP status as errorCode (tserr.KindStatus); the
	// gateway's faults (credentials) keep their own form.
	StatusErrors bool
	// Summary is a line for the API document and the dashboard.
	Summary string
	// Claims, when set, reports whether a body sent to a path this
	// operation shares with others is this one's; of the operations on a
	// path, those with Claims are asked in the order of the catalogue and
	// the one without takes the rest.
	Claims func(body []byte) bool
	// Handle serves the operation.
	Handle func(*Call) (any, error)
}

// FaultName is the name fault rules match the operation by.
func (o *Operation) FaultName() string { return cmp.Or(o.Fault, o.Name) }

// Service is the callback service the operation reports to, "" for none.
func (o *Operation) Service() string {
	if o.Kind == nil {
		return o.Reports
	}
	return o.Kind.Service
}

// Call is what a handler gets: the request, its body, who makes it and the
// world it is for. The handler fills Note with what the journal should say,
// and Callbacks with what delivery sends once the answer is out.
type Call struct {
	R         *http.Request
	Vars      map[string]string
	Body      []byte
	Principal *domain.Principal
	Sim       *domain.Sim
	// Decoder and Schema validate and decode the body (Decode).
	Decoder   Decoder
	Schema    string
	Note      Note
	Callbacks []wire.Callback
}

// Decoder validates a body against a JSON Schema of schemas/ and decodes
// it (internal/validate's Validator).
type Decoder interface {
	Decode(schema string, body []byte, dst any) error
}

// Decode validates the body against the operation's schema and decodes it
// into dst.
func (c *Call) Decode(dst any) error { return c.Decoder.Decode(c.Schema, c.Body, dst) }

// Note is what a request's journal record says beyond its method, path
// and answer.
type Note struct {
	RequestID   string
	Scenario    string
	EIDs        []string
	EIDsOmitted int
}

// Empty is a result written as a 200 with no body.
type Empty struct{}

// WithBody makes the handler of an operation with a schema: the body,
// valid against it, decoded into a T.
func WithBody[T any](h func(*Call, *T) (any, error)) func(*Call) (any, error) {
	return func(c *Call) (any, error) {
		var in T
		if err := c.Decode(&in); err != nil {
			return nil, err
		}
		return h(c, &in)
	}
}

var (
	mu        sync.Mutex
	catalogue []*Operation
)

// Register adds operations to the catalogue; the families' files call it
// from init. It panics on a name given twice: the catalogue is code.
func Register(ops ...*Operation) {
	mu.Lock()
	defer mu.Unlock()
	for _, op := range ops {
		if slices.ContainsFunc(catalogue, func(o *Operation) bool { return o.Name == op.Name }) {
			panic("thingspace: operation " + op.Name + " is registered twice")
		}
		catalogue = append(catalogue, op)
	}
}

// All returns every operation: those that act on devices first (most of
// the traffic, and the router tries routes in order), each group in the
// order registered.
func All() []*Operation {
	mu.Lock()
	defer mu.Unlock()
	out := slices.Clone(catalogue)
	slices.SortStableFunc(out, func(a, b *Operation) int {
		return cmp.Compare(rank(a), rank(b))
	})
	return out
}

func rank(o *Operation) int {
	if o.Kind != nil {
		return 0
	}
	return 1
}

// Kinds returns the kinds of action of every operation, by name, for a
// state file's actions to find theirs.
func Kinds() map[string]*domain.Kind {
	out := map[string]*domain.Kind{}
	for _, o := range All() {
		if o.Kind != nil {
			out[o.Kind.Name] = o.Kind
		}
	}
	return out
}

// FaultNames returns the names fault rules may match, sorted, "*" (every
// operation) last.
func FaultNames() []string {
	var out []string
	for _, o := range All() {
		if n := o.FaultName(); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return append(out, "*")
}

// Route is the operations that share one method and path.
type Route struct {
	Method, Path string
	Ops          []*Operation
}

// Routes groups the catalogue by method and path, in the order of All.
func Routes() []Route {
	var out []Route
	for _, op := range All() {
		i := slices.IndexFunc(out, func(r Route) bool { return r.Method == op.Method && r.Path == op.Path })
		if i < 0 {
			out = append(out, Route{Method: op.Method, Path: op.Path})
			i = len(out) - 1
		}
		out[i].Ops = append(out[i].Ops, op)
	}
	return out
}

// Pick returns which of the operations of one route a body is: the first
// whose Claims takes it, else the one without Claims (nil for none).
func Pick(ops []*Operation, body []byte) *Operation {
	if len(ops) == 1 {
		return ops[0]
	}
	var rest *Operation
	for _, op := range ops {
		switch {
		case op.Claims == nil:
			rest = op
		case op.Claims(body):
			return op
		}
	}
	return rest
}
