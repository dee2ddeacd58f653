// Package features holds tssim's contract: Gherkin feature files and the
// godog steps that run them, against an in-process simulator or a running
// one (TSSIM_URL), with the Go reference client or any client speaking the
// adapter protocol (TSSIM_ADAPTER). See README.md and ADAPTER.md here.
package features
