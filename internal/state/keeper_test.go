package state

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/domain"
)

// fullDisk is a store whose commits fail while full is set, as on a disk
// that filled.
type fullDisk struct {
	*Store
	full atomic.Bool
}

func (d *fullDisk) Commit(worlds ...World) error {
	if d.full.Load() {
		return syscall.ENOSPC
	}
	return d.Store.Commit(worlds...)
}

// A commit that fails loses nothing: what it took is kept and written by
// the next that succeeds, and until then nobody is told it is on disk.
// Before, a failed commit dropped the records it took and a later commit's
// success was reported for them: after a full disk, 338 of 398 changes
// answered 200 were gone.
func TestAFullDiskLosesNoChange(t *testing.T) {
	disk := &fullDisk{Store: open(t)}
	var mu sync.Mutex
	var pending []change.Record
	note := func(k *Keeper, r change.Record) {
		mu.Lock()
		pending = append(pending, r)
		mu.Unlock()
		k.Changed()
	}
	take := func() []World {
		mu.Lock()
		defer mu.Unlock()
		w := World{Clock: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Sets: []change.Set{{Records: pending}}}
		pending = nil
		return []World{w}
	}
	k := newKeeper(disk, take, slog.New(slog.NewTextHandler(io.Discard, nil)))
	k.retry = time.Millisecond
	note(k, rec(domain.KindUser, "before", `{"username":"before"}`))
	if err := k.Durable(context.Background()); err != nil {
		t.Fatal(err)
	}

	disk.full.Store(true)
	for _, name := range []string{"a", "b", "a"} {
		note(k, rec(domain.KindUser, name, `{"username":"`+name+`"}`))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		err := k.Durable(ctx)
		cancel()
		var notSaved *NotSavedError
		if !errors.As(err, &notSaved) || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Durable on a full disk: %v, want a NotSavedError of ENOSPC", err)
		}
	}
	k.mu.Lock()
	kept := len(k.failed)
	k.mu.Unlock()
	if kept != 1 {
		t.Errorf("the failed commits keep %d worlds, want them merged into 1", kept)
	}

	disk.full.Store(false)
	if err := k.Durable(context.Background()); err != nil {
		t.Fatalf("once space returned: %v", err)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, u := range loadFile(t, disk.path)[""].Users {
		got[u.Username] = true
	}
	if len(got) != 3 || !got["before"] || !got["a"] || !got["b"] {
		t.Errorf("on disk: %v, want before, a and b", got)
	}
}

// Merging failed commits keeps each record's last value, drops what a
// reset or a removal of its world came after, and keeps the default
// world's records of the other worlds across its reset.
func TestCompactFollowsTheCommits(t *testing.T) {
	set := func(reset bool, rs ...change.Record) []change.Set { return []change.Set{{Reset: reset, Records: rs}} }
	got := compact([]World{
		{Sets: set(false, rec(domain.KindUser, "a", "1"), rec(KindWorld, "x", "x1"))},
		{Name: "x", Sets: set(false, rec(domain.KindUser, "u", "1"))},
		{Sets: set(false, rec(domain.KindUser, "a", "2"), rec(domain.KindUser, "b", "1"))},
		{Sets: set(true, rec(domain.KindUser, "c", "1"))},
		{Name: "x", Gone: true},
		{Name: "y", Sets: set(false, rec(domain.KindUser, "v", "1"))},
		{Name: "y", Gone: true},
		{Name: "y", Sets: set(false, rec(domain.KindUser, "w", "1"))},
	})
	if len(got) != 3 {
		t.Fatalf("%d worlds, want 3: %+v", len(got), got)
	}
	root, x, y := got[0], got[1], got[2]
	if !root.Sets[0].Reset || len(root.Sets[0].Records) != 2 || string(root.Sets[0].Records[0].Value) != "x1" || root.Sets[0].Records[1].ID != "c" {
		t.Errorf("default world: %+v", root)
	}
	if !x.Gone || x.Sets != nil {
		t.Errorf("world x, removed: %+v", x)
	}
	if y.Gone || !y.Sets[0].Reset || len(y.Sets[0].Records) != 1 || y.Sets[0].Records[0].ID != "w" {
		t.Errorf("world y, removed and made again: %+v", y)
	}
}
