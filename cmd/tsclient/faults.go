package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Listener faults, for QA: tsclient listen answers the callbacks it gets
// the way a broken listener would, for the first --times of them or for
// all, so that ThingSpace's (or tssim's) retries can be watched.

// listenerFault is what --status, --delay, --hang, --drop and --garbage
// ask for.
type listenerFault struct {
	status  int
	times   int
	delay   time.Duration
	hang    bool
	drop    bool
	garbage bool
}

func (f *listenerFault) flags(fs *flag.FlagSet) {
	fs.IntVar(&f.status, "status", 0, "answer each callback with this HTTP status instead of taking it")
	fs.IntVar(&f.times, "times", 0, "limit the fault to the first N callbacks; the later ones are taken as usual (default: every callback)")
	fs.DurationVar(&f.delay, "delay", 0, "wait this long before answering each callback (with no other fault, then take it)")
	fs.BoolVar(&f.hang, "hang", false, "never answer: keep the connection open until the sender gives up")
	fs.BoolVar(&f.drop, "drop", false, "close the connection without answering")
	fs.BoolVar(&f.garbage, "garbage", false, "answer bytes that are not HTTP, then close the connection")
}

// check refuses flags that contradict each other.
func (f *listenerFault) check() error {
	n := 0
	for _, on := range []bool{f.status != 0, f.hang, f.drop, f.garbage} {
		if on {
			n++
		}
	}
	switch {
	case n > 1:
		return fmt.Errorf("listen: give one of --status, --hang, --drop and --garbage (--delay goes with any)")
	case f.status != 0 && (f.status < 100 || f.status > 599):
		return fmt.Errorf("listen: --status %d is not an HTTP status", f.status)
	case f.times < 0 || f.delay < 0:
		return fmt.Errorf("listen: --times and --delay cannot be negative")
	case f.times > 0 && n == 0 && f.delay == 0:
		return fmt.Errorf("listen: --times limits a fault: give --status, --delay, --hang, --drop or --garbage too")
	}
	return nil
}

func (f *listenerFault) on() bool {
	return f.status != 0 || f.delay > 0 || f.hang || f.drop || f.garbage
}

// String says what the listener does, as tsclient listen prints it at
// start: "answering 500 to the first 2 callbacks, then 200".
func (f *listenerFault) String() string {
	var what string
	switch {
	case f.status != 0:
		what = "answering " + strconv.Itoa(f.status)
	case f.hang:
		what = "never answering"
	case f.drop:
		what = "closing the connection without an answer"
	case f.garbage:
		what = "answering bytes that are not HTTP"
	default:
		what = "answering 200"
	}
	if f.delay > 0 {
		what = "waiting " + f.delay.String() + ", then " + what
	}
	if f.times == 0 {
		return what + " to every callback"
	}
	return fmt.Sprintf("%s to the first %d callbacks, then 200", what, f.times)
}

// faulty serves callbacks through next, but for the faulted ones.
type faulty struct {
	fault listenerFault
	next  http.Handler
	out   io.Writer
	stop  <-chan struct{}

	mu   sync.Mutex
	seen int
}

func (h *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.seen++
	n := h.seen
	h.mu.Unlock()
	f := h.fault
	if f.times > 0 && n > f.times {
		h.next.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var cb struct {
		RequestID     string `json:"requestId"`
		Status        string `json:"status"`
		CallbackCount int    `json:"callbackCount"`
	}
	_ = json.Unmarshal(body, &cb)
	say := func(what string) {
		fmt.Fprintf(h.out, "fault    #%d requestId=%s status=%s callbackCount=%d: %s\n", n, cb.RequestID, cb.Status, cb.CallbackCount, what)
	}
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-r.Context().Done():
			say("the sender gave up during --delay")
			return
		}
	}
	switch {
	case f.status != 0:
		say("answered " + strconv.Itoa(f.status))
		w.WriteHeader(f.status)
	case f.hang:
		say("not answering")
		select {
		case <-r.Context().Done():
		case <-h.stop:
		}
	case f.drop, f.garbage:
		if f.drop {
			say("closed the connection")
		} else {
			say("answered garbage")
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		if f.garbage {
			_, _ = conn.Write([]byte("\x00\xfftsclient garbage: this is not an HTTP answer\r\n\r\n"))
		}
		_ = conn.Close()
	default:
		say("answered after --delay")
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		h.next.ServeHTTP(w, r)
	}
}
