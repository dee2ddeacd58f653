package simulator

import (
	"testing"
	"time"
)

func TestJournalKeepsTheLastEntries(t *testing.T) {
	j := NewJournal(3)
	for i := range 10 {
		j.AddRequest(RequestRecord{Status: i})
		j.AddCallback(Callback{Message: CallbackMessage{RequestID: string(rune('a' + i))}}, time.Time{})
	}
	reqs := j.Requests()
	if len(reqs) != 3 || reqs[0].Status != 7 || reqs[2].Status != 9 {
		t.Errorf("requests %+v", reqs)
	}
	cbs := j.Callbacks(CallbackFilter{})
	if len(cbs) != 3 || cbs[0].RequestID != "h" || cbs[2].RequestID != "j" {
		t.Errorf("callbacks %+v", cbs)
	}
}

// BenchmarkJournalFull is an append to a full journal of 100,000 entries:
// it must not copy the journal each time.
func BenchmarkJournalFull(b *testing.B) {
	j := NewJournal(100_000)
	for range 100_000 {
		j.AddRequest(RequestRecord{})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		j.AddRequest(RequestRecord{})
	}
}
