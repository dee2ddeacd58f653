// Package bounded keeps the last entries of a journal, in bounded memory.
package bounded

// List keeps the last limit values appended (all of them when limit is 0).
// It may hold up to twice limit before the oldest are dropped, so that an
// append costs O(1) amortized even when the list is full.
type List[T any] struct {
	limit int
	s     []T
}

// New returns a list keeping the last limit values.
func New[T any](limit int) List[T] { return List[T]{limit: limit} }

// Append adds v, dropping the oldest values past the limit.
func (l *List[T]) Append(v T) {
	l.s = append(l.s, v)
	if l.limit > 0 && len(l.s) >= 2*l.limit {
		n := copy(l.s, l.s[len(l.s)-l.limit:])
		clear(l.s[n:])
		l.s = l.s[:n]
	}
}

// All returns the last limit values, oldest first. The slice is the list's
// own: copy what must outlive the caller's lock.
func (l *List[T]) All() []T {
	if l.limit > 0 && len(l.s) > l.limit {
		return l.s[len(l.s)-l.limit:]
	}
	return l.s
}

// Reset empties the list.
func (l *List[T]) Reset() { l.s = nil }
