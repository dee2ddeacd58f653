package domain

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The steps waiting come out earliest first, and those due together in
// the order they were queued.
func TestStepsComeOutInDueOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q steps
	t0 := time.Unix(0, 0)
	for i := range 2000 {
		q.push(nil, i, t0.Add(time.Duration(rng.IntN(50))*time.Minute))
	}
	last := &laterStep{at: t0}
	for range 2000 {
		st := q.pop()
		if st.at.Before(last.at) || (st.at.Equal(last.at) && st.seq < last.seq) {
			t.Fatalf("step %d due %s (queued %d) came out after one due %s (queued %d)", st.i, st.at, st.seq, last.at, last.seq)
		}
		last = st
	}
	if len(q.h) != 0 {
		t.Errorf("%d steps left", len(q.h))
	}
}
