package features

import "embed"

// files holds the feature files: the contract, built into every binary
// that runs it.
//
//go:embed *.feature
var files embed.FS

// protocolFiles holds the adapter protocol's JSON Schemas
// (adapter-schemas/), which the suite validates every adapter message
// against.
//
//go:embed adapter-schemas/*.json
var protocolFiles embed.FS
