package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/domain"
)

// commitUsers commits users from..to-1 of the default world, one commit
// each.
func commitUsers(t *testing.T, st *Store, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		u := fmt.Sprintf("u%04d", i)
		w := World{Clock: time.Date(2030, 1, 1, 0, 0, i, 0, time.UTC), Sets: []change.Set{{Records: []change.Record{rec(domain.KindUser, u, `{"username":"`+u+`"}`)}}}}
		if err := st.Commit(w); err != nil {
			t.Fatal(err)
		}
	}
}

// openCheckpointingAt opens a store that checkpoints every at bytes of
// log.
func openCheckpointingAt(t *testing.T, path string, at int64) *Store {
	t.Helper()
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	st.checkpointAt = at
	return st
}

// crashCopy copies the files of the state file at path as they are now,
// as kill -9 would leave them.
func crashCopy(t *testing.T, path string) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "crashed.db")
	for i, f := range Files(path) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(Files(img)[i], data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

func users(t *testing.T, path string) int {
	t.Helper()
	s := loadFile(t, path)
	if s[""] == nil {
		return 0
	}
	return len(s[""].Users)
}

// Every commit is in the files when Commit returns, whether a checkpoint
// has written it to the database or not: a copy of the files taken then,
// as kill -9 leaves them, holds them all. (The copy waits for the
// checkpoint under way, since a copy of a database a transaction is
// writing is not what a crash leaves; the kill -9 test crashes tssim in
// the middle of checkpoints.) A stopped store leaves the database alone,
// holding them.
func TestEveryCommitSurvivesACrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st := openCheckpointingAt(t, path, 2<<10)
	for n := 1; n <= 200; n += 7 {
		commitUsers(t, st, n-1, n+6)
		st.settle(true)
		if got := users(t, crashCopy(t, path)); got != n+6 {
			t.Fatalf("after %d commits, a crash keeps %d", n+6, got)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range Files(path)[:2] {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is left after Close: %v", f, err)
		}
	}
	if got := users(t, path); got != 203 {
		t.Errorf("after Close the database holds %d users, want 203", got)
	}
}

// A commit cut short by the crash, and what a log held before it was
// written over, are not read as commits; a commit that matches its checksum
// and does not decode stops the start with a message.
func TestTheLogEndsAtItsLastWholeCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st := openCheckpointingAt(t, path, 1<<10)
	commitUsers(t, st, 0, 40)
	st.settle(true)
	st.checkpointAt = 1 << 30
	commitUsers(t, st, 40, 42)
	img := crashCopy(t, path)
	active, end := st.active, st.size
	log := Files(img)[active]
	st.Close()
	data, err := os.ReadFile(log)
	if err != nil || int64(len(data)) < end {
		t.Fatalf("the active log: %d bytes of %d, %v", len(data), end, err)
	}
	// Past end: what the log held before this round of it, if anything.
	data = data[:end]
	write := func(b []byte) string {
		t.Helper()
		c := crashCopy(t, img)
		if err := os.WriteFile(Files(c)[active], b, 0o600); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got := users(t, write(data[:len(data)-3])); got != 41 {
		t.Errorf("with its last commit cut short: %d users, want 41", got)
	}
	ghost := appendFrame(nil, 1, []World{{Sets: []change.Set{{Records: []change.Record{rec(domain.KindUser, "ghost", `{"username":"ghost"}`)}}}}})
	if got := users(t, write(append(slices.Clone(data), ghost...))); got != 42 {
		t.Errorf("with a commit the database took long ago after the last: %d users, want 42", got)
	}
	refused := func(what string, b []byte) {
		t.Helper()
		c := write(b)
		_, err := Open(c)
		if err == nil || !strings.Contains(err.Error(), "is corrupt") || !strings.Contains(err.Error(), Files(c)[active]) {
			t.Errorf("%s: %v", what, err)
		}
	}
	bad := appendFrame(nil, 43, nil)
	bad = append(bad, 0xff) // a world's name longer than the frame
	binary.BigEndian.PutUint32(bad[12:], 1)
	binary.BigEndian.PutUint32(bad, crc(bad[4:]))
	refused("a commit that matches its checksum and does not decode", append(slices.Clone(data), bad...))
	flipped := slices.Clone(data)
	flipped[logHeader+frameHeader] ^= 0xff
	refused("a byte changed in a commit that others follow", flipped)
	gap := append(slices.Clone(data), appendFrame(nil, 44, nil)...)
	refused("a commit missing", gap)

	gone := crashCopy(t, img)
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	if got := users(t, gone); got != 0 {
		t.Errorf("the logs of a database removed are read into the new one: %d users", got)
	}
}

// The frames of the log decode to the worlds they were made of.
func TestFramesRoundTrip(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	in := []World{
		{Clock: at, Sets: []change.Set{{Reset: true}, {Records: []change.Record{rec("users", "a", `{}`), change.Removed("users", "b")}}}},
		{Name: "blue", Clock: at, Gone: true},
	}
	frames, err := readFrames(append(appendFrame(appendFrame(nil, 7, in), 8, nil), 1, 2, 3), 0)
	if err != nil || len(frames) != 2 || frames[0].n != 7 || frames[1].n != 8 || len(frames[1].worlds) != 0 {
		t.Fatalf("read %+v %v", frames, err)
	}
	if diff := cmp.Diff(in, frames[0].worlds, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("decoded (-made +read):\n%s", diff)
	}
}

// A checkpoint the database refuses for good (here a record of no kind,
// which no bucket can hold) leaves the log to grow only to its bound:
// past it, commits fail, for the keeper to keep and try again, where they
// had grown the log and the commits held for it without end.
func TestAFailingCheckpointBoundsTheLog(t *testing.T) {
	st := openCheckpointingAt(t, filepath.Join(t.TempDir(), "state.db"), 4<<10)
	defer st.Close()
	bad := World{Clock: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Sets: []change.Set{{Records: []change.Record{rec("", "x", `{}`)}}}}
	if err := st.Commit(bad); err != nil {
		t.Fatal(err)
	}
	var err error
	for i := 0; i < 10_000 && err == nil; i++ {
		u := fmt.Sprintf("u%04d", i)
		err = st.Commit(World{Clock: bad.Clock, Sets: []change.Set{{Records: []change.Record{rec(domain.KindUser, u, `{"username":"`+u+`"}`)}}}})
		st.settle(true)
	}
	if err == nil || !strings.Contains(err.Error(), "writing the log to the database") {
		t.Fatalf("10,000 commits after a checkpoint that cannot succeed: %v", err)
	}
	if st.size > 2*st.checkpointAt {
		t.Errorf("the log grew to %d bytes, for a bound of %d", st.size, st.checkpointAt)
	}
}
