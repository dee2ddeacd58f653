// Package scenarios embeds the built-in scenario files: each is a timed
// script of what the SM-SR answers for one device (see schemas/scenario.json).
package scenarios

import "embed"

// FS holds every built-in *.json scenario.
//
//go:embed *.json
var FS embed.FS
