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
	"io"
	"net/url"
	"path"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// FS holds every *.json file of this folder.
//
//go:embed *.json
var FS embed.FS

// Compiler returns a draft 2020-12 compiler that holds every schema of this
// folder, by file name, so that references between them resolve. It reads
// a file when a schema it compiles first refers to it, rather than all of
// them up front.
func Compiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.LoadURL = load
	return c
}

// load opens the file of this folder a schema's URL names. The compiler
// makes a file name absolute as a file URL in the working directory, and a
// reference between the files resolves to a URL of the same folder; any
// other URL is not one of the schemas.
func load(s string) (io.ReadCloser, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "file" {
		return nil, fmt.Errorf("schema %s: not one of tssim's schemas", s)
	}
	f, err := FS.Open(path.Base(u.Path))
	if err != nil {
		return nil, fmt.Errorf("schema %s: not one of tssim's schemas", s)
	}
	return f, nil
}

// Compile compiles one schema of this folder: "callback.json", or a part of
// one such as "control.json#/$defs/scenario".
func Compile(ref string) (*jsonschema.Schema, error) {
	s, err := Compiler().Compile(ref)
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
