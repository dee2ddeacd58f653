package domain

import "iter"

// The world's own devices by their identifiers other than the EID. A
// request may name a device by IMEI, MDN or the ICCID of a profile on it
// (the line actions do); the fixtures' devices have an index of their own,
// built once, and the world's own are looked up here, where each lookup
// went through every device the world had changed.

// idKey is how an identifier other than the EID is indexed: "imei:…",
// "mdn:…" (an MSISDN is the MDN) or "iccid:…".
func idKey(kind, id string) string {
	if kind == "msisdn" {
		kind = "mdn"
	}
	return kind + ":" + id
}

// idKeys are the keys of the device's identifiers other than its EID.
func (d *Device) idKeys() iter.Seq[string] {
	return func(yield func(string) bool) {
		if d.IMEI != "" && !yield(idKey("imei", d.IMEI)) {
			return
		}
		if d.MDN != "" && !yield(idKey("mdn", d.MDN)) {
			return
		}
		for _, p := range d.Profiles {
			if !yield(idKey("iccid", p.ICCID)) {
				return
			}
		}
	}
}

// idIndex is the world's own devices by idKey. It is made at the first
// lookup, so that a world whose requests name devices by EID pays nothing
// for it, and kept from then on: a device handed out to be changed, put
// or restored is indexed again before the next lookup.
type idIndex struct {
	eids  map[string]string
	keys  map[string][]string
	stale map[string]bool
}

// touch notes that the world's device eid may have changed; s.mu is held.
func (s *Sim) touch(eid string) {
	if s.ids != nil {
		s.ids.stale[eid] = true
	}
}

// ownDeviceBy returns the world's own device with that identifier (an
// idKey), or nil; s.mu is held.
func (s *Sim) ownDeviceBy(key string) *Device {
	if s.ids == nil {
		s.ids = &idIndex{eids: map[string]string{}, keys: map[string][]string{}, stale: map[string]bool{}}
		for eid := range s.devices {
			s.ids.stale[eid] = true
		}
	}
	for eid := range s.ids.stale {
		s.ids.index(eid, s.devices[eid])
	}
	clear(s.ids.stale)
	return s.devices[s.ids.eids[key]]
}

// index puts the keys of d, the device eid (nil when the world has none),
// in place of those it had.
func (x *idIndex) index(eid string, d *Device) {
	for _, k := range x.keys[eid] {
		if x.eids[k] == eid {
			delete(x.eids, k)
		}
	}
	delete(x.keys, eid)
	if d == nil {
		return
	}
	var keys []string
	for k := range d.idKeys() {
		x.eids[k] = eid
		keys = append(keys, k)
	}
	x.keys[eid] = keys
}
