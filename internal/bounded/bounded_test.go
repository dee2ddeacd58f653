package bounded

import (
	"slices"
	"testing"
)

func TestListKeepsTheLastValues(t *testing.T) {
	l := New[int](3)
	for i := range 10 {
		l.Append(i)
		if n := len(l.All()); n != min(i+1, 3) {
			t.Fatalf("after %d appends, %d values", i+1, n)
		}
	}
	if got := l.All(); !slices.Equal(got, []int{7, 8, 9}) {
		t.Errorf("got %v", got)
	}
	l.Reset()
	if len(l.All()) != 0 {
		t.Errorf("after Reset: %v", l.All())
	}
}

// A list of limit values never holds room for more, however it grew.
func TestListHoldsRoomForItsLimitOnly(t *testing.T) {
	for _, limit := range []int{1, 3, 1000, 10_000} {
		l := New[int](limit)
		for i := range 2 * limit {
			l.Append(i)
		}
		if cap(l.s) != limit {
			t.Errorf("a list of %d holds room for %d", limit, cap(l.s))
		}
	}
}

// Values appended past the limit, read in between or not, come out in the
// order appended, and no more than the limit are held.
func TestListWrapsInOrder(t *testing.T) {
	l := New[int](4)
	var want []int
	for i := range 23 {
		l.Append(i)
		want = append(want, i)
		if i%3 == 0 || i%5 == 0 {
			if got := l.All(); !slices.Equal(got, want[max(0, len(want)-4):]) {
				t.Fatalf("after %d appends: %v", i+1, got)
			}
		}
		if cap(l.s) > 4 {
			t.Fatalf("after %d appends the list holds room for %d", i+1, cap(l.s))
		}
	}
	if got := l.All(); !slices.Equal(got, []int{19, 20, 21, 22}) {
		t.Errorf("got %v", got)
	}
}

// BenchmarkListFull is an append to a full list of 100,000 values: it must
// not copy the list each time.
func BenchmarkListFull(b *testing.B) {
	l := New[int](100_000)
	for i := range 100_000 {
		l.Append(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		l.Append(0)
	}
}
