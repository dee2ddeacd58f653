package features

import "embed"

// files holds the feature files: the contract, built into every binary
// that runs it.
//
//go:embed *.feature
var files embed.FS
