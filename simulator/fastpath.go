package simulator

import (
	"bytes"
	"encoding/json"
)

// fastValid holds, per schema, a check that recognises the common valid
// document much faster than the schema engine, and returns it decoded. It
// must never accept what the schema refuses (TestFastPathAgreesWithSchema
// and FuzzFastPath hold it to that); what it does not accept goes through the
// schema as usual, which finds and names every violation.
var fastValid = map[string]func(body []byte) (any, bool){
	"profile-action.json": func(body []byte) (any, bool) {
		r, ok := fastProfileAction(body)
		return r, ok
	},
}

// fastProfileAction accepts a profile action body that plainly satisfies
// schemas/profile-action.json and holds none of the characters ThingSpace
// refuses.
func fastProfileAction(body []byte) (*ActionRequest, bool) {
	// Without a quote, '<' or backslash in the raw body, no decoded string
	// can hold one (a backslash would be needed to escape it).
	if bytes.ContainsAny(body, `'<\`) || !onlyKeys(body, profileActionKeys) {
		return nil, false
	}
	var req struct {
		Devices []struct {
			DeviceIDs []struct {
				Kind *string `json:"kind"`
				ID   *string `json:"id"`
			} `json:"deviceIds"`
		} `json:"devices"`
		AccountName *string `json:"accountName"`
		SMSROID     *string `json:"smsrOid"`
	}
	if json.Unmarshal(body, &req) != nil || !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")) {
		return nil, false
	}
	if req.AccountName == nil || len(*req.AccountName) == 0 || len(*req.AccountName) > 64 || !runesOnly(*req.AccountName) ||
		req.SMSROID == nil || len(*req.SMSROID) > 128 || !isOID(*req.SMSROID) ||
		len(req.Devices) == 0 || len(req.Devices) > MaxDevices {
		return nil, false
	}
	for _, d := range req.Devices {
		if d.DeviceIDs == nil || len(d.DeviceIDs) != 2 {
			return nil, false
		}
		eids, iccids := 0, 0
		for _, id := range d.DeviceIDs {
			if id.Kind == nil || id.ID == nil {
				return nil, false
			}
			switch *id.Kind {
			case "eid":
				eids++
				if !digits(*id.ID, 30, 32) {
					return nil, false
				}
			case "iccid":
				iccids++
				if !digits(*id.ID, 19, 20) {
					return nil, false
				}
			default:
				return nil, false
			}
		}
		if eids != 1 || iccids != 1 {
			return nil, false
		}
	}
	out := &ActionRequest{AccountName: *req.AccountName, SMSROID: *req.SMSROID}
	out.Devices = make([]struct {
		DeviceIDs []DeviceID `json:"deviceIds"`
	}, len(req.Devices))
	for i, d := range req.Devices {
		out.Devices[i].DeviceIDs = []DeviceID{{*d.DeviceIDs[0].Kind, *d.DeviceIDs[0].ID}, {*d.DeviceIDs[1].Kind, *d.DeviceIDs[1].ID}}
	}
	return out, true
}

// profileActionKeys are the object keys fastProfileAction understands.
var profileActionKeys = map[string]bool{"devices": true, "deviceIds": true, "kind": true, "id": true, "accountName": true, "smsrOid": true}

// onlyKeys reports whether every object key in body is one of keys, spelt
// exactly: encoding/json matches keys regardless of case, the schema does
// not. body holds no backslash, so a string ends at the next quote.
func onlyKeys(body []byte, keys map[string]bool) bool {
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		end := bytes.IndexByte(body[i+1:], '"')
		if end < 0 {
			return false
		}
		str := body[i+1 : i+1+end]
		i += end + 1
		j := i + 1
		for j < len(body) && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r') {
			j++
		}
		if j < len(body) && body[j] == ':' && !keys[string(str)] {
			return false
		}
	}
	return true
}

// runesOnly reports whether s is plain ASCII, so that its length in bytes is
// its length in characters, as the schema counts it.
func runesOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
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
