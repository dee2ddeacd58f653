// Package schemas embeds the JSON Schemas (draft 2020-12) that tssim
// validates requests, fixtures and scenario files against.
//
// A schema node may carry "x-errorCode": the ThingSpace error code reported
// when a value at or below that node breaks the schema. Where none applies,
// UnifiedWebService.REQUEST_FAILED.UnexpectedError is used.
package schemas

import "embed"

// FS holds every *.json file of this folder.
//
//go:embed *.json
var FS embed.FS
