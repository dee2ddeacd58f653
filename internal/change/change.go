// Package change is what a change of state is saved as: the current value
// of one record, named by its kind and id, or its removal. The domain and
// delivery track what they change and hand it over as a Set; internal/state
// writes a Set in one transaction, so that saving costs in proportion to
// what changed, not to the whole state.
package change

import "encoding/json"

// Record is one record as it now is; a nil Value removes it.
type Record struct {
	Kind  string
	ID    string
	Value []byte
}

// Set is the changes since the last Set taken.
type Set struct {
	// Reset forgets every record of the kinds the taker owns before
	// Records are applied.
	Reset   bool
	Records []Record
}

// Encode makes the record of v; v must encode (the domain's own types do).
func Encode(kind, id string, v any) Record {
	data, err := json.Marshal(v)
	if err != nil {
		panic("change: encoding a " + kind + ": " + err.Error())
	}
	return Record{Kind: kind, ID: id, Value: data}
}

// Removed is the removal of a record.
func Removed(kind, id string) Record { return Record{Kind: kind, ID: id} }

// Tracker remembers which records changed. The zero value tracks nothing:
// a world that is not saved pays nothing for it.
type Tracker struct {
	on     bool
	notify func()
	reset  bool
	dirty  map[key]struct{}
}

type key struct{ kind, id string }

// Track starts tracking; notify is called at every change (under the
// caller's lock: it must not block).
func (t *Tracker) Track(notify func()) {
	t.on, t.notify, t.dirty = true, notify, map[key]struct{}{}
}

// Mark notes that a record changed.
func (t *Tracker) Mark(kind, id string) {
	if !t.on {
		return
	}
	t.dirty[key{kind, id}] = struct{}{}
	t.notify()
}

// MarkReset notes that every record is gone; marks after it are kept.
func (t *Tracker) MarkReset() {
	if !t.on {
		return
	}
	t.reset = true
	clear(t.dirty)
	t.notify()
}

// Take returns what changed since the last Take, each record made by
// current (with ok false for a record that is gone), and starts afresh.
func (t *Tracker) Take(current func(kind, id string) (v any, ok bool)) Set {
	set := Set{Reset: t.reset, Records: make([]Record, 0, len(t.dirty))}
	for k := range t.dirty {
		if v, ok := current(k.kind, k.id); ok {
			set.Records = append(set.Records, Encode(k.kind, k.id, v))
		} else {
			set.Records = append(set.Records, Removed(k.kind, k.id))
		}
	}
	t.reset = false
	clear(t.dirty)
	return set
}
