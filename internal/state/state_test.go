package state

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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

// loadFile opens the state file at path, loads its worlds and closes it.
func loadFile(t *testing.T, path string) map[string]*State {
	t.Helper()
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rec(kind, id, v string) change.Record {
	return change.Record{Kind: kind, ID: id, Value: []byte(v)}
}

// A commit changes the records it names and no other; a reset forgets
// every record of its world first, and no other world's.
func TestCommitWritesWhatChanged(t *testing.T) {
	st := open(t)
	defer st.Close()
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if s, err := st.Load(); len(s) != 0 || err != nil {
		t.Fatalf("a new file holds %+v %v", s, err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	users := func(rs ...change.Record) []change.Set { return []change.Set{{Records: rs}} }
	must(st.Commit(World{Clock: at, Sets: users(
		rec(domain.KindUser, "a", `{"username":"a","failures":1}`),
		rec(domain.KindUser, "b", `{"username":"b","failures":2}`),
		rec(delivery.KindPending, "01", `{"id":1,"eid":"e"}`),
	)}, World{Name: "other", Clock: at, Sets: users(rec(domain.KindUser, "z", `{"username":"z"}`))}))
	must(st.Commit(World{Clock: at.Add(time.Minute), Sets: users(change.Removed(domain.KindUser, "a"))}))
	s, err := st.Load()
	must(err)
	if d := s[""]; !d.Clock.Equal(at.Add(time.Minute)) || len(d.Users) != 1 || d.Users[0].Username != "b" || len(d.Deliveries) != 1 {
		t.Errorf("loaded %+v", d)
	}
	must(st.Commit(World{Clock: at, Sets: []change.Set{{Reset: true}, {Records: []change.Record{rec(domain.KindUser, "c", `{"username":"c"}`)}}}}))
	s, err = st.Load()
	must(err)
	if d := s[""]; len(d.Users) != 1 || d.Users[0].Username != "c" || len(d.Deliveries) != 0 {
		t.Errorf("after a reset: %+v", d)
	}
	if o := s["other"]; o == nil || len(o.Users) != 1 || o.Users[0].Username != "z" {
		t.Errorf("another world after the default one's reset: %+v", o)
	}
	must(st.Commit(World{Name: "other", Gone: true}))
	if s, _ = st.Load(); s["other"] != nil || len(s) != 1 {
		t.Errorf("a world gone is still there: %+v", s)
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
	take := func() []World {
		mu.Lock()
		takes++
		n := takes
		mu.Unlock()
		if n == 1 {
			close(first)
			<-release
		}
		return nil
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
	k := NewKeeper(open(t), func() []World { return nil }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer k.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := k.Durable(ctx); err != nil {
		t.Errorf("Durable with nothing to wait for: %v", err)
	}
}

// A version 3 file, whose request statuses are keyed by their requestId,
// opens with each under its version 4 key: a request forgotten after the
// upgrade leaves the file, where under its old key it would be loaded
// again at every start.
func TestVersion3IsUpgraded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	saved := map[string]domain.SavedRequest{
		"requests":        {RequestID: "0b1c2d3e-0000-4000-8000-000000000001", Seq: 7, Account: "acct"},
		"w/blue/requests": {RequestID: "0b1c2d3e-0000-4000-8000-000000000002", Seq: 300, Account: "acct"},
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, _ := tx.CreateBucket(bucketMeta)
		_ = meta.Put(keyVersion, []byte("3"))
		_ = meta.Put(clockKey(""), []byte("2030-01-01T00:00:00Z"))
		_ = meta.Put(clockKey("blue"), []byte("2030-01-01T00:00:00Z"))
		for bucket, r := range saved {
			b, _ := tx.CreateBucket([]byte(bucket))
			v, _ := json.Marshal(r)
			if err := b.Put([]byte(r.RequestID), seal([]byte(r.RequestID), v)); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(path, true); err != nil {
		t.Fatalf("a version 3 file does not verify: %v", err)
	}
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	for world, r := range map[string]domain.SavedRequest{"": saved["requests"], "blue": saved["w/blue/requests"]} {
		if got := loaded[world].Requests; len(got) != 1 || got[0].RequestID != r.RequestID || got[0].Seq != r.Seq {
			t.Errorf("world %q: requests %+v, want %+v", world, got, r)
		}
		if err := st.Commit(World{Name: world, Sets: []change.Set{{Records: []change.Record{change.Removed(domain.KindRequest, domain.RequestKey(r.Seq, r.RequestID))}}}}); err != nil {
			t.Fatal(err)
		}
	}
	if loaded, err = st.Load(); err != nil || len(loaded[""].Requests)+len(loaded["blue"].Requests) != 0 {
		t.Errorf("the requests forgotten are loaded again: %+v %+v %v", loaded[""].Requests, loaded["blue"].Requests, err)
	}
	st.Close()
	if st, err = Open(path); err != nil {
		t.Fatalf("opened again: %v", err)
	}
	st.Close()
}
