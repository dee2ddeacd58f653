package state

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tssim/tssim/internal/change"
)

// Keeper commits changes as they come: whatever changed while one commit
// was being synced goes into the next, so concurrent requests share one
// fsync (group commit). Durable tells a caller when what it changed is on
// disk. A commit that fails (a full disk) loses nothing: its changes are
// kept and tried again, with what changed since, until a commit takes
// them; until then Durable does not return for them.
type Keeper struct {
	store committer
	take  func() []World
	log   *slog.Logger

	mu sync.Mutex
	// dirty: something changed that no commit has taken yet.
	dirty bool
	// started counts the commits that took their changes; done is the
	// last of them whose changes are on disk. committed is closed at the
	// end of each commit, failed or not; err is the last failure, until
	// a commit succeeds.
	started, done uint64
	err           error
	committed     chan struct{}
	// failed holds the changes of the commits that failed, oldest first,
	// for the next to write before its own.
	failed  []World
	wake    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	// retry is how long the keeper waits before it tries a failed commit
	// again.
	retry time.Duration
	// observe, when set, learns of every commit (Observe).
	observe func(Commit)
}

// Commit is what a commit did, as Observe tells it.
type Commit struct {
	// Took is how long the commit took, fsync included.
	Took time.Duration
	// Records counts the records it wrote (or removed), by kind; a world
	// made or removed is a record of KindWorld.
	Records map[string]int
	// Err is why it failed; its changes are then kept and written by a
	// later commit, and counted there.
	Err error
}

// Observe has f told of every commit from now on, for metrics: it is called
// on the keeper's goroutine once the commit is written and before Durable
// returns for its changes, and must be quick.
func (k *Keeper) Observe(f func(Commit)) {
	k.mu.Lock()
	k.observe = f
	k.mu.Unlock()
}

// committer writes the changes of a commit (a *Store; a failing one in
// tests).
type committer interface {
	Commit(worlds ...World) error
	Load() (map[string]*State, error)
	Close() error
}

// NewKeeper starts committing to store what take returns: what changed in
// each world since its last call. take must hold whatever keeps a world's
// sets consistent with each other.
func NewKeeper(store *Store, take func() []World, log *slog.Logger) *Keeper {
	return newKeeper(store, take, log)
}

func newKeeper(store committer, take func() []World, log *slog.Logger) *Keeper {
	k := &Keeper{store: store, take: take, log: log, committed: make(chan struct{}),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{}), retry: 100 * time.Millisecond}
	go k.run()
	return k
}

// Load reads the state of every world the store holds.
func (k *Keeper) Load() (map[string]*State, error) { return k.store.Load() }

// Changed notes that something changed. It does not block.
func (k *Keeper) Changed() {
	k.mu.Lock()
	k.dirty = true
	k.mu.Unlock()
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// Durable waits until every change noted so far is on disk. While the
// commits fail it waits on; when ctx ends first, it returns an error that
// says why the changes are not on disk yet (they will be, once a commit
// takes them).
func (k *Keeper) Durable(ctx context.Context) error {
	k.mu.Lock()
	target := k.started
	if k.dirty {
		target++
	}
	for k.done < target {
		ch := k.committed
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			k.mu.Lock()
			err := k.err
			k.mu.Unlock()
			if err != nil {
				return &NotSavedError{Err: err}
			}
			return ctx.Err()
		case <-k.stopped:
			return errClosed
		}
		k.mu.Lock()
	}
	k.mu.Unlock()
	return nil
}

// NotSavedError says that changes are not on disk yet, since the commits
// fail: they are kept in memory and saved once a commit succeeds.
type NotSavedError struct{ Err error }

func (e *NotSavedError) Error() string {
	return "the state file cannot be written (" + e.Err.Error() + "): the change is kept and will be saved once it can be"
}

func (e *NotSavedError) Unwrap() error { return e.Err }

func (k *Keeper) run() {
	defer close(k.stopped)
	var retry <-chan time.Time
	for {
		select {
		case <-k.wake:
		case <-retry:
		case <-k.stop:
			return
		}
		retry = nil
		if err := k.commit(); err != nil {
			k.log.Error("saving the state file: the changes are kept and tried again", "error", err, "retryIn", k.retry.String())
			retry = time.After(k.retry)
		}
	}
}

// commit takes the changes and writes them after those of the commits
// that failed.
func (k *Keeper) commit() error {
	k.mu.Lock()
	k.dirty = false
	k.started++
	started := k.started
	batch := k.failed
	observe := k.observe
	k.mu.Unlock()
	batch = append(batch, k.take()...)
	start := time.Now()
	err := k.store.Commit(batch...)
	// Told before Durable returns for it: whoever has the answer of a
	// request finds its commit counted.
	if observe != nil {
		observe(Commit{Took: time.Since(start), Records: countRecords(batch, err), Err: err})
	}
	k.mu.Lock()
	if err != nil {
		k.failed, k.err = compact(batch), err
	} else {
		k.failed, k.err, k.done = nil, nil, started
	}
	close(k.committed)
	k.committed = make(chan struct{})
	k.mu.Unlock()
	return err
}

// countRecords counts the records of a commit by kind; none when it failed.
func countRecords(batch []World, err error) map[string]int {
	n := map[string]int{}
	if err != nil {
		return n
	}
	for _, w := range batch {
		for _, set := range w.Sets {
			for _, r := range set.Records {
				n[r.Kind]++
			}
		}
	}
	return n
}

// errClosed answers Durable once Close has begun.
var errClosed = errors.New("the state file is closed: tssim is stopping")

// flush commits what is left, once run has stopped.
func (k *Keeper) flush() error {
	k.mu.Lock()
	left := k.dirty || k.failed != nil
	k.mu.Unlock()
	if !left {
		return nil
	}
	return k.commit()
}

// Close stops committing as changes come, commits what is left, and
// closes the store.
func (k *Keeper) Close() error {
	select {
	case <-k.stop:
	default:
		close(k.stop)
	}
	<-k.stopped
	err := k.flush()
	if cerr := k.store.Close(); err == nil {
		err = cerr
	}
	return err
}

// compact merges the changes of failed commits into one World per world,
// in the order they came, each record at its last value: while the disk is
// full the changes kept cost what the state holds, not what was done to
// it. A reset or a removal of a world drops what came before it (but the
// default world's records of the other worlds, which a reset keeps).
func compact(batch []World) []World {
	type merged struct {
		w       World
		reset   bool
		records []change.Record
		at      map[[2]string]int
	}
	var order []*merged
	byName := map[string]*merged{}
	for _, w := range batch {
		m := byName[w.Name]
		if m == nil {
			m = &merged{at: map[[2]string]int{}}
			byName[w.Name] = m
			order = append(order, m)
		}
		if w.Gone || slices.ContainsFunc(w.Sets, func(s change.Set) bool { return s.Reset }) {
			m.reset = true
			kept := m.records[:0]
			clear(m.at)
			for _, r := range m.records {
				if !w.Gone && w.Name == "" && r.Kind == KindWorld {
					m.at[[2]string{r.Kind, r.ID}] = len(kept)
					kept = append(kept, r)
				}
			}
			m.records = kept
		}
		m.w = World{Name: w.Name, Clock: w.Clock, Gone: w.Gone}
		for _, set := range w.Sets {
			for _, r := range set.Records {
				k := [2]string{r.Kind, r.ID}
				if i, ok := m.at[k]; ok {
					m.records[i] = r
					continue
				}
				m.at[k] = len(m.records)
				m.records = append(m.records, r)
			}
		}
	}
	out := make([]World, len(order))
	for i, m := range order {
		out[i] = m.w
		if !m.w.Gone {
			out[i].Sets = []change.Set{{Reset: m.reset, Records: m.records}}
		}
	}
	return out
}
