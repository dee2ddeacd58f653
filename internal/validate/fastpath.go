package validate

import (
	"errors"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
)

// errNotPlain leaves a document to the schema.
var errNotPlain = errors.New("not a plain document")

// fastProfileAction decides on a profile action body that plainly
// satisfies schemas/profile-action.json, much faster than the schema
// engine: each device named by exactly one eid and one iccid, every string
// of printable ASCII without the characters ThingSpace refuses. It decodes
// such a body into out, or gives for one whose only fault it knows (too
// many devices) the very error the schema path gives, or errNotPlain for
// anything else (out then holds what it read so far), which the schema
// then judges, naming every violation. TestFastPathAgreesWithSchema and
// FuzzFastPath hold it to that.
func fastProfileAction(body []byte, out *wire.ActionRequest) error {
	if !scanAction(body, out) {
		return errNotPlain
	}
	switch {
	case !plain(out.AccountName) || len(out.AccountName) == 0 || len(out.AccountName) > 64,
		len(out.SMSROID) > 128 || !isOID(out.SMSROID),
		len(out.Devices) == 0:
		return errNotPlain
	}
	for _, d := range out.Devices {
		if !plainDeviceIDs(d.DeviceIDs) {
			return errNotPlain
		}
	}
	if len(out.Devices) > domain.MaxDevices {
		return violationsError([]tserr.Violation{{Pointer: "/devices", Message: tooManyDevices, Code: tserr.CodeMaxRequests}})
	}
	return nil
}

// tooManyDevices is the x-message of maxItems in
// schemas/profile-action.json.
const tooManyDevices = "more than 10,000 devices in one request"

// plainDeviceIDs reports one valid eid and one valid iccid, in either
// order.
func plainDeviceIDs(ids []wire.DeviceID) bool {
	if len(ids) != 2 || ids[0].Kind == ids[1].Kind {
		return false
	}
	for _, id := range ids {
		switch {
		case id.Kind == "eid" && digits(id.ID, 30, 32):
		case id.Kind == "iccid" && digits(id.ID, 19, 20):
		default:
			return false
		}
	}
	return true
}

// plain reports a string of printable ASCII without the characters
// ThingSpace refuses in a value (apostrophe, <, backslash).
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' || c == '\'' || c == '<' {
			return false
		}
	}
	return true
}

func digits(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isOID matches ^[0-9]+(\.[0-9]+)+$.
func isOID(s string) bool {
	parts := 0
	run := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			run++
		case c == '.' && run > 0:
			parts++
			run = 0
		default:
			return false
		}
	}
	return parts >= 1 && run > 0
}
