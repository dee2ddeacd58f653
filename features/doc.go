// Package features is tssim's contract: Gherkin feature files and the godog
// steps that run them against a client, with Run as the one entry point
// shared by `tssim contract` and `go test ./features`.
//
// The client under test is the Go reference client in process, or any
// client behind the adapter protocol (ADAPTER.md here): a command speaking
// JSON lines on stdin and stdout, or a server taking the same JSON over
// HTTP. The simulator is one in process on a manual clock, or a running
// tssim started with --clock manual.
package features
