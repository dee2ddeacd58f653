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
