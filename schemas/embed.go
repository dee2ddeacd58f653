// Package schemas embeds the JSON Schemas (draft 2020-12) of what tssim
// takes (requests, fixtures, scenario files) and of what it sends
// (callback.json, error.json).
//
// A schema node may carry "x-errorCode": the ThingSpace error code reported
// when a value at or below that node breaks the schema. Where none applies,
// UnifiedWebService.REQUEST_FAILED.UnexpectedError is used.
package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// FS holds every *.json file of this folder.
//
//go:embed *.json
var FS embed.FS

// Compiler returns a draft 2020-12 compiler that holds every schema of this
// folder, by file name, so that references between them resolve.
func Compiler() (*jsonschema.Compiler, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	names, err := fs.Glob(FS, "*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := FS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if err := c.AddResource(name, bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
	}
	return c, nil
}

// Compile compiles one schema of this folder: "callback.json", or a part of
// one such as "control.json#/$defs/scenario".
func Compile(ref string) (*jsonschema.Schema, error) {
	c, err := Compiler()
	if err != nil {
		return nil, err
	}
	s, err := c.Compile(ref)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", ref, err)
	}
	return s, nil
}

// Check decodes a JSON body (numbers kept exact) and validates it against
// s. Its error names the first problem's place as a JSON pointer.
func Check(s *jsonschema.Schema, body []byte) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	err := s.Validate(doc)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		for len(ve.Causes) > 0 {
			ve = ve.Causes[0]
		}
		return fmt.Errorf("%s: %s", ve.InstanceLocation, ve.Message)
	}
	return err
}
