package simulator

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
// refuses: each device named by exactly one eid and one iccid, every key
// spelt as the schema spells it and given once, no other key.
func fastProfileAction(body []byte) (*ActionRequest, bool) {
	p := plainJSON{src: string(body)}
	out := &ActionRequest{}
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
						DeviceIDs []DeviceID `json:"deviceIds"`
					}{ids})
				}
				return ok && len(out.Devices) <= MaxDevices
			})
		}
		return false
	})
	if !ok || !p.end() || !haveAccount || !haveOID || len(out.Devices) == 0 {
		return nil, false
	}
	return out, true
}

// deviceIDs reads {"deviceIds":[{"kind":..,"id":..},{"kind":..,"id":..}]}
// with one valid eid and one valid iccid, in either order.
func (p *plainJSON) deviceIDs() ([]DeviceID, bool) {
	var ids []DeviceID
	seen := false
	ok := p.object(func(key string) bool {
		if key != "deviceIds" || seen {
			return false
		}
		seen = true
		ids = make([]DeviceID, 0, 2)
		return p.array(func() bool {
			var id DeviceID
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
