// Package state keeps --state-file: a bbolt database of the records that
// differ from the fixtures (devices, accounts, users, tokens, sessions,
// registrations, actions with steps to run), the callbacks not yet
// delivered, and the clock. Each commit writes the records that changed
// since the last one, in one transaction; Keeper groups the commits of
// concurrent requests into one fsync.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/tssim/tssim/internal/change"
	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/domain"
)

// version is the version of the database's layout.
const version = "2"

var (
	bucketMeta = []byte("meta")
	keyVersion = []byte("version")
	keyClock   = []byte("clock")
)

// State is what a state file keeps across restarts: the world, the
// callbacks not yet delivered, and the clock. The journals are not kept.
type State struct {
	Clock time.Time
	domain.Snapshot
	Deliveries []delivery.Pending
}

// Store is an open state file.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens the state file at path, creating it when missing. A file
// another tssim has open is refused after a second.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoFreelistSync: true})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("state file %s is in use by another tssim", path)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrChecksum):
		return nil, fmt.Errorf("state file %s is not a tssim state database: %w (remove it to start from the fixtures)", path, err)
	case err != nil:
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	st := &Store{db: db, path: path}
	if err := db.Update(st.checkVersion); err != nil {
		db.Close()
		return nil, err
	}
	return st, nil
}

func (st *Store) checkVersion(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	switch v := meta.Get(keyVersion); {
	case v == nil:
		return meta.Put(keyVersion, []byte(version))
	case string(v) != version:
		return fmt.Errorf("state file %s has version %s, this tssim reads version %s (remove it to start from the fixtures)", st.path, v, version)
	}
	return nil
}

// Close closes the file.
func (st *Store) Close() error { return st.db.Close() }

// Load reads the state, or nil when none was ever committed.
func (st *Store) Load() (*State, error) {
	var out *State
	err := st.db.View(func(tx *bolt.Tx) error {
		clk := tx.Bucket(bucketMeta).Get(keyClock)
		if clk == nil {
			return nil
		}
		s := &State{}
		if err := s.Clock.UnmarshalText(clk); err != nil {
			return st.corrupt("meta/clock", err)
		}
		var errs []error
		read := func(kind string, add func([]byte) error) {
			b := tx.Bucket([]byte(kind))
			if b == nil {
				return
			}
			_ = b.ForEach(func(k, v []byte) error {
				if err := add(v); err != nil {
					errs = append(errs, st.corrupt(kind+"/"+string(k), err))
				}
				return nil
			})
		}
		read(domain.KindDevice, into(&s.Devices))
		read(domain.KindAccount, into(&s.Accounts))
		read(domain.KindUser, into(&s.Users))
		read(domain.KindToken, into(&s.Tokens))
		read(domain.KindSession, into(&s.Sessions))
		read(domain.KindListener, into(&s.Listeners))
		read(domain.KindAction, into(&s.Actions))
		read(delivery.KindPending, into(&s.Deliveries))
		out = s
		return errors.Join(errs...)
	})
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := st.check(out); err != nil {
			return nil, err
		}
	}
	return out, nil
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
	for _, a := range s.Actions {
		if a.Scenario == nil || a.Fired < 0 || a.Fired > len(a.Scenario.Steps) || a.Device == nil {
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

// Commit writes the changes of sets and the clock in one transaction,
// synced to disk when it returns. When a set resets, every record is
// forgotten before any set's records are written.
func (st *Store) Commit(clock time.Time, sets ...change.Set) error {
	clk, err := clock.MarshalText()
	if err != nil {
		return err
	}
	return st.db.Update(func(tx *bolt.Tx) error {
		for _, set := range sets {
			if set.Reset {
				if err := dropData(tx); err != nil {
					return err
				}
				break
			}
		}
		for _, set := range sets {
			for _, r := range set.Records {
				b, err := tx.CreateBucketIfNotExists([]byte(r.Kind))
				if err != nil {
					return err
				}
				if r.Value == nil {
					err = b.Delete([]byte(r.ID))
				} else {
					err = b.Put([]byte(r.ID), r.Value)
				}
				if err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bucketMeta).Put(keyClock, clk)
	})
}

// dropData deletes every bucket but meta.
func dropData(tx *bolt.Tx) error {
	var names [][]byte
	_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if string(name) != string(bucketMeta) {
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
