package record

import (
	"net/http"
	"net/url"

	"github.com/gorilla/mux"
	"github.com/tssim/tssim/internal/thingspace"
)

// Catalogue tells which of the catalogue's operations a request is, as
// tssim's router does: by method and path, then, where operations share
// them, by their Claims on the body. A recorder and a replay name
// requests alike, and an operation added to the catalogue is known to both
// without a list of their own.
type Catalogue struct {
	router *mux.Router
	ops    map[*mux.Route][]*thingspace.Operation
	// listeners is the path of the listeners' registration.
	listeners string
}

// registrationSchema is the body of a listener's registration: the
// operation that takes it registers a listener, whatever its name.
const registrationSchema = "callback-registration.json"

// NewCatalogue builds the matcher of every operation of the catalogue.
func NewCatalogue() *Catalogue {
	c := &Catalogue{router: mux.NewRouter(), ops: map[*mux.Route][]*thingspace.Operation{}}
	for _, r := range thingspace.Routes() {
		c.ops[c.router.NewRoute().Path(r.Path).Methods(r.Method)] = r.Ops
		for _, op := range r.Ops {
			if op.Schema == registrationSchema {
				c.listeners = op.Path
			}
		}
	}
	return c
}

// The operations on callback listeners, which the recorder takes part
// in (it registers itself in the client's place), found by what they
// are rather than by name: the registration takes a
// callback-registration.json, the list is a GET of its path, the
// deregistration a DELETE naming a service.

// Registers reports whether op registers a callback listener.
func (c *Catalogue) Registers(op *thingspace.Operation) bool {
	return op != nil && op.Schema == registrationSchema
}

// ListsListeners reports whether op lists the callback listeners.
func (c *Catalogue) ListsListeners(op *thingspace.Operation) bool {
	return op != nil && op.Method == http.MethodGet && op.Path == c.listeners
}

// Deregisters reports whether op, with the variables of its path, removes
// a callback listener.
func (c *Catalogue) Deregisters(op *thingspace.Operation, vars map[string]string) bool {
	return op != nil && op.Method == http.MethodDelete && vars["serviceName"] != ""
}

// Find returns the operation of a request and the variables of its path
// ({accountName}…), or nil when no operation serves it.
func (c *Catalogue) Find(method, path string, body []byte) (*thingspace.Operation, map[string]string) {
	var m mux.RouteMatch
	if !c.router.Match(&http.Request{Method: method, URL: &url.URL{Path: path}}, &m) || m.Route == nil {
		return nil, nil
	}
	op := thingspace.Pick(c.ops[m.Route], body)
	if op == nil {
		return nil, nil
	}
	return op, m.Vars
}

// Of is the catalogue's operation of a recorded exchange and the
// variables of its path, nil for a path no operation serves.
func (c *Catalogue) Of(e *Entry) (*thingspace.Operation, map[string]string) {
	if e.Request == nil {
		return nil, nil
	}
	return c.Find(e.Request.Method, e.Request.Path, e.Request.Body)
}
