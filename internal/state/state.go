// Package state keeps --state-file: a bbolt database of the records that
// differ from the fixtures (devices, accounts, users, tokens, sessions,
// registrations, actions with steps to run, request statuses), the callbacks not yet
// delivered, and the clock, of each world (a bucket of each kind of record
// per world). Each commit writes the records that changed
// since the last one, in one transaction; Keeper groups the commits of
// concurrent requests into one fsync.
package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/domain"
)

// version is the version of the database's layout: 3 puts a checksum
// before every record; 4 keys a request status by its number in its world
// (domain.RequestKey), where 3 keyed it by its requestId. Open upgrades a
// version 3 file.
const version = "4"

var (
	bucketMeta = []byte("meta")
	keyVersion = []byte("version")
	keyClock   = []byte("clock")
)

// State is what a state file keeps of one world across restarts: the
// world, the callbacks not yet delivered, and the clock; for the default
// world, the other worlds too. The journals are not kept.
type State struct {
	Clock time.Time
	domain.Snapshot
	Deliveries []delivery.Pending
	// Worlds are the records of KindWorld, for the caller to decode.
	Worlds []json.RawMessage
}

// Store is an open state file: its database and its log (log.go).
type Store struct {
	db   *bolt.DB
	path string
	// logs are the log files; commits go to the active one, whose size
	// is size and whose commits, not yet in the database, are logged.
	// next numbers the next commit.
	logs   [2]*os.File
	active int
	size   int64
	logged []World
	next   uint64
	buf    []byte
	// ckpt is the checkpoint under way; failed, one that failed.
	ckpt, failed *checkpoint
	// checkpointAt is the size of the log that starts a checkpoint.
	checkpointAt int64
}

// Open opens the state file at path, creating it when missing. An
// existing file is verified first (Verify); an empty one is refused, since
// an empty file is no database, and starting from the fixtures on it would
// hide the loss of its state. A file another tssim has open is refused
// after a second.
func Open(path string) (*Store, error) {
	switch fi, err := os.Stat(path); {
	case err == nil && fi.Size() == 0:
		return nil, fmt.Errorf("state file %s is empty (0 bytes), not a tssim state database: what it held is lost (remove it to start from the fixtures)", path)
	case err == nil:
		if err := Verify(path, false); err != nil {
			return nil, err
		}
	}
	db, err := protect(func() (*bolt.DB, error) {
		return bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoFreelistSync: true})
	})
	if err != nil {
		return nil, openError(path, err)
	}
	st := &Store{db: db, path: path, checkpointAt: checkpointAt}
	if err := db.Update(st.checkVersion); err != nil {
		db.Close()
		return nil, err
	}
	if err := st.recover(); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func openError(path string, err error) error {
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return fmt.Errorf("state file %s is in use by another tssim", path)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrChecksum), errors.Is(err, errDamaged):
		return fmt.Errorf("state file %s is not a tssim state database, or is damaged: %w (remove it to start from the fixtures)", path, err)
	}
	return fmt.Errorf("state file %s: %w", path, err)
}

// Verify opens the state file at path read-only and reads every record
// against its checksum, walking every page that holds one, and every
// commit its log holds that the database does not; with full, it also
// runs bbolt's own consistency check of every page. That check runs
// in a goroutine of bbolt's, where a damaged page may crash the process:
// run it in a process of its own (tssim check-state does).
func Verify(path string, full bool) error {
	db, err := protect(func() (*bolt.DB, error) {
		return bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	})
	if err != nil {
		return openError(path, err)
	}
	defer db.Close()
	st := &Store{db: db, path: path}
	if _, err := protect(func() (struct{}, error) { return struct{}{}, db.View(st.checkVersion) }); errors.Is(err, errDamaged) {
		return st.corrupt("its meta bucket", err)
	} else if err != nil {
		return err
	}
	if _, err := protect(func() (struct{}, error) { return struct{}{}, st.verify(full) }); err != nil {
		return st.corrupt("its pages", err)
	}
	after, id := st.mark()
	if _, err := logs(path, id, after); err != nil {
		return st.logProblem(err)
	}
	return nil
}

func (st *Store) checkVersion(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil && !tx.Writable() {
		return fmt.Errorf("state file %s is not a tssim state database: it has no meta bucket (remove it to start from the fixtures)", st.path)
	}
	if meta == nil {
		var err error
		if meta, err = tx.CreateBucket(bucketMeta); err != nil {
			return err
		}
	}
	switch v := meta.Get(keyVersion); {
	case v == nil && !tx.Writable():
		return fmt.Errorf("state file %s has no version: not a tssim state database (remove it to start from the fixtures)", st.path)
	case v == nil:
		return meta.Put(keyVersion, []byte(version))
	case string(v) == "3" && tx.Writable():
		if err := rekeyRequests(tx); err != nil {
			return st.corrupt("its requests, upgrading it from version 3", err)
		}
		return meta.Put(keyVersion, []byte(version))
	case string(v) == "3":
		return nil
	case string(v) != version:
		return fmt.Errorf("state file %s has version %s, this tssim reads version %s (remove it to start from the fixtures)", st.path, v, version)
	}
	return nil
}

// rekeyRequests moves every world's request statuses to the keys of
// version 4.
func rekeyRequests(tx *bolt.Tx) error {
	var names [][]byte
	_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if _, kind := splitBucket(string(name)); kind == domain.KindRequest {
			names = append(names, slices.Clone(name))
		}
		return nil
	})
	for _, name := range names {
		type record struct{ key, value []byte }
		var moved []record
		err := tx.Bucket(name).ForEach(func(k, v []byte) error {
			value, err := unseal(k, v)
			if err != nil {
				return fmt.Errorf("%s/%s: %w", name, k, err)
			}
			var r domain.SavedRequest
			if err := json.Unmarshal(value, &r); err != nil {
				return fmt.Errorf("%s/%s: %w", name, k, err)
			}
			key := []byte(domain.RequestKey(r.Seq, r.RequestID))
			moved = append(moved, record{key, seal(key, value)})
			return nil
		})
		if err != nil {
			return err
		}
		if err := tx.DeleteBucket(name); err != nil {
			return err
		}
		b, err := tx.CreateBucket(name)
		if err != nil {
			return err
		}
		for _, r := range moved {
			if err := b.Put(r.key, r.value); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close writes what the log holds to the database, and closes both.
func (st *Store) Close() error {
	err := st.closeLogs()
	if cerr := st.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// Load reads the state of every world the store holds, by name ("" the
// default world); a world never committed is absent. What the log holds
// is written to the database first.
func (st *Store) Load() (map[string]*State, error) {
	if err := st.flush(); err != nil {
		return nil, err
	}
	out := map[string]*State{}
	err := st.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		var errs []error
		_ = meta.ForEach(func(k, v []byte) error {
			world, ok := strings.CutPrefix(string(k), string(keyClock))
			if !ok || (world != "" && world[0] != '/') {
				return nil
			}
			s := &State{}
			if err := s.Clock.UnmarshalText(v); err != nil {
				errs = append(errs, st.corrupt("meta/"+string(k), err))
			}
			out[strings.TrimPrefix(world, "/")] = s
			return nil
		})
		_ = tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			world, kind := splitBucket(string(name))
			s := out[world]
			if s == nil || kind == string(bucketMeta) {
				return nil
			}
			add := s.reader(kind)
			if add == nil {
				return nil
			}
			return b.ForEach(func(k, v []byte) error {
				record, err := unseal(k, v)
				if err == nil {
					err = add(record)
				}
				if err != nil {
					errs = append(errs, st.corrupt(string(name)+"/"+string(k), err))
				}
				return nil
			})
		})
		return errors.Join(errs...)
	})
	if err != nil {
		return nil, err
	}
	for _, s := range out {
		if err := st.check(s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// reader decodes a record of kind into s, or is nil for a kind s does not
// keep.
func (s *State) reader(kind string) func([]byte) error {
	switch kind {
	case domain.KindDevice:
		return into(&s.Devices)
	case domain.KindAccount:
		return into(&s.Accounts)
	case domain.KindUser:
		return into(&s.Users)
	case domain.KindToken:
		return into(&s.Tokens)
	case domain.KindSession:
		return into(&s.Sessions)
	case domain.KindListener:
		return into(&s.Listeners)
	case domain.KindAction:
		return into(&s.Actions)
	case domain.KindRequest:
		return into(&s.Requests)
	case delivery.KindPending:
		return into(&s.Deliveries)
	case KindWorld:
		return into(&s.Worlds)
	}
	return nil
}

// KindWorld is the kind of record that names a world other than the
// default one, with what it was made from.
const KindWorld = "worlds"

// bucketOf names the bucket of a world's records of one kind: the kind
// itself for the default world, w/NAME/KIND for another.
func bucketOf(world, kind string) []byte {
	if world == "" {
		return []byte(kind)
	}
	return []byte("w/" + world + "/" + kind)
}

// splitBucket is the inverse of bucketOf.
func splitBucket(name string) (world, kind string) {
	if rest, ok := strings.CutPrefix(name, "w/"); ok {
		if w, k, ok := strings.Cut(rest, "/"); ok {
			return w, k
		}
	}
	return "", name
}

func clockKey(world string) []byte {
	if world == "" {
		return keyClock
	}
	return []byte(string(keyClock) + "/" + world)
}

// into decodes a record and appends it to list.
func into[T any](list *[]T) func([]byte) error {
	return func(data []byte) error {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		*list = append(*list, v)
		return nil
	}
}

func (st *Store) corrupt(where string, err error) error {
	return fmt.Errorf("state file %s is corrupt at %s: %w (remove it to start from the fixtures)", st.path, where, err)
}

// check refuses records that decode but cannot be restored.
func (st *Store) check(s *State) error {
	saved := map[string]bool{}
	for _, d := range s.Devices {
		if d != nil {
			saved[d.EID] = true
		}
	}
	for _, a := range s.Actions {
		if a.Scenario == nil || a.Fired < 0 || a.Fired > len(a.Scenario.Steps) || a.Device == nil && !saved[a.EID] {
			return st.corrupt(domain.KindAction+"/"+a.RequestID, errors.New("the action is incomplete"))
		}
	}
	for _, d := range s.Devices {
		if d == nil || d.EID == "" {
			return st.corrupt(domain.KindDevice, errors.New("a device has no EID"))
		}
	}
	return nil
}

// World is one world's part of a commit: its clock and what changed in
// it. A set that resets forgets the world's records before any are
// written; Gone forgets the world altogether.
type World struct {
	Name  string
	Clock time.Time
	Sets  []change.Set
	Gone  bool
}

func commitWorld(tx *bolt.Tx, w World) error {
	meta := tx.Bucket(bucketMeta)
	if w.Gone || slices.ContainsFunc(w.Sets, func(s change.Set) bool { return s.Reset }) {
		if err := dropWorld(tx, w.Name); err != nil {
			return err
		}
	}
	if w.Gone {
		return meta.Delete(clockKey(w.Name))
	}
	for _, set := range w.Sets {
		for _, r := range set.Records {
			b, err := tx.CreateBucketIfNotExists(bucketOf(w.Name, r.Kind))
			if err != nil {
				return err
			}
			// Pages split full rather than half full: most records come
			// in the order of their keys (actions, requests, callbacks by
			// number) or replace one of the same key (devices), and the
			// file is then half the size.
			b.FillPercent = 0.95
			if r.Value == nil {
				err = b.Delete([]byte(r.ID))
			} else {
				err = b.Put([]byte(r.ID), seal([]byte(r.ID), r.Value))
			}
			if err != nil {
				return err
			}
		}
	}
	clk, err := w.Clock.MarshalText()
	if err != nil {
		return err
	}
	return meta.Put(clockKey(w.Name), clk)
}

// dropWorld deletes the buckets of one world (but meta, and for the
// default world, the records naming the other worlds).
func dropWorld(tx *bolt.Tx, world string) error {
	var names [][]byte
	_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		w, kind := splitBucket(string(name))
		if w == world && kind != string(bucketMeta) && !(world == "" && kind == KindWorld) {
			names = append(names, append([]byte(nil), name...))
		}
		return nil
	})
	for _, n := range names {
		if err := tx.DeleteBucket(n); err != nil {
			return err
		}
	}
	return nil
}

// verify reads every record against its checksum and, with full, runs
// bbolt's consistency check over every page.
func (st *Store) verify(full bool) error {
	return st.db.View(func(tx *bolt.Tx) error {
		if full {
			var errs []error
			for err := range tx.Check() { // drained: the check reads pages until it closes the channel
				if len(errs) < 3 {
					errs = append(errs, err)
				}
			}
			if len(errs) > 0 {
				return errors.Join(errs...)
			}
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if string(name) == string(bucketMeta) {
				return nil
			}
			return b.ForEach(func(k, v []byte) error {
				if _, err := unseal(k, v); err != nil {
					return fmt.Errorf("%q/%q: %w", name, k, err)
				}
				return nil
			})
		})
	})
}

// errDamaged is a panic or a memory fault inside bbolt, caught.
var errDamaged = errors.New("the file is damaged")

// protect runs f, turning a panic or a memory fault inside it (bbolt
// reads its file through mmap and trusts what it finds there) into an
// error, so that a damaged file stops the start with a message, never
// with a crash.
func protect[T any](f func() (T, error)) (v T, err error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		debug.SetPanicOnFault(true)
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("%w: %v", errDamaged, p)
			}
		}()
		v, err = f()
	}()
	<-done
	return v, err
}

// seal puts a CRC-32C of a record's key and value before the value, for
// unseal to check: bbolt checks its own meta pages only.
func seal(key, value []byte) []byte {
	out := make([]byte, 4, 4+len(value))
	binary.BigEndian.PutUint32(out, checksum(key, value))
	return append(out, value...)
}

// unseal checks a record's checksum and returns its value.
func unseal(key, data []byte) ([]byte, error) {
	if len(data) < 4 {
		return nil, errors.New("the record is shorter than its checksum")
	}
	if checksum(key, data[4:]) != binary.BigEndian.Uint32(data) {
		return nil, errors.New("the record does not match its checksum")
	}
	return data[4:], nil
}

func checksum(key, value []byte) uint32 {
	return crc32.Update(crc32.Checksum(key, castagnoli), castagnoli, value)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)
