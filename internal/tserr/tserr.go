// Package tserr is tssim's one error type: what failed, in ThingSpace's
// words (an HTTP status, one of ThingSpace's three error envelopes, and its
// code). The domain returns these; the HTTP edge writes them.
package tserr

import (
	"errors"
	"fmt"
)

// ThingSpace error codes the simulator answers with. Clients are told to code
// against these, never against the message.
const (
	CodeRequestUndefined   = "UnifiedWebService.INPUT_INVALID.RequestUndefined"
	CodeInvalidCharacter   = "UnifiedWebService.INPUT_INVALID.Request.InvalidCharacter"
	CodeAccountNotDefined  = "UnifiedWebService.INPUT_INVALID.Account.NotDefined"
	CodeAccountNotFound    = "UnifiedWebService.REQUEST_FAILED.AccountNotFound"
	CodeAccountName        = "UnifiedWebService.REQUEST_FAILED.AccountName"
	CodeDeviceKindInvalid  = "UnifiedWebService.INPUT_INVALID.Device.Kind.Invalid"
	CodeDeviceIDInvalid    = "UnifiedWebService.INPUT_INVALID.Device.Identifier.Invalid"
	CodeDeviceNotFound     = "UnifiedWebService.REQUEST_FAILED.DeviceNotFound"
	CodeDeviceStateInvalid = "UnifiedWebService.INPUT_INVALID.DeviceState.Invalid"
	CodeMaxRequests        = "UnifiedWebService.INPUT_INVALID.MaxRequestsExceeded"
	CodeUnexpected         = "UnifiedWebService.REQUEST_FAILED.UnexpectedError"

	CodeSessionFormat   = "UnifiedWebService.REQUEST_FAILED.SessionToken.Format"
	CodeSessionExpired  = "UnifiedWebService.REQUEST_FAILED.SessionToken.Expired"
	CodeSessionInvalid  = "UnifiedWebService.INPUT_INVALID.SessionToken.Invalid"
	CodePasswordInvalid = "UnifiedWebService.INPUT_INVALID.Password.Invalid"
	// CodeUserLocked is tssim's own: ThingSpace documents the lock, not its code.
	CodeUserLocked = "UnifiedWebService.REQUEST_FAILED.User.Locked"

	// Codes of tssim's own, for what ThingSpace documents no code for.
	CodeUnsupportedMediaType = "UnifiedWebService.INPUT_INVALID.Request.ContentType"
	CodeRequestTooLarge      = "UnifiedWebService.INPUT_INVALID.Request.TooLarge"
	CodeNotFound             = "UnifiedWebService.REQUEST_FAILED.ResourceNotFound"
	CodeMethodNotAllowed     = "UnifiedWebService.REQUEST_FAILED.MethodNotAllowed"
	CodeCallbackNotFound     = "UnifiedWebService.REQUEST_FAILED.Callback.NotFound"
	CodeSimUnknownScenario   = "Tssim.INPUT_INVALID.Scenario.Unknown"
	CodeSimBadFault          = "Tssim.INPUT_INVALID.Fault"
	CodeSimBadWorld          = "Tssim.INPUT_INVALID.World.Name"
	CodeSimWorldLimit        = "Tssim.REQUEST_FAILED.World.Limit"
	CodeSimWorldNotFound     = "Tssim.REQUEST_FAILED.World.NotFound"
	CodeSimFaultNotFound     = "Tssim.REQUEST_FAILED.Fault.NotFound"
	CodeSimFaultLimit        = "Tssim.REQUEST_FAILED.Fault.Limit"
	CodeSimNotManualClock    = "Tssim.REQUEST_FAILED.Clock.NotManual"
	CodeSimClockHorizon      = "Tssim.INPUT_INVALID.Clock.Horizon"
	CodeSimUnauthorized      = "Tssim.REQUEST_FAILED.AdminToken.Invalid"
	CodeSimCrossSite         = "Tssim.REQUEST_FAILED.CrossSite"
	CodeSimNotSaved          = "Tssim.REQUEST_FAILED.StateFile.NotSaved"
)

// Gateway fault codes, answered with 401 before a request reaches the API.
const (
	FaultInvalidCredentials = "900901"
	FaultMissingCredentials = "900902"
	// FaultNoResource is the gateway's 400 for a path no API serves.
	FaultNoResource = "900906"
)

// Kind says which of ThingSpace's envelopes an error is written in.
type Kind int

const (
	// KindAPI is {"errorCode","errorMessage"}, the M2M API's envelope.
	KindAPI Kind = iota
	// KindFault is the API gateway's {"fault":{"code","message","description"}}.
	KindFault
	// KindOAuth is RFC 6749's {"error","error_description"}.
	KindOAuth
	// KindStatus is the Global IoT and eSIM APIs' {"errorCode","errorMessage"}
	// with the HTTP status as errorCode ("400"); Code stays the specific
	// code, for the journal.
	KindStatus
)

// Error is what failed, in ThingSpace's words. Exactly one place, the HTTP
// edge's errorAnswer, turns it into a status and a body.
type Error struct {
	Status  int
	Kind    Kind
	Code    string
	Message string
	// Violations lists every schema problem when the error came from
	// validation; Message names the first.
	Violations []Violation
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// New returns an error in the M2M API's envelope.
func New(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Kind: KindAPI, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest returns a 400 in the M2M API's envelope.
func BadRequest(code, format string, args ...any) *Error {
	return New(400, code, format, args...)
}

// Violation is one way a document breaks its schema.
type Violation struct {
	// Pointer is the JSON pointer of the offending value ("" for the root).
	Pointer string `json:"pointer"`
	Message string `json:"message"`
	Code    string `json:"errorCode"`
}

func (v Violation) String() string {
	p := v.Pointer
	if p == "" {
		p = "/"
	}
	return p + ": " + v.Message
}

// InStatusForm returns err written in the Global IoT family's form (the
// HTTP status as errorCode), its code kept for the journal; an error of
// another form (the gateway's, OAuth's) stays as it is.
func InStatusForm(err error) error {
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindAPI {
		return err
	}
	out := *e
	out.Kind = KindStatus
	return &out
}
