//go:build unix

package delivery

import (
	"errors"
	"net"
	"syscall"
)

// closedByPeer reports whether the listener closed a kept connection, or
// sent something nobody asked for, while it was idle: a read that does not
// wait and consumes nothing. A connection that cannot be checked counts as
// closed.
func closedByPeer(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := true
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		// Nothing to read yet is the only answer of an open, quiet
		// connection; an end of stream, a byte or an error all end it.
		_, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EWOULDBLOCK)
		return true
	})
	return err != nil || closed
}
