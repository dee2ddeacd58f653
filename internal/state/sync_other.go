//go:build !linux

package state

import "os"

// datasync flushes f (fdatasync where there is one).
func datasync(f *os.File) error { return f.Sync() }
