package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// rawConn is a keep-alive HTTP/1.1 client of our own on one connection: it
// writes requests rendered beforehand and reads answers that carry a
// Content-Length, which is all tssim and the minimal handler send. It costs
// a fraction of net/http's client, so that the load generator leaves the
// cores to the servers it measures.
type rawConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(addr string) (*rawConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &rawConn{conn: c, r: bufio.NewReaderSize(c, 16<<10)}, nil
}

// renderPost renders a POST with its headers and body.
func renderPost(host, path string, header http.Header, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\n", path, host)
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
	b.Write(body)
	return b.Bytes()
}

// do sends one rendered request and returns the answer's status.
func (c *rawConn) do(req []byte) (int, error) {
	if _, err := c.conn.Write(req); err != nil {
		return 0, err
	}
	return readMessage(c.r, true)
}

// readMessage reads one HTTP/1.1 message with a Content-Length body and
// returns its status (answers) or 0 (requests).
func readMessage(r *bufio.Reader, answer bool) (int, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	status := 0
	if answer {
		f := strings.Fields(string(line))
		if len(f) < 2 {
			return 0, fmt.Errorf("bad status line %q", line)
		}
		status, _ = strconv.Atoi(f[1])
	}
	length := 0
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := strings.Cut(string(line), ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		} else if ok && strings.EqualFold(k, "Transfer-Encoding") {
			return 0, fmt.Errorf("chunked messages are not read here")
		}
	}
	_, err = r.Discard(length)
	return status, err
}

// serveAcks answers every request on ln with an empty 200 and calls ack.
func serveAcks(ln net.Listener, ack func()) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			r := bufio.NewReaderSize(c, 16<<10)
			for {
				if _, err := readMessage(r, false); err != nil {
					return
				}
				ack()
				if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")); err != nil {
					return
				}
			}
		}()
	}
}
