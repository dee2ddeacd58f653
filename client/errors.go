package client

import (
	"fmt"
	"time"
)

// Error is a failure ThingSpace answered with. Code is the ThingSpace
// errorCode ("UnifiedWebService.REQUEST_FAILED.SessionToken.Expired"), the
// gateway fault code ("900901") for a 401, or the OAuth error
// ("invalid_client") for the token endpoints.
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
	return fmt.Sprintf("thingspace: %d %s: %s", e.StatusCode, e.Code, e.Message)
}

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
