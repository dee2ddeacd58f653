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
	"maps"
	"slices"
	"strconv"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tssim/tssim/internal/jsonptr"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
	"github.com/tssim/tssim/schemas"
)

// Validator holds every schema of schemas/, compiled once.
type Validator struct {
	compiled map[string]*jsonschema.Schema
	raw      map[string]any
}

// NewValidator compiles every schema in schemas.FS.
func NewValidator() (*Validator, error) {
	c, err := schemas.Compiler()
	if err != nil {
		return nil, err
	}
	v := &Validator{compiled: map[string]*jsonschema.Schema{}, raw: map[string]any{}}
	names, err := fs.Glob(schemas.FS, "*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := schemas.FS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		v.raw[name] = doc
	}
	for _, name := range names {
		s, err := c.Compile(name)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		v.compiled[name] = s
	}
	defs, _ := v.raw["control.json"].(map[string]any)["$defs"].(map[string]any)
	for _, def := range slices.Sorted(maps.Keys(defs)) {
		s, err := c.Compile("control.json#/$defs/" + def)
		if err != nil {
			return nil, fmt.Errorf("schema control.json#/$defs/%s: %w", def, err)
		}
		v.compiled["control.json#"+def] = s
	}
	return v, nil
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
		r, err := fastProfileAction(body)
		if !errors.Is(err, errNotPlain) {
			if err == nil {
				*a = *r
			}
			return err
		}
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
	s, ok := v.compiled[schema]
	if !ok {
		panic("simulator: no schema " + schema)
	}
	err := s.Validate(doc)
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
	schemaDoc := v.raw[file]
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
