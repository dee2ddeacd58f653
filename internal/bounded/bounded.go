// Package bounded keeps the last entries of a journal, in bounded memory.
package bounded

import "slices"

// List keeps the last limit values appended (all of them when limit is 0),
// in a ring of limit values once it is full: an append costs O(1) and
// keeps no value past the limit alive.
type List[T any] struct {
	limit int
	s     []T
	// head is where the oldest value is, once the ring is full.
	head int
}

// New returns a list keeping the last limit values.
func New[T any](limit int) List[T] { return List[T]{limit: limit} }

// Append adds v, dropping the oldest value past the limit. The list
// grows as append would, but never past room for limit values.
func (l *List[T]) Append(v T) {
	if l.limit <= 0 || len(l.s) < l.limit {
		if l.limit > 0 && len(l.s) == cap(l.s) {
			grown := make([]T, len(l.s), min(l.limit, max(8, 2*len(l.s))))
			copy(grown, l.s)
			l.s = grown
		}
		l.s = append(l.s, v)
		return
	}
	l.s[l.head] = v
	l.head = (l.head + 1) % l.limit
}

// All returns the values, oldest first, putting the ring in order first
// (in place: the caller holds whatever guards the list from writers). The
// slice is the list's own: copy what must outlive the caller's lock.
func (l *List[T]) All() []T {
	if l.head != 0 {
		slices.Reverse(l.s[:l.head])
		slices.Reverse(l.s[l.head:])
		slices.Reverse(l.s)
		l.head = 0
	}
	return l.s
}

// Reset empties the list.
func (l *List[T]) Reset() { l.s, l.head = nil, 0 }
