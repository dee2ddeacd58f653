package client

import (
	"fmt"
	"strconv"
	"time"
)

// Error is a failure ThingSpace answered with. Code is the ThingSpace
// errorCode ("UnifiedWebService.REQUEST_FAILED.SessionToken.Expired"), the
// gateway fault code ("900901") for a 401, or the OAuth error
// ("invalid_client") for the token endpoints. The Global IoT family (its
// profile actions, the v2 device list and request status) writes the HTTP
// status as its errorCode: Code is then "400", "404"..., as StatusForm
// reports, and Message is all that tells one refusal from another.
type Error struct {
	StatusCode int
	Code       string
	Message    string
	// Fault is set when the API gateway refused the call (401 on the
	// access token): it holds the fault code, as Code does.
	Fault string
	// RetryAfter is what a 429 or 503 asked to wait (Retry-After), or 0.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.StatusForm() {
		return fmt.Sprintf("thingspace: %d: %s", e.StatusCode, e.Message)
	}
	return fmt.Sprintf("thingspace: %d %s: %s", e.StatusCode, e.Code, e.Message)
}

// StatusForm reports whether the errorCode is the HTTP status, as the
// Global IoT family writes it.
func (e *Error) StatusForm() bool { return e.Code == strconv.Itoa(e.StatusCode) }

// Error codes a client may want to act on.
const (
	CodeSessionExpired     = "UnifiedWebService.REQUEST_FAILED.SessionToken.Expired"
	CodeSessionInvalid     = "UnifiedWebService.INPUT_INVALID.SessionToken.Invalid"
	CodeDeviceNotFound     = "UnifiedWebService.REQUEST_FAILED.DeviceNotFound"
	CodeAccountNotFound    = "UnifiedWebService.REQUEST_FAILED.AccountNotFound"
	CodeDeviceStateInvalid = "UnifiedWebService.INPUT_INVALID.DeviceState.Invalid"
	FaultInvalidToken      = "900901"
	FaultMissingToken      = "900902"
)
