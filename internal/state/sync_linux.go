package state

import (
	"os"
	"syscall"
)

// datasync flushes f's data, and its size when it grew, but not its times:
// a commit that writes over a log's earlier commits costs no journal
// entry of the file system.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
