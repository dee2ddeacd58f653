// Package validate turns bytes into valid, typed values: request bodies
// (checked against schemas/ and ThingSpace's character rules, with a fast
// path for the plainly valid profile action), fixture files and scenario
// files. Every problem is a *tserr.Error naming the offending field.
package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tssim/tssim/internal/jsonptr"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
	"github.com/tssim/tssim/schemas"
)

// Validator validates against the schemas of schemas/. Each schema is
// compiled on its first use, once for the process: they are embedded, so
// every Validator shares them, and a program that starts many (tests, the
// worlds of one server) compiles each schema once. Compile compiles some
// ahead of use.
type Validator struct {
	set *schemaSet
}

// schemaSet is the schemas of schemas.FS, compiled as they are needed.
type schemaSet struct {
	// mu serialises the compiler, which is not safe for concurrent use;
	// compiler is made by the first compilation.
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	// compiled holds every schema Validate knows, by name: a file, or
	// "control.json#NAME" for a definition of control.json. The map is not
	// changed after it is made; each entry compiles once.
	compiled map[string]*lazySchema
	// raw holds each file parsed, for the keywords Validate reads beside
	// the compiled schema (x-errorCode, x-message, description).
	raw map[string]func() any
}

// lazySchema is one schema, compiled by the first caller of get.
type lazySchema struct {
	ref  string
	once sync.Once
	s    *jsonschema.Schema
	err  error
}

// loadSchemas makes the process's schemaSet, on first use.
var loadSchemas = sync.OnceValues(newSchemaSet)

// newSchemaSet lists the schemas of schemas.FS without compiling any:
// cheap enough for a program's start.
func newSchemaSet() (*schemaSet, error) {
	names, err := fs.Glob(schemas.FS, "*.json")
	if err != nil {
		return nil, err
	}
	set := &schemaSet{compiled: map[string]*lazySchema{}, raw: map[string]func() any{}}
	for _, name := range names {
		set.compiled[name] = &lazySchema{ref: name}
		set.raw[name] = sync.OnceValue(func() any {
			var doc any
			b, _ := schemas.FS.ReadFile(name)
			_ = json.Unmarshal(b, &doc) // the schema compiled from it is valid JSON
			return doc
		})
	}
	var control struct {
		Defs map[string]json.RawMessage `json:"$defs"`
	}
	b, err := schemas.FS.ReadFile("control.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &control); err != nil {
		return nil, fmt.Errorf("schema control.json: %w", err)
	}
	for def := range control.Defs {
		set.compiled["control.json#"+def] = &lazySchema{ref: "control.json#/$defs/" + def}
	}
	return set, nil
}

// NewValidator returns a validator of the schemas in schemas.FS. It
// compiles none of them: each compiles on its first use.
func NewValidator() (*Validator, error) {
	set, err := loadSchemas()
	if err != nil {
		return nil, err
	}
	return &Validator{set: set}, nil
}

// Compile compiles the named schemas not compiled yet, and returns the
// first error. A server calls it as it starts, with the schemas of its
// routes, so that requests seldom wait for a compilation.
func (v *Validator) Compile(names ...string) error {
	for _, name := range names {
		if _, err := v.set.get(name); err != nil {
			return err
		}
	}
	return nil
}

// get returns the compiled schema of name, compiling it first if no one
// has; a caller that comes during the compilation waits for it.
func (set *schemaSet) get(name string) (*jsonschema.Schema, error) {
	l, ok := set.compiled[name]
	if !ok {
		panic("simulator: no schema " + name)
	}
	l.once.Do(func() {
		set.mu.Lock()
		defer set.mu.Unlock()
		if set.compiler == nil {
			set.compiler = schemas.Compiler()
		}
		if l.s, l.err = set.compiler.Compile(l.ref); l.err != nil {
			l.err = fmt.Errorf("schema %s: %w", l.ref, l.err)
		}
	})
	return l.s, l.err
}

// parse reads body as JSON (numbers kept exact) for validation.
func parse(body []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value at offset %d", d.InputOffset())
	}
	return doc, nil
}

// Decode decides on a request body as the API does (see Check) and
// decodes it into dst. A profile action's body, the most common by far,
// goes through a fast path first: a check that recognises the plainly
// valid bodies much faster than the schema engine, and gives the very error
// the schema path gives for one whose only fault it knows; anything else
// goes through the schema, where every violation is found and named.
// TestFastPathAgreesWithSchema and FuzzFastPath hold the fast path to that.
func (v *Validator) Decode(schema string, body []byte, dst any) error {
	if a, ok := dst.(*wire.ActionRequest); ok && schema == "profile-action.json" {
		err := fastProfileAction(body, a)
		if !errors.Is(err, errNotPlain) {
			return err
		}
		*a = wire.ActionRequest{}
	}
	if err := v.Check(schema, body); err != nil {
		return err
	}
	// The body the schema judged is the body the handler gets: keys match
	// as spelt (a key in another case is not the schema's key, and is
	// ignored as any other unknown key), and a key given twice is refused,
	// where encoding/json would take the last of either.
	if err := jsonv2.Unmarshal(body, dst, jsontext.AllowInvalidUTF8(true)); err != nil {
		var se *jsontext.SyntacticError
		if errors.As(err, &se) && errors.Is(err, jsontext.ErrDuplicateName) {
			return violationsError([]tserr.Violation{{Pointer: string(se.JSONPointer), Message: "the key is given twice", Code: tserr.CodeUnexpected}})
		}
		return tserr.BadRequest(tserr.CodeUnexpected, "body: %s", err)
	}
	return nil
}

// Check decides on a request body as the API does: it must be JSON, free
// of the characters ThingSpace refuses, and valid against the named schema.
func (v *Validator) Check(schema string, body []byte) error {
	doc, err := parse(body)
	if err != nil {
		return tserr.BadRequest(tserr.CodeUnexpected, "the request body is not valid JSON: %s", err)
	}
	if ptr, bad := invalidCharacter(doc, ""); bad {
		return tserr.BadRequest(tserr.CodeInvalidCharacter, "%s: apostrophes, '<' and backslashes are not allowed", ptr)
	}
	if vs := v.Validate(schema, doc); len(vs) > 0 {
		return violationsError(vs)
	}
	return nil
}

// violationsError is the answer to a body with violations: the first one
// speaks for all.
func violationsError(vs []tserr.Violation) *tserr.Error {
	return &tserr.Error{Status: 400, Kind: tserr.KindAPI, Code: vs[0].Code, Message: vs[0].String(), Violations: vs}
}

// Validate checks doc against the named schema and returns every violation,
// ordered by where it stands in the document, except that the first one
// carrying a specific error code comes first: it is the one reported.
func (v *Validator) Validate(schema string, doc any) []tserr.Violation {
	s, err := v.set.get(schema)
	if err != nil {
		// The schemas are embedded: TestSchemasCompile compiles each.
		panic(err)
	}
	err = s.Validate(doc)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []tserr.Violation{{Message: err.Error(), Code: tserr.CodeUnexpected}}
	}
	var out []tserr.Violation
	v.collect(ve, doc, &out)
	slices.SortStableFunc(out, func(a, b tserr.Violation) int { return strings.Compare(a.Pointer, b.Pointer) })
	out = slices.Compact(out)
	if i := slices.IndexFunc(out, func(v tserr.Violation) bool { return v.Code != tserr.CodeUnexpected }); i > 0 {
		first := out[i]
		copy(out[1:i+1], out[:i])
		out[0] = first
	}
	return out
}

func (v *Validator) collect(ve *jsonschema.ValidationError, doc any, out *[]tserr.Violation) {
	file, kwPtr, _ := strings.Cut(ve.AbsoluteKeywordLocation, "#")
	file = file[strings.LastIndex(file, "/")+1:]
	var schemaDoc any
	if raw, ok := v.set.raw[file]; ok {
		schemaDoc = raw()
	}
	cut := strings.LastIndex(kwPtr, "/")
	keyword, parent := kwPtr[cut+1:], kwPtr[:max(cut, 0)]
	// A schema node with "x-message" speaks for itself: what failed below it
	// (such as each item a "contains" tried) is noise.
	if msg, ok := jsonptr.Lookup(schemaDoc, parent+"/x-message").(string); ok {
		*out = append(*out, tserr.Violation{Pointer: ve.InstanceLocation, Message: msg, Code: errorCodeAt(schemaDoc, parent)})
		return
	}
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			v.collect(c, doc, out)
		}
		return
	}
	if keyword == "required" {
		// Name each missing property, with its own code and description.
		parent := jsonptr.Lookup(schemaDoc, strings.TrimSuffix(kwPtr, "/required"))
		obj, _ := jsonptr.Lookup(doc, ve.InstanceLocation).(map[string]any)
		req, _ := jsonptr.Lookup(parent, "/required").([]any)
		for _, r := range req {
			name, _ := r.(string)
			if _, present := obj[name]; present {
				continue
			}
			propPtr := strings.TrimSuffix(kwPtr, "/required") + "/properties/" + name
			msg := "is required"
			if d, ok := jsonptr.Lookup(schemaDoc, propPtr+"/description").(string); ok {
				msg += " (" + d + ")"
			}
			*out = append(*out, tserr.Violation{
				Pointer: ve.InstanceLocation + "/" + jsonptr.Escape(name),
				Message: msg,
				Code:    errorCodeAt(schemaDoc, propPtr),
			})
		}
		return
	}
	*out = append(*out, tserr.Violation{
		Pointer: ve.InstanceLocation,
		Message: ve.Message,
		Code:    errorCodeAt(schemaDoc, kwPtr),
	})
}

// errorCodeAt finds the nearest "x-errorCode" at or above the schema node at
// ptr.
func errorCodeAt(schemaDoc any, ptr string) string {
	for {
		if code, ok := jsonptr.Lookup(schemaDoc, ptr+"/x-errorCode").(string); ok {
			return code
		}
		i := strings.LastIndex(ptr, "/")
		if i < 0 {
			return tserr.CodeUnexpected
		}
		ptr = ptr[:i]
	}
}

// invalidCharacter reports the pointer of the first string in doc holding a
// character ThingSpace refuses (an apostrophe, '<' or a backslash).
func invalidCharacter(doc any, ptr string) (string, bool) {
	switch n := doc.(type) {
	case string:
		return ptr, strings.ContainsAny(n, `'<\`)
	case map[string]any:
		keys := make([]string, 0, len(n))
		for k := range n {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if p, bad := invalidCharacter(n[k], ptr+"/"+jsonptr.Escape(k)); bad {
				return p, true
			}
		}
	case []any:
		for i, e := range n {
			if p, bad := invalidCharacter(e, ptr+"/"+strconv.Itoa(i)); bad {
				return p, true
			}
		}
	}
	return "", false
}
