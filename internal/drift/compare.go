package drift

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The kinds of difference a report names.
const (
	KindStatus        = "status"
	KindError         = "error"
	KindShape         = "shape"
	KindCallbacks     = "callbacks"
	KindCallbackShape = "callback-shape"
	KindTiming        = "timing"
)

// shape is the fields of a JSON value: each place (a JSON pointer, "*"
// for any element of an array) with the types found there.
type shape map[string]string

// shapeOf is the shape of a decoded JSON value; text is a body that is
// no JSON, which has the shape "text" at the root.
func shapeOf(v any, text string) shape {
	s := shape{}
	if v == nil && text != "" {
		s[""] = "text"
		return s
	}
	if v == nil {
		return s
	}
	var walk func(p string, v any)
	walk = func(p string, v any) {
		s.add(p, typeOf(v))
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(p+"/"+k, x)
			}
		case []any:
			for _, x := range v {
				walk(p+"/*", x)
			}
		}
	}
	walk("", v)
	return s
}

func (s shape) add(p, t string) {
	if old, ok := s[p]; ok {
		if !slices.Contains(strings.Split(old, "|"), t) {
			ts := append(strings.Split(old, "|"), t)
			slices.Sort(ts)
			s[p] = strings.Join(ts, "|")
		}
		return
	}
	s[p] = t
}

func typeOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	}
	return "null"
}

// an is a type with its article, for a report: "a string", "an object".
func an(t string) string {
	if t == "" {
		return "none"
	}
	if strings.ContainsRune("aeiou", rune(t[0])) {
		return "an " + t
	}
	return "a " + t
}

// diffShapes lists the places where the recorded shape and tssim's
// differ: fields one sends and the other does not, and types. A place
// inside an array that is empty on either side is not compared: nothing
// says what its elements would hold.
func diffShapes(rec, got shape) []string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(union(rec, got))) {
		r, g := rec[p], got[p]
		if r == g || !comparable(p, rec) || !comparable(p, got) {
			continue
		}
		// Only the outermost difference is named: the fields of a field
		// one side lacks, or sends with another type, are not.
		if q, ok := parent(p); ok && rec[q] != got[q] {
			continue
		}
		where := p
		if where == "" {
			where = "the body"
		}
		out = append(out, fmt.Sprintf("%s: ThingSpace sent %s, tssim %s", where, an(r), an(g)))
	}
	return out
}

func union(a, b shape) shape {
	u := maps.Clone(a)
	maps.Copy(u, b)
	return u
}

// comparable reports whether every array around p has elements in s.
func comparable(p string, s shape) bool {
	for i := strings.Index(p, "/*"); i >= 0; {
		if _, ok := s[p[:i+2]]; !ok {
			return false
		}
		j := strings.Index(p[i+2:], "/*")
		if j < 0 {
			break
		}
		i += 2 + j
	}
	return true
}

// parent is the place that holds p ("" for the root's fields).
func parent(p string) (string, bool) {
	i := strings.LastIndex(p, "/")
	if i < 0 {
		return "", false
	}
	return p[:i], true
}

// errorFields are where ThingSpace's error forms carry their code and
// message: the M2M form, OAuth's, and the API gateway's fault.
var errorFields = [][]string{{"errorCode"}, {"errorMessage"}, {"error"}, {"error_description"}, {"fault", "code"}, {"fault", "message"}, {"fault", "description"}}

// errorDiffs lists the error fields whose values differ; normalize turns
// tssim's random values back into the recording's.
func errorDiffs(rec, got any, normalize func(string) string) []string {
	var out []string
	for _, path := range errorFields {
		r, rok := at(rec, path)
		g, gok := at(got, path)
		if !rok && !gok {
			continue
		}
		if rok && gok && r == normalize(g) {
			continue
		}
		out = append(out, fmt.Sprintf("%s: ThingSpace %s, tssim %s", strings.Join(path, "."), quoted(r, rok), quoted(normalize(g), gok)))
	}
	return out
}

func quoted(s string, ok bool) string {
	if !ok {
		return "none"
	}
	return fmt.Sprintf("%q", s)
}

// at is the string at a path of object fields.
func at(v any, path []string) (string, bool) {
	for _, k := range path {
		v = field(v, k)
	}
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

// item is what a callback says that must match: its service, status, the
// SM-SR's status and code, the fault code, which send it is, and when it
// came after its request.
type item struct {
	service, status, euicc, code, fault string
	count                               string
	after                               time.Duration
}

func itemOf(c *callback, after time.Duration) item {
	str := func(v any) string {
		switch v := v.(type) {
		case string:
			return v
		case json.Number:
			return v.String()
		}
		return ""
	}
	dr := field(c.body, "deviceResponse")
	return item{service: c.service, status: str(field(c.body, "status")), euicc: str(find(dr, "euiccStatus")),
		code: str(find(dr, "euiccStatusCode")), fault: str(field(field(c.body, "faultResponse"), "faultcode")),
		count: str(field(c.body, "callbackCount")), after: after}
}

// key is what must match, time aside.
func (i item) key() string {
	return i.service + "|" + i.status + "|" + i.euicc + "|" + i.code + "|" + i.fault + "|" + i.count
}

// String is the item as a report shows it.
func (i item) String() string {
	var b strings.Builder
	b.WriteString(i.service + " " + i.status)
	for _, v := range []string{i.euicc, i.code} {
		if v != "" {
			b.WriteString(" " + v)
		}
	}
	if i.fault != "" {
		b.WriteString(" fault " + i.fault)
	}
	fmt.Fprintf(&b, ", callbackCount %s, at +%s", i.count, i.after)
	return b.String()
}

func itemStrings(items []item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.String()
	}
	return out
}
