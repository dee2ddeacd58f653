package validate

import "github.com/tssim/tssim/internal/wire"

// scanAction reads into out a profile action body written plainly: an object of
// devices, accountName and smsrOid, each once; each device an object of
// deviceIds only; each identifier an object of kind and id only; every
// string without an escape and of printable ASCII. It reports false for
// anything else (another member or type, a duplicate, an escape, a byte
// past the value), which the JSON decoder and the schema then judge.
// BENCHMARKS.md has what it saves against go-json-experiment/json.
func scanAction(body []byte, out *wire.ActionRequest) bool {
	s := scanner{b: body}
	var account, oid, devices bool
	ok := s.object(func(key []byte) bool {
		switch string(key) {
		case "devices":
			return once(&devices, func() bool { return s.devices(out) })
		case "accountName":
			return once(&account, func() bool { return s.str(&out.AccountName) })
		case "smsrOid":
			return once(&oid, func() bool { return s.str(&out.SMSROID) })
		}
		return false
	})
	s.space()
	return ok && account && oid && devices && s.i == len(s.b)
}

// scanner reads JSON from b, at i.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips white space and takes c, or reports false.
func (s *scanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// raw reads a string without escapes, of printable ASCII, and returns its
// bytes (the body's own).
func (s *scanner) raw() ([]byte, bool) {
	if !s.next('"') {
		return nil, false
	}
	from := s.i
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[from : s.i-1], true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// str reads a string as raw does into dst, as a string of its own.
func (s *scanner) str(dst *string) bool {
	b, ok := s.raw()
	*dst = string(b)
	return ok
}

// once reads a member with read unless it was given before, notes it
// given, and reports whether it was read well: a duplicate is refused
// without being read.
func once(given *bool, read func() bool) bool {
	if *given {
		return false
	}
	*given = true
	return read()
}

// object reads an object, calling member with each key once the scanner
// stands at its value; member reads the value.
func (s *scanner) object(member func(key []byte) bool) bool {
	return s.list('{', '}', func() bool {
		key, ok := s.raw()
		return ok && s.next(':') && member(key)
	})
}

// array reads an array, calling item at each value.
func (s *scanner) array(item func() bool) bool { return s.list('[', ']', item) }

// list reads what open and end enclose, items separated by commas.
func (s *scanner) list(open, end byte, item func() bool) bool {
	if !s.next(open) {
		return false
	}
	for first := true; ; first = false {
		if s.next(end) {
			return true
		}
		if !first && !s.next(',') {
			return false
		}
		if !item() {
			return false
		}
	}
}

// devices reads the devices array into out.
func (s *scanner) devices(out *wire.ActionRequest) bool {
	return s.array(func() bool {
		var ids []wire.DeviceID
		seen := false
		ok := s.object(func(key []byte) bool {
			if string(key) != "deviceIds" || seen {
				return false
			}
			seen = true
			ids = make([]wire.DeviceID, 0, 2)
			return s.array(func() bool {
				id, ok := s.deviceID()
				ids = append(ids, id)
				return ok
			})
		})
		if !ok || !seen {
			return false
		}
		out.Devices = append(out.Devices, struct {
			DeviceIDs []wire.DeviceID `json:"deviceIds"`
		}{ids})
		return true
	})
}

// deviceID reads one identifier: kind and id, each once.
func (s *scanner) deviceID() (wire.DeviceID, bool) {
	var id wire.DeviceID
	var kind, value bool
	ok := s.object(func(key []byte) bool {
		switch string(key) {
		case "kind":
			return once(&kind, func() bool {
				b, read := s.raw()
				// The kinds the fast path takes, without a string made for
				// each.
				switch string(b) {
				case "eid":
					id.Kind = "eid"
				case "iccid":
					id.Kind = "iccid"
				default:
					id.Kind = string(b)
				}
				return read
			})
		case "id":
			return once(&value, func() bool { return s.str(&id.ID) })
		}
		return false
	})
	return id, ok && kind && value
}
