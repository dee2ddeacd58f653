package validate

import (
	"errors"

	"github.com/tssim/tssim/internal/domain"
	"github.com/tssim/tssim/internal/tserr"
	"github.com/tssim/tssim/internal/wire"
)

// errNotPlain leaves a document to the schema.
var errNotPlain = errors.New("not a plain document")

// fastProfileAction reads a profile action body that plainly satisfies
// schemas/profile-action.json and holds none of the characters ThingSpace
// refuses: each device named by exactly one eid and one iccid, every key
// spelt as the schema spells it and given once, no other key. Such a body
// with more than domain.MaxDevices devices gets the schema's error.
func fastProfileAction(body []byte) (*wire.ActionRequest, error) {
	p := plainJSON{src: string(body)}
	out := &wire.ActionRequest{}
	var haveAccount, haveOID, haveDevices bool
	ok := p.object(func(key string) bool {
		switch key {
		case "accountName":
			return p.once(&out.AccountName, &haveAccount) && len(out.AccountName) > 0 && len(out.AccountName) <= 64
		case "smsrOid":
			return p.once(&out.SMSROID, &haveOID) && len(out.SMSROID) <= 128 && isOID(out.SMSROID)
		case "devices":
			if haveDevices {
				return false
			}
			haveDevices = true
			return p.array(func() bool {
				ids, ok := p.deviceIDs()
				if ok {
					out.Devices = append(out.Devices, struct {
						DeviceIDs []wire.DeviceID `json:"deviceIds"`
					}{ids})
				}
				return ok
			})
		}
		return false
	})
	switch {
	case !ok || !p.end() || !haveAccount || !haveOID || len(out.Devices) == 0:
		return nil, errNotPlain
	case len(out.Devices) > domain.MaxDevices:
		return nil, violationsError([]tserr.Violation{{Pointer: "/devices", Message: tooManyDevices, Code: tserr.CodeMaxRequests}})
	}
	return out, nil
}

// tooManyDevices is the x-message of maxItems in
// schemas/profile-action.json.
const tooManyDevices = "more than 10,000 devices in one request"

// deviceIDs reads {"deviceIds":[{"kind":..,"id":..},{"kind":..,"id":..}]}
// with one valid eid and one valid iccid, in either order.
func (p *plainJSON) deviceIDs() ([]wire.DeviceID, bool) {
	var ids []wire.DeviceID
	seen := false
	ok := p.object(func(key string) bool {
		if key != "deviceIds" || seen {
			return false
		}
		seen = true
		ids = make([]wire.DeviceID, 0, 2)
		return p.array(func() bool {
			var id wire.DeviceID
			var haveKind, haveID bool
			ok := p.object(func(key string) bool {
				switch key {
				case "kind":
					return p.once(&id.Kind, &haveKind)
				case "id":
					return p.once(&id.ID, &haveID)
				}
				return false
			})
			ids = append(ids, id)
			return ok && haveKind && haveID && len(ids) <= 2
		})
	})
	if !ok || len(ids) != 2 || ids[0].Kind == ids[1].Kind {
		return nil, false
	}
	for _, id := range ids {
		switch {
		case id.Kind == "eid" && digits(id.ID, 30, 32):
		case id.Kind == "iccid" && digits(id.ID, 19, 20):
		default:
			return nil, false
		}
	}
	return ids, true
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
