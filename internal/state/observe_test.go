package state

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/domain"
)

// The observer of a keeper is told of every commit before Durable returns
// for it: the records it wrote by kind, or its error; a failed commit's
// records are counted once, by the commit that writes them.
func TestObserveCountsEveryCommit(t *testing.T) {
	disk := &fullDisk{Store: open(t)}
	var mu sync.Mutex
	var pending []change.Record
	take := func() []World {
		mu.Lock()
		defer mu.Unlock()
		w := World{Clock: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Sets: []change.Set{{Records: pending}}}
		pending = nil
		return []World{w}
	}
	k := newKeeper(disk, take, slog.New(slog.NewTextHandler(io.Discard, nil)))
	k.retry = time.Millisecond
	var seen []Commit
	k.Observe(func(c Commit) {
		mu.Lock()
		seen = append(seen, c)
		mu.Unlock()
	})
	note := func(rs ...change.Record) {
		mu.Lock()
		pending = append(pending, rs...)
		mu.Unlock()
		k.Changed()
	}
	// observed returns the records of the successful commits and the
	// number of failed ones seen so far.
	observed := func() (map[string]int, int) {
		mu.Lock()
		defer mu.Unlock()
		n, failed := map[string]int{}, 0
		for _, c := range seen {
			if c.Took <= 0 {
				t.Errorf("a commit took %s", c.Took)
			}
			if c.Err != nil {
				failed++
				continue
			}
			for kind, v := range c.Records {
				n[kind] += v
			}
		}
		return n, failed
	}

	note(rec(domain.KindDevice, "e1", `{}`), rec(domain.KindDevice, "e2", `{}`), rec(KindWorld, "w", `{"name":"w"}`))
	if err := k.Durable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, failed := observed(); !cmp.Equal(got, map[string]int{domain.KindDevice: 2, KindWorld: 1}) || failed != 0 {
		t.Errorf("after one commit: %v, %d failed", got, failed)
	}

	disk.full.Store(true)
	note(rec(domain.KindUser, "u", `{"username":"u"}`))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	err := k.Durable(ctx)
	cancel()
	if err == nil {
		t.Fatal("Durable on a full disk returned")
	}
	if _, failed := observed(); failed == 0 {
		t.Error("no failed commit observed on a full disk")
	}
	mu.Lock()
	for _, c := range seen {
		if c.Err != nil && (len(c.Records) != 0 || c.Err != syscall.ENOSPC) {
			t.Errorf("a failed commit observed as %+v", c)
		}
	}
	mu.Unlock()
	disk.full.Store(false)
	if err := k.Durable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := observed(); !cmp.Equal(got, map[string]int{domain.KindDevice: 2, KindWorld: 1, domain.KindUser: 1}) {
		t.Errorf("after the disk had space again: %v, want the user counted once", got)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
}
