// Package features is tssim's contract: Gherkin feature files and the godog
// steps that run them against a client, with Run as the one entry point
// shared by `tssim contract` and `go test ./features`.
//
// The client under test is the Go reference client in process, or any
// client behind the adapter protocol (ADAPTER.md here): a command speaking
// JSON lines on stdin and stdout, or a server taking the same JSON over
// HTTP, each message held to its JSON Schema (adapter-schemas/). Beyond
// the base protocol, an adapter declares the capabilities its client has
// (retry-after, status, carrier), and only their scenarios grade it. The
// simulator is one in process on a manual clock, or a running tssim
// started with --clock manual.
package features
