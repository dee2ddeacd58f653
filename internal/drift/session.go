// Package drift replays a recording of ThingSpace (internal/record)
// against tssim, in a world of its own made from the devices the recording
// shows, on a manual clock moved as the recorded callbacks were spaced,
// and reports where tssim answers or calls back otherwise: `tssim drift`.
// It also turns a recording into tssim's own terms, fixtures and
// scenarios: `tssim fixtures --from`. A run holds the whole recording in
// memory, and the callbacks tssim sends during the replay: both grow with
// the recording, a file of bounded size.
package drift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tssim/tssim/internal/record"
	"github.com/tssim/tssim/internal/thingspace"
)

// session is a recording read with the catalogue: each exchange with its
// operation, each callback with the request and the device it tells of.
type session struct {
	rec       *record.Recording
	exchanges []*exchange
	callbacks []*callback
	// byRequestID finds the exchange that started the work of a
	// requestId.
	byRequestID map[string]*exchange
	devices     *deviceIndex
	catalogue   *record.Catalogue
}

// exchange is a recorded call.
type exchange struct {
	e      *record.Entry
	op     *thingspace.Operation
	vars   map[string]string
	offset time.Duration
	// body and answer are the request's and the answer's JSON bodies,
	// decoded (nil for none).
	body, answer any
}

// name says which request an exchange is, for a report: "#12 POST
// /api/m2m/v1/devices/profile/actions/enable (enable)".
func (x *exchange) name() string {
	op := "no operation"
	if x.op != nil {
		op = x.op.Name
	}
	return fmt.Sprintf("#%d %s %s (%s)", x.e.Seq, x.e.Request.Method, x.e.Request.Path, op)
}

// ok reports whether the upstream accepted the call.
func (x *exchange) ok() bool { return x.e.Response != nil && x.e.Response.Status/100 == 2 }

// callback is a recorded callback, or one tssim sent in the replay.
type callback struct {
	seq     int
	service string
	offset  time.Duration
	body    any
	// ack is the status the client answered with (0: none).
	ack int
	// request is the exchange whose requestId the callback carries (nil
	// when none does); device the EID it tells of (or the identifier it
	// names, "" for none).
	request *exchange
	device  string
}

// analyse reads a recording with the catalogue.
func analyse(rec *record.Recording) *session {
	cat := record.NewCatalogue()
	s := &session{rec: rec, byRequestID: map[string]*exchange{}, devices: newDeviceIndex(), catalogue: cat}
	for i := range rec.Entries {
		e := &rec.Entries[i]
		switch e.Type {
		case record.TypeExchange:
			if e.Response == nil {
				continue // the upstream never answered it: nothing to compare
			}
			x := &exchange{e: e, offset: rec.Offset(e), body: decode(e.Request.Body), answer: decode(e.Response.Body)}
			x.op, x.vars = cat.Of(e)
			s.exchanges = append(s.exchanges, x)
			s.devices.learn(x.body)
			s.devices.learn(x.answer)
			// The request that started the work a requestId names: an
			// operation that reports to a callback service (a request's
			// status answers with the requestId too).
			if id, ok := field(x.answer, "requestId").(string); ok && id != "" && x.op != nil && x.op.Service() != "" && s.byRequestID[id] == nil {
				s.byRequestID[id] = x
			}
		case record.TypeCallback:
			body := decode(e.Request.Body)
			s.devices.learn(body)
			c := &callback{seq: e.Seq, service: e.Service, offset: rec.Offset(e), body: body}
			if e.Ack != nil {
				c.ack = e.Ack.Status
			}
			s.callbacks = append(s.callbacks, c)
		}
	}
	for _, c := range s.callbacks {
		c.request = s.byRequestID[requestID(c.body)]
		c.device = s.devices.subject(c.body)
	}
	return s
}

// decode decodes a recorded JSON body, numbers kept exact; nil for none.
func decode(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil
	}
	return v
}

// field is the value of a top-level field of a JSON object, nil if none.
func field(v any, name string) any {
	m, _ := v.(map[string]any)
	return m[name]
}

func requestID(body any) string {
	id, _ := field(body, "requestId").(string)
	return id
}

// find returns the first value of a field of that name, depth first in
// the order of the keys; nil when there is none.
func find(v any, name string) any {
	switch v := v.(type) {
	case map[string]any:
		if x, ok := v[name]; ok {
			return x
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if x := find(v[k], name); x != nil {
				return x
			}
		}
	case []any:
		for _, x := range v {
			if x := find(x, name); x != nil {
				return x
			}
		}
	}
	return nil
}

// deviceIndex knows which identifiers name one device: the identifiers of
// one list ({kind, id} objects side by side, as deviceIds and
// deviceIdentifierCollection hold them) are one device's, and so are two
// lists that share one.
type deviceIndex struct {
	// parent is a union-find over "kind:id" keys.
	parent map[string]string
	// order is every key, in the order first seen.
	order []string
	// eids is the EID of each root, made when first asked for and
	// dropped when the index learns more.
	eids map[string]string
}

func newDeviceIndex() *deviceIndex { return &deviceIndex{parent: map[string]string{}} }

func idKey(kind, id string) string { return strings.ToLower(kind) + ":" + id }

func (x *deviceIndex) root(k string) string {
	for x.parent[k] != k {
		x.parent[k] = x.parent[x.parent[k]]
		k = x.parent[k]
	}
	return k
}

func (x *deviceIndex) add(k string) {
	if _, ok := x.parent[k]; !ok {
		x.parent[k] = k
		x.order = append(x.order, k)
	}
}

func (x *deviceIndex) union(a, b string) {
	ra, rb := x.root(a), x.root(b)
	if ra != rb {
		x.parent[rb] = ra
	}
}

// learn takes in every list of identifiers of a JSON body.
func (x *deviceIndex) learn(v any) {
	x.eids = nil
	for _, ids := range identifierLists(v) {
		for i, id := range ids {
			k := idKey(id.kind, id.id)
			x.add(k)
			if i > 0 {
				x.union(idKey(ids[0].kind, ids[0].id), k)
			}
		}
	}
}

// eid returns the EID of the device an identifier names, "" if unknown.
func (x *deviceIndex) eid(kind, id string) string {
	k := idKey(kind, id)
	if _, ok := x.parent[k]; !ok {
		return ""
	}
	if x.eids == nil {
		x.eids = map[string]string{}
		for _, o := range x.order {
			if e, ok := strings.CutPrefix(o, "eid:"); ok {
				if r := x.root(o); x.eids[r] == "" {
					x.eids[r] = e
				}
			}
		}
	}
	return x.eids[x.root(k)]
}

// subject is the device a callback tells of: the EID of the first device
// it names, else the first identifier it names as kind:id, "" for a
// callback of no device (the v2 device list's).
func (x *deviceIndex) subject(body any) string {
	ids, _ := field(body, "deviceIds").([]any)
	lists := [][]ident{toIdents(ids)}
	if len(lists[0]) == 0 {
		lists = identifierLists(field(body, "deviceResponse"))
	}
	for _, l := range lists {
		for _, id := range l {
			if e := x.eid(id.kind, id.id); e != "" {
				return e
			}
		}
		if len(l) > 0 {
			return idKey(l[0].kind, l[0].id)
		}
	}
	return ""
}

// ident is one {kind, id}.
type ident struct{ kind, id string }

// identifierLists returns the lists of identifiers a JSON value holds, in
// document order (objects' keys sorted).
func identifierLists(v any) [][]ident {
	var out [][]ident
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if id, ok := asIdent(v); ok {
				out = append(out, []ident{id})
				return
			}
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(v[k])
			}
		case []any:
			if ids := toIdents(v); len(ids) > 0 {
				out = append(out, ids)
				return
			}
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// toIdents returns a list's identifiers when every element is one.
func toIdents(v []any) []ident {
	var ids []ident
	for _, x := range v {
		m, _ := x.(map[string]any)
		id, ok := asIdent(m)
		if !ok {
			return nil
		}
		ids = append(ids, id)
	}
	return ids
}

// asIdent reads a {kind, id} object.
func asIdent(m map[string]any) (ident, bool) {
	if len(m) != 2 {
		return ident{}, false
	}
	k, ok1 := m["kind"].(string)
	id, ok2 := m["id"].(string)
	if !ok1 || !ok2 || k == "" || id == "" {
		return ident{}, false
	}
	return ident{k, id}, true
}
