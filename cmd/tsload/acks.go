package main

import (
	"net"
	"sync"
	"time"
)

// ackListener counts acknowledged callbacks.
type ackListener struct {
	url string

	mu   sync.Mutex
	acks int64
	last time.Time
	// reached is closed when acks reaches target.
	target  int64
	reached chan struct{}
}

// newAckListener listens at addr ("127.0.0.1:0" for any port).
func newAckListener(addr string) (*ackListener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	l := &ackListener{url: "http://" + ln.Addr().String() + "/callbacks"}
	go serveAcks(ln, l.ack)
	return l, nil
}

func (l *ackListener) ack() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acks++
	l.last = time.Now()
	if l.reached != nil && l.acks >= l.target {
		close(l.reached)
		l.reached = nil
	}
}

// count returns the acknowledgements so far and when the last one came.
func (l *ackListener) count() (int64, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acks, l.last
}

// await waits until n acknowledgements in all have come, for at most d,
// and reports whether they did.
func (l *ackListener) await(n int64, d time.Duration) bool {
	l.mu.Lock()
	if l.acks >= n {
		l.mu.Unlock()
		return true
	}
	reached := make(chan struct{})
	l.target, l.reached = n, reached
	l.mu.Unlock()
	select {
	case <-reached:
		return true
	case <-time.After(d):
		return false
	}
}
