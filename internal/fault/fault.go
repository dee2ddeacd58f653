// Package fault is QA's faults on the API side: instead of its answer, or
// before it, tssim sends an error status with ThingSpace's body for it,
// waits, drops the connection or answers bytes that are not HTTP. A fault
// is asked for by one request (the X-Tssim-Fault header) or by rules set
// through /_sim/faults, which match a route (an operation's fault name in
// the catalogue, internal/thingspace), an account or a device, for the
// next N matching requests or a seeded share of them. This package parses
// and matches; the HTTP edge carries faults out.
package fault

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tssim/tssim/internal/domain"
)

// Header asks for a fault on one request: "status=429,retry-after=30s",
// "latency=2s", "drop", "garbage", combined with commas.
const Header = "X-Tssim-Fault"

// Fault is what tssim does to one request. Latency comes first; then a
// dropped connection, bytes that are not HTTP, or a status stand in for
// the answer (with none of them, the request is served, late).
type Fault struct {
	Status int `json:"status,omitempty"`
	// RetryAfter is sent as Retry-After, in seconds, with Status.
	RetryAfter domain.Duration `json:"retryAfter,omitempty"`
	Latency    domain.Duration `json:"latency,omitempty"`
	Drop       bool            `json:"drop,omitempty"`
	Garbage    bool            `json:"garbage,omitempty"`
}

// Replaces reports whether the fault stands in for the answer: the request
// is not served.
func (f Fault) Replaces() bool { return f.Status != 0 || f.Drop || f.Garbage }

// What a fault does in place of the answer, or before it (Effect).
const (
	EffectDrop    = "drop"
	EffectGarbage = "garbage"
	EffectStatus  = "status"
	EffectLatency = "latency"
)

// Effect is what stands in for the answer, the first of drop, garbage and
// status the fault has, else latency: the edge carries out that one.
func (f Fault) Effect() string {
	switch {
	case f.Drop:
		return EffectDrop
	case f.Garbage:
		return EffectGarbage
	case f.Status != 0:
		return EffectStatus
	}
	return EffectLatency
}

// String is the fault in the header's syntax, as the journal shows it.
func (f Fault) String() string {
	var parts []string
	if f.Status != 0 {
		parts = append(parts, "status="+strconv.Itoa(f.Status))
	}
	if f.RetryAfter != 0 {
		parts = append(parts, "retry-after="+time.Duration(f.RetryAfter).String())
	}
	if f.Latency != 0 {
		parts = append(parts, "latency="+time.Duration(f.Latency).String())
	}
	if f.Drop {
		parts = append(parts, "drop")
	}
	if f.Garbage {
		parts = append(parts, "garbage")
	}
	return strings.Join(parts, ",")
}

// Parse reads the X-Tssim-Fault header.
func Parse(v string) (Fault, error) {
	var f Fault
	for part := range strings.SplitSeq(v, ",") {
		key, val, hasVal := strings.Cut(strings.TrimSpace(part), "=")
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		var err error
		switch {
		case key == "status" && hasVal:
			f.Status, err = strconv.Atoi(val)
			if err == nil && (f.Status < 400 || f.Status > 599) {
				err = fmt.Errorf("must be from 400 to 599")
			}
		case key == "retry-after" && hasVal:
			f.RetryAfter, err = duration(val)
		case key == "latency" && hasVal:
			f.Latency, err = duration(val)
		case key == "drop" && !hasVal:
			f.Drop = true
		case key == "garbage" && !hasVal:
			f.Garbage = true
		default:
			return Fault{}, fmt.Errorf("%s: %q is not a fault (known: status=CODE, retry-after=DURATION, latency=DURATION, drop, garbage, joined by commas)", Header, part)
		}
		if err != nil {
			return Fault{}, fmt.Errorf("%s: %s: %v", Header, part, err)
		}
	}
	if f == (Fault{}) || (f.RetryAfter != 0 && f.Status == 0) {
		return Fault{}, fmt.Errorf("%s: %q names no fault: give status=CODE (retry-after goes with it), latency=DURATION, drop or garbage", Header, v)
	}
	return f, nil
}

// duration reads a header's duration, which must not be negative.
func duration(s string) (domain.Duration, error) {
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a duration such as 30s or 1.5s", s)
	}
	return domain.Duration(v), nil
}
