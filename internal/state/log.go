package state

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/tssim/tssim/internal/change"
)

// The log of commits. A commit is appended to one of two log files beside
// the database (FILE.0.log and FILE.1.log) and synced: one write and one
// fsync, whatever it holds, before Durable returns for it. A bbolt
// transaction costs two fsyncs and a page written for every record's page:
// 1.1 ms a commit under 32 connections' deletes, where the log's takes
// 0.45 (BENCHMARKS.md). A
// checkpoint, in the background, writes the commits of the log file that
// filled to the database in one transaction, each page once for every
// record that falls in it; that file is then written again from its
// start, over what it held (its frames are numbered, and the database
// names the last it took: reading stops at the first frame that is not
// whole, and skips those the database took). At start, the commits
// the database has not taken are written to it before anything is read.

// checkpointAt is the size of the log past which its commits are written
// to the database (Store.checkpointAt).
const checkpointAt = 4 << 20

// keyLogged names, in the meta bucket, the number of the last commit the
// database holds.
var keyLogged = []byte("logged")

// logPath names the two log files of the database at path.
func logPath(path string, i int) string { return fmt.Sprintf("%s.%d.log", path, i) }

// Files are the files of the state file at path while a tssim has it
// open: its logs, then the database.
func Files(path string) []string { return []string{logPath(path, 0), logPath(path, 1), path} }

// A frame is one commit in a log file: a CRC-32C of what follows it, the
// commit's number, the length of its worlds, and its worlds.
const frameHeader = 4 + 8 + 4

// appendFrame appends the frame of commit number n.
func appendFrame(dst []byte, n uint64, worlds []World) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, frameHeader)...)
	for _, w := range worlds {
		dst = appendWorld(dst, w)
	}
	binary.BigEndian.PutUint64(dst[start+4:], n)
	binary.BigEndian.PutUint32(dst[start+12:], uint32(len(dst)-start-frameHeader))
	binary.BigEndian.PutUint32(dst[start:], crc(dst[start+4:]))
	return dst
}

func crc(b []byte) uint32 { return checksum(nil, b) }

func appendWorld(dst []byte, w World) []byte {
	clk, _ := w.Clock.MarshalBinary()
	dst = appendBytes(appendBytes(dst, []byte(w.Name)), clk)
	dst = appendBool(dst, w.Gone)
	dst = binary.AppendUvarint(dst, uint64(len(w.Sets)))
	for _, s := range w.Sets {
		dst = appendBool(dst, s.Reset)
		dst = binary.AppendUvarint(dst, uint64(len(s.Records)))
		for _, r := range s.Records {
			dst = appendBytes(appendBytes(dst, []byte(r.Kind)), []byte(r.ID))
			dst = appendBool(dst, r.Value != nil)
			if r.Value != nil {
				dst = appendBytes(dst, r.Value)
			}
		}
	}
	return dst
}

func appendBytes(dst, b []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(b))), b...)
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// frame is one commit read back from a log file.
type frame struct {
	n      uint64
	worlds []World
}

// errDamagedLog is a log that holds what no crash leaves: a commit that
// matches its checksum and does not decode, or one the database needs
// after one that does not match.
var errDamagedLog = errors.New("the log is damaged")

// readFrames reads the frames of a log, past its header, from its start
// up to the first that is cut short or does not match its checksum: the
// write a crash cut, or the rest of a frame the file held before it was
// written over. No frame numbered after the database's last (after) may
// follow that point: a crash cuts the last frame only, and what was
// written over had been taken by the database.
func readFrames(data []byte, after uint64) ([]frame, error) {
	var out []frame
	for len(data) > 0 {
		size, ok := whole(data)
		if !ok {
			for i := 1; i+frameHeader <= len(data); i++ {
				if n := binary.BigEndian.Uint64(data[i+4:]); n > after && n-after <= 1<<32 {
					if _, ok := whole(data[i:]); ok {
						return out, fmt.Errorf("%w: commit %d follows one that does not match its checksum", errDamagedLog, n)
					}
				}
			}
			break
		}
		d := decoder{b: data[frameHeader : frameHeader+size]}
		f := frame{n: binary.BigEndian.Uint64(data[4:])}
		for len(d.b) > 0 && d.err == nil {
			f.worlds = append(f.worlds, d.world())
		}
		if d.err != nil {
			return out, fmt.Errorf("%w: commit %d does not decode: %v", errDamagedLog, f.n, d.err)
		}
		out = append(out, f)
		data = data[frameHeader+size:]
	}
	return out, nil
}

// whole reports whether data starts with a frame that matches its
// checksum, and the length of its worlds.
func whole(data []byte) (int, bool) {
	if len(data) < frameHeader {
		return 0, false
	}
	size := int(binary.BigEndian.Uint32(data[12:]))
	return size, size <= len(data)-frameHeader && crc(data[4:frameHeader+size]) == binary.BigEndian.Uint32(data)
}

// decoder reads what appendWorld wrote; err is set at the first fault.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) bool() bool {
	if len(d.b) == 0 || d.b[0] > 1 {
		d.fail()
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = io.ErrUnexpectedEOF
	}
	d.b = nil
}

// count reads a count of items each at least min bytes long.
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)/min) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) world() World {
	w := World{Name: string(d.bytes())}
	if err := w.Clock.UnmarshalBinary(d.bytes()); err != nil && d.err == nil {
		d.err = err
	}
	w.Gone = d.bool()
	w.Sets = make([]change.Set, d.count(2))
	for i := range w.Sets {
		w.Sets[i].Reset = d.bool()
		w.Sets[i].Records = make([]change.Record, d.count(3))
		for j := range w.Sets[i].Records {
			r := change.Record{Kind: string(d.bytes()), ID: string(d.bytes())}
			if d.bool() {
				r.Value = slices.Clone(d.bytes())
			}
			w.Sets[i].Records[j] = r
		}
	}
	return w
}

// A log file starts with a header: logMagic and the id of its database
// (meta's "id"), so that the logs of a database that was removed are not
// read into the new one.
const logHeader = 16

var (
	logMagic = []byte("tssimlog")
	keyID    = []byte("id")
)

// logs reads the frames of both log files of the database at path, whose
// id is id, that follow commit number after, in order: those of commits
// the database does not hold yet. A log of another database (or none) is
// skipped.
func logs(path string, id []byte, after uint64) ([]frame, error) {
	var all []frame
	for i := range 2 {
		data, err := os.ReadFile(logPath(path, i))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if len(data) < logHeader || !bytes.Equal(data[:logHeader], slices.Concat(logMagic, id)) {
			continue
		}
		frames, err := readFrames(data[logHeader:], after)
		if err != nil {
			return nil, &logError{file: logPath(path, i), err: err}
		}
		for _, f := range frames {
			if f.n > after {
				all = append(all, f)
			}
		}
	}
	slices.SortFunc(all, func(a, b frame) int { return cmp.Compare(a.n, b.n) })
	// A commit is logged only once the one before it is.
	for i, f := range all {
		if want := after + uint64(i) + 1; f.n != want {
			return nil, &logError{file: logPath(path, 0) + ", " + logPath(path, 1), err: fmt.Errorf("%w: commit %d is missing, %d follows", errDamagedLog, want, f.n)}
		}
	}
	return all, nil
}

// logError is a damaged log.
type logError struct {
	file string
	err  error
}

func (e *logError) Error() string { return e.file + ": " + e.err.Error() }
func (e *logError) Unwrap() error { return e.err }

// mark is the number of the last commit the database holds, and its id
// (nil until a tssim opened it for use).
func (st *Store) mark() (after uint64, id []byte) {
	_ = st.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keyLogged); len(v) == 8 {
			after = binary.BigEndian.Uint64(v)
		}
		id = slices.Clone(meta.Get(keyID))
		return nil
	})
	return after, id
}

// writeCommits writes commits to the database, in one transaction, through
// commit number through.
func (st *Store) writeCommits(worlds []World, through uint64) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		for _, w := range worlds {
			if err := commitWorld(tx, w); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyLogged, binary.BigEndian.AppendUint64(nil, through))
	})
}

// recover writes to the database the commits its logs hold that it does
// not, empties the logs, and opens them for the commits to come.
func (st *Store) recover() error {
	after, id := st.mark()
	if len(id) != 8 {
		id = binary.BigEndian.AppendUint64(nil, mathrand.Uint64())
		if err := st.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyID, id) }); err != nil {
			return err
		}
	}
	frames, err := logs(st.path, id, after)
	if err != nil {
		return st.logProblem(err)
	}
	st.next = after + 1
	if len(frames) > 0 {
		var worlds []World
		for _, f := range frames {
			worlds = append(worlds, f.worlds...)
		}
		st.next = frames[len(frames)-1].n + 1
		if err := st.writeCommits(worlds, st.next-1); err != nil {
			return err
		}
	}
	header := slices.Concat(logMagic, id)
	for i := range st.logs {
		f, err := os.OpenFile(logPath(st.path, i), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		st.logs[i] = f
		if err := f.Truncate(0); err != nil {
			return err
		}
		if _, err := f.WriteAt(header, 0); err != nil {
			return err
		}
		if err := datasync(f); err != nil {
			return err
		}
	}
	st.size = logHeader
	return syncDir(st.path)
}

// logProblem is the error of a log that cannot be read.
func (st *Store) logProblem(err error) error {
	var le *logError
	if errors.As(err, &le) {
		return fmt.Errorf("state file %s is corrupt: %w (the commits it holds are lost: remove %s, %s and %s to start from the fixtures)", st.path, err, st.path, logPath(st.path, 0), logPath(st.path, 1))
	}
	return fmt.Errorf("state file %s: reading its log: %w", st.path, err)
}

// syncDir makes the log files' names durable, as their content is by
// each commit's fsync. Windows has no fsync of a folder: a file's name is
// durable there with the file.
func syncDir(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// checkpoint is the writing of one log file's commits to the database.
type checkpoint struct {
	worlds  []World
	through uint64
	done    chan struct{}
	err     error
}

// Commit appends the changes of every world to the log, synced to disk
// when it returns, and starts a checkpoint when the log is past its
// checkpointAt. It is called from one goroutine at a time (the keeper's).
func (st *Store) Commit(worlds ...World) error {
	// The active log is full and the checkpoint of the other failed: the
	// commit fails, to be kept and tried again by the keeper with its
	// other failed ones, rather than growing the log, and the commits held
	// in memory for it, without a bound.
	if st.settle(false) && st.failed != nil && st.size >= st.checkpointAt {
		err := st.failed.err
		st.retry()
		return fmt.Errorf("writing the log to the database: %w", err)
	}
	st.buf = appendFrame(st.buf[:0], st.next, worlds)
	f := st.logs[st.active]
	// Written where the last commit ended: a write that failed halfway
	// (a full disk) is written over by the next.
	if _, err := f.WriteAt(st.buf, st.size); err != nil {
		return err
	}
	if err := datasync(f); err != nil {
		return err
	}
	st.size += int64(len(st.buf))
	st.next++
	st.logged = append(st.logged, worlds...)
	if cap(st.buf) > 1<<20 {
		st.buf = nil
	}
	if !st.settle(false) {
		return nil
	}
	switch {
	case st.failed != nil:
		st.retry()
	case st.size >= st.checkpointAt:
		st.seal()
	}
	return nil
}

// settle collects the checkpoint under way, if any, waiting for it with
// wait; it reports whether none is under way. A checkpoint that failed is
// kept, to be tried again before any other: until it succeeds, the log
// file it was for is not written to, and commits go on to the other.
func (st *Store) settle(wait bool) bool {
	c := st.ckpt
	if c == nil {
		return true
	}
	if !wait {
		select {
		case <-c.done:
		default:
			return false
		}
	}
	<-c.done
	st.ckpt = nil
	if c.err != nil {
		st.failed = c
	}
	return true
}

// seal starts the checkpoint of the active log, and makes the other one
// active.
func (st *Store) seal() {
	c := &checkpoint{worlds: st.logged, through: st.next - 1}
	st.active, st.size, st.logged = 1-st.active, logHeader, nil
	st.start(c)
}

// retry starts again the checkpoint that failed.
func (st *Store) retry() {
	c := st.failed
	st.failed = nil
	st.start(c)
}

func (st *Store) start(c *checkpoint) {
	c.done, c.err = make(chan struct{}), nil
	st.ckpt = c
	go func() {
		defer close(c.done)
		c.err = st.writeCommits(c.worlds, c.through)
	}()
}

// flush writes every commit logged to the database, waiting for it.
func (st *Store) flush() error {
	if st.logs[0] == nil {
		return nil
	}
	st.settle(true)
	if st.failed != nil {
		st.retry()
		st.settle(true)
	}
	if st.failed == nil && len(st.logged) > 0 {
		st.seal()
		st.settle(true)
	}
	if st.failed != nil {
		return fmt.Errorf("writing the log to the database: %w", st.failed.err)
	}
	return nil
}

// closeLogs flushes the logs, then removes them: a stopped tssim's state
// is its database alone. When the flush fails, the logs stay, and the
// next start writes their commits.
func (st *Store) closeLogs() error {
	if st.logs[0] == nil {
		return nil
	}
	err := st.flush()
	for i, f := range st.logs {
		f.Close()
		if err == nil {
			err = os.Remove(logPath(st.path, i))
		}
	}
	return err
}
