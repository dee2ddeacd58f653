package state

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// Keeper commits changes as they come: whatever changed while one commit
// was being synced goes into the next, so concurrent requests share one
// fsync (group commit). Durable tells a caller when what it changed is on
// disk.
type Keeper struct {
	store *Store
	take  func() []World
	log   *slog.Logger

	mu sync.Mutex
	// dirty: something changed that no commit has taken yet.
	dirty bool
	// started counts the commits that took their changes; done, those
	// that ended, with err the error of the last. committed is closed
	// at the end of each.
	started, done uint64
	err           error
	committed     chan struct{}
	wake          chan struct{}
	stop          chan struct{}
	stopped       chan struct{}
}

// NewKeeper starts committing to store what take returns: what changed in
// each world since its last call. take must hold whatever keeps a world's
// sets consistent with each other.
func NewKeeper(store *Store, take func() []World, log *slog.Logger) *Keeper {
	k := &Keeper{store: store, take: take, log: log, committed: make(chan struct{}),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
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

// Durable waits until every change noted so far is on disk, and returns
// the error of the commit that wrote it.
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
			return ctx.Err()
		case <-k.stopped:
			return errClosed
		}
		k.mu.Lock()
	}
	err := k.err
	k.mu.Unlock()
	return err
}

func (k *Keeper) run() {
	defer close(k.stopped)
	for {
		select {
		case <-k.wake:
			if err := k.commit(); err != nil {
				k.log.Error("saving the state file", "error", err)
			}
		case <-k.stop:
			return
		}
	}
}

// commit takes the changes and writes them.
func (k *Keeper) commit() error {
	k.mu.Lock()
	k.dirty = false
	k.started++
	k.mu.Unlock()
	err := k.store.Commit(k.take()...)
	k.mu.Lock()
	k.done++
	k.err = err
	close(k.committed)
	k.committed = make(chan struct{})
	k.mu.Unlock()
	return err
}

// errClosed answers Durable once Close has begun.
var errClosed = errors.New("the state file is closed: tssim is stopping")

// flush commits what is left, once run has stopped.
func (k *Keeper) flush() error {
	k.mu.Lock()
	dirty := k.dirty
	k.mu.Unlock()
	if !dirty {
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
