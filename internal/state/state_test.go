package state

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/domain"
)

func open(t *testing.T) *Store {
	t.Helper()
	st, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func rec(kind, id, v string) change.Record {
	return change.Record{Kind: kind, ID: id, Value: []byte(v)}
}

// A commit changes the records it names and no other; a reset forgets
// every record first.
func TestCommitWritesWhatChanged(t *testing.T) {
	st := open(t)
	defer st.Close()
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if s, err := st.Load(); s != nil || err != nil {
		t.Fatalf("a new file holds %+v %v", s, err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.Commit(at, change.Set{Records: []change.Record{
		rec(domain.KindUser, "a", `{"username":"a","failures":1}`),
		rec(domain.KindUser, "b", `{"username":"b","failures":2}`),
		rec(delivery.KindPending, "01", `{"id":1,"eid":"e"}`),
	}}))
	must(st.Commit(at.Add(time.Minute), change.Set{Records: []change.Record{change.Removed(domain.KindUser, "a")}}))
	s, err := st.Load()
	must(err)
	if !s.Clock.Equal(at.Add(time.Minute)) || len(s.Users) != 1 || s.Users[0].Username != "b" || len(s.Deliveries) != 1 {
		t.Errorf("loaded %+v", s)
	}
	must(st.Commit(at, change.Set{Reset: true}, change.Set{Records: []change.Record{rec(domain.KindUser, "c", `{"username":"c"}`)}}))
	s, err = st.Load()
	must(err)
	if len(s.Users) != 1 || s.Users[0].Username != "c" || len(s.Deliveries) != 0 {
		t.Errorf("after a reset: %+v", s)
	}
}

// A second tssim on the same file is refused with a sentence, not a hang.
func TestFileInUseIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Open(path); err == nil || err.Error() != "state file "+path+" is in use by another tssim" {
		t.Errorf("second open: %v", err)
	}
}

// Concurrent changes share a commit: while one commit runs, every change
// noted meanwhile waits for the next, and all of them go in it.
func TestKeeperGroupsCommits(t *testing.T) {
	st := open(t)
	first, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	takes := 0
	take := func() (time.Time, []change.Set) {
		mu.Lock()
		takes++
		n := takes
		mu.Unlock()
		if n == 1 {
			close(first)
			<-release
		}
		return time.Time{}, nil
	}
	k := NewKeeper(st, take, slog.New(slog.NewTextHandler(io.Discard, nil)))
	k.Changed()
	<-first // the first commit has taken its changes and waits
	const writers = 50
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	ready.Add(writers)
	for range writers {
		wg.Go(func() {
			k.Changed()
			ready.Done()
			if err := k.Durable(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	ready.Wait()
	close(release)
	wg.Wait()
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if takes != 2 {
		t.Errorf("%d commits for 1 change and %d concurrent ones, want 2", takes, writers)
	}
}

// Durable returns at once when nothing changed since the last commit.
func TestDurableWithNothingChanged(t *testing.T) {
	k := NewKeeper(open(t), func() (time.Time, []change.Set) { return time.Time{}, nil }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer k.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := k.Durable(ctx); err != nil {
		t.Errorf("Durable with nothing to wait for: %v", err)
	}
}
