package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// flushingWriter buffers log lines and writes them out every interval (or
// when the buffer fills), so that a busy simulator makes one write call per
// batch of lines rather than one per line. Close writes what is left.
type flushingWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newFlushingWriter(w io.Writer, interval time.Duration) *flushingWriter {
	f := &flushingWriter{buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				f.flush()
			case <-f.stop:
				f.flush()
				return
			}
		}
	}()
	return f
}

func (f *flushingWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.buf.Write(p)
}

func (f *flushingWriter) flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = f.buf.Flush()
}

// Close flushes and stops the flushing goroutine.
func (f *flushingWriter) Close() error {
	close(f.stop)
	<-f.done
	return nil
}
