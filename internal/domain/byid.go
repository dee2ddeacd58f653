package domain

import "iter"

// The world's own devices by their identifiers other than the EID. A
// request may name a device by IMEI, MDN or the ICCID of a profile on it
// (the line actions do); the fixtures' devices have an index of their own,
// built once, and the world's own are found in one kept here, where each
// lookup went through every device the world had changed.

// The kinds of identifier a device is named by.
const (
	kindEID   byte = 'e'
	kindIMEI  byte = 'i'
	kindMDN   byte = 'm'
	kindICCID byte = 'c'
)

// kindOf is the kind a request's word for it names (lower case; an MSISDN
// is the MDN), or 0.
func kindOf(word string) byte {
	switch word {
	case "eid":
		return kindEID
	case "imei":
		return kindIMEI
	case "mdn", "msisdn":
		return kindMDN
	case "iccid":
		return kindICCID
	}
	return 0
}

// idKey is an identifier other than the EID, sharing the string it was
// made from.
type idKey struct {
	kind byte
	id   string
}

// keyOf is the key of an identifier of that kind, or false for one that
// names no device but by EID.
func keyOf(kind, id string) (idKey, bool) {
	k := kindOf(kind)
	if id == "" || k == 0 || k == kindEID {
		return idKey{}, false
	}
	return idKey{k, id}, true
}

// idKeys are the keys of the device's identifiers other than its EID.
func (d *Device) idKeys() iter.Seq[idKey] {
	return func(yield func(idKey) bool) {
		if d.IMEI != "" && !yield(idKey{kindIMEI, d.IMEI}) {
			return
		}
		if d.MDN != "" && !yield(idKey{kindMDN, d.MDN}) {
			return
		}
		for _, p := range d.Profiles {
			if !yield(idKey{kindICCID, p.ICCID}) {
				return
			}
		}
	}
}

// hasKey reports whether d carries the identifier.
func (d *Device) hasKey(k idKey) bool {
	switch k.kind {
	case kindIMEI:
		return d.IMEI == k.id
	case kindMDN:
		return d.MDN == k.id
	case kindICCID:
		return d.profile(k.id) >= 0
	}
	return false
}

// has reports whether d carries the identifier of that kind.
func (d *Device) has(kind, id string) bool {
	k, ok := keyOf(kind, id)
	return ok && d.hasKey(k)
}

// idIndex is the world's own devices by idKey, one device a key. It is
// made at the first lookup, so that a world whose requests name devices by
// EID pays nothing for it, and kept from then on: a device about to
// change, be put or be restored leaves it, and comes back at the next
// lookup as it is then. Past maxStale such devices it is dropped, and made
// again at the next lookup.
type idIndex struct {
	eids  map[idKey]string
	stale map[string]bool
	// shared is set once an identifier was found on two of the devices:
	// the index keeps one, and a key it misses may still be the other's.
	shared bool
}

// maxStale is how many devices may wait to be indexed again, at least:
// past it and past half the world's own devices, the index is dropped.
const maxStale = 1024

// deviceBy returns the device that an identifier other than the EID names,
// or nil: the world's own devices first, then the fixtures' that the
// world has not changed; s.mu is held.
func (s *Sim) deviceBy(kind, id string) *Device {
	k, ok := keyOf(kind, id)
	if !ok {
		return nil
	}
	if d := s.ownDeviceBy(k); d != nil {
		return d
	}
	if d := s.fixtures.deviceBy(k); d != nil && s.devices[d.EID] == nil {
		return d
	}
	if s.ids.shared || s.fixtures.sharedIDs {
		return s.scanBy(k)
	}
	return nil
}

// touch notes that the world's device eid is about to change, or to be
// put or restored; s.mu is held.
func (s *Sim) touch(eid string) {
	x := s.ids
	if x == nil {
		return
	}
	if d := s.devices[eid]; d != nil {
		for k := range d.idKeys() {
			if x.eids[k] == eid {
				delete(x.eids, k)
			}
		}
	}
	x.stale[eid] = true
	if len(x.stale) > maxStale && len(x.stale) > len(s.devices)/2 {
		s.ids = nil
	}
}

// ownDeviceBy returns the world's own device with that identifier, or nil;
// s.mu is held.
func (s *Sim) ownDeviceBy(k idKey) *Device {
	x := s.ids
	if x == nil {
		x = &idIndex{eids: map[idKey]string{}, stale: map[string]bool{}}
		s.ids = x
		for eid, d := range s.devices {
			x.add(eid, d)
		}
	} else {
		for eid := range x.stale {
			if d := s.devices[eid]; d != nil {
				x.add(eid, d)
			}
		}
		clear(x.stale)
	}
	eid, ok := x.eids[k]
	if !ok {
		return nil
	}
	if d := s.devices[eid]; d != nil && d.hasKey(k) {
		return d
	}
	// A device changed without being touched first: the index no longer
	// says where that identifier is.
	delete(x.eids, k)
	x.shared = true
	return nil
}

func (x *idIndex) add(eid string, d *Device) {
	for k := range d.idKeys() {
		if other, ok := x.eids[k]; ok && other != eid {
			x.shared = true
		}
		x.eids[k] = eid
	}
}

// scanBy finds the device with that identifier by going through every
// device, the world's own first; s.mu is held.
func (s *Sim) scanBy(k idKey) *Device {
	for _, d := range s.devices {
		if d.hasKey(k) {
			return d
		}
	}
	for _, d := range s.fixtures.Devices {
		if s.devices[d.EID] == nil && d.hasKey(k) {
			return d
		}
	}
	return nil
}
