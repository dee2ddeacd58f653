// Package state reads and writes --state-file: the domain's snapshot, the
// callbacks not yet delivered and the clock, in one JSON file replaced
// atomically.
package state

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tssim/tssim/internal/delivery"
	"github.com/tssim/tssim/internal/domain"
)

// version is the version of the state file's format.
const version = 1

// State is what --state-file keeps across restarts: the world, the
// callbacks not yet delivered, and the clock. The journals are not kept.
type State struct {
	Version int       `json:"version"`
	Clock   time.Time `json:"clock"`
	domain.Snapshot
	Deliveries []delivery.Pending `json:"deliveries"`
}

// Read reads a state file; a missing file is no state (nil).
func Read(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("state file %s is corrupt: %w (remove it to start from the fixtures)", path, err)
	}
	if st.Version != version {
		return nil, fmt.Errorf("state file %s has version %d, this tssim reads version %d (remove it to start from the fixtures)", path, st.Version, version)
	}
	for i, a := range st.Actions {
		if a.Scenario == nil || a.Fired < 0 || a.Fired > len(a.Scenario.Steps) || a.Device == nil {
			return nil, fmt.Errorf("state file %s is corrupt: /actions/%d is incomplete (remove it to start from the fixtures)", path, i)
		}
	}
	for i, d := range st.Devices {
		if d == nil || d.EID == "" {
			return nil, fmt.Errorf("state file %s is corrupt: /devices/%d has no EID (remove it to start from the fixtures)", path, i)
		}
	}
	return &st, nil
}

// Write writes the state file atomically: a reader sees the old file or
// the new one, never a part.
func Write(path string, st *State) error {
	st.Version = version
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
