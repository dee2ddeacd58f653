package logline

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// Handler writes what slog's TextHandler or JSONHandler writes, byte for
// byte, but formats a record whose attributes are all strings, integers,
// floats or booleans straight into a pooled buffer: no Value is resolved,
// no handler state is set up and nothing is allocated per attribute. Any
// other record, and any handler derived with WithAttrs or WithGroup, is
// slog's own handler's work.
//
// Like slog's handlers, a Handler writes each line with one call to the
// writer's Write, and never two at once.
type Handler struct {
	json  bool
	level slog.Leveler
	w     *lockedWriter
	slog  slog.Handler
	// last is the second the last line was written in, formatted.
	last atomic.Pointer[second]
}

// NewTextHandler returns a Handler that writes what
// slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}) writes.
func NewTextHandler(w io.Writer, level slog.Leveler) *Handler {
	lw := &lockedWriter{w: w}
	return &Handler{level: level, w: lw, slog: slog.NewTextHandler(lw, &slog.HandlerOptions{Level: level})}
}

// NewJSONHandler returns a Handler that writes what
// slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}) writes.
func NewJSONHandler(w io.Writer, level slog.Leveler) *Handler {
	lw := &lockedWriter{w: w}
	return &Handler{json: true, level: level, w: lw, slog: slog.NewJSONHandler(lw, &slog.HandlerOptions{Level: level})}
}

// lockedWriter serialises the writes of a Handler and of the slog handler
// it hands records to, as one slog handler does for itself.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Enabled reports whether level is at least the handler's level (Info if
// it has none).
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	least := slog.LevelInfo
	if h.level != nil {
		least = h.level.Level()
	}
	return level >= least
}

// Handle writes r.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	plain := plainTime(r.Time)
	if plain {
		r.Attrs(func(a slog.Attr) bool {
			plain = plainValue(a.Value)
			return plain
		})
	}
	if !plain {
		return h.slog.Handle(ctx, r)
	}
	b := h.head(r.Time, r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		*b = h.appendAttr(*b, a)
		return true
	})
	return h.end(b)
}

// WithAttrs returns slog's handler with attrs.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.slog.WithAttrs(attrs)
}

// WithGroup returns slog's handler with the group name.
func (h *Handler) WithGroup(name string) slog.Handler {
	return h.slog.WithGroup(name)
}

// write writes the record of t, level, msg and attrs, which the caller has
// found enabled, without making a slog.Record of them.
func (h *Handler) write(t time.Time, level slog.Level, msg string, attrs []slog.Attr) error {
	plain := plainTime(t)
	for _, a := range attrs {
		plain = plain && plainValue(a.Value)
	}
	if !plain {
		r := slog.NewRecord(t, level, msg, 0)
		r.AddAttrs(attrs...)
		return h.slog.Handle(context.Background(), r)
	}
	b := h.head(t, level, msg)
	for _, a := range attrs {
		*b = h.appendAttr(*b, a)
	}
	return h.end(b)
}

// plainTime reports whether slog writes t as this package does: slog's
// JSON handler adds an error to a time whose year has not four digits, and
// appendTime counts on four.
func plainTime(t time.Time) bool {
	y := t.Year()
	return y >= 0 && y < 10000
}

// plainValue reports whether v is of a kind this package formats itself.
// The zero Value (and so the empty Attr, which slog leaves out) is not.
func plainValue(v slog.Value) bool {
	switch v.Kind() {
	case slog.KindString, slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindBool:
		return true
	}
	return false
}

// A line fits in this as a rule: even the request line with the longest
// path the journal keeps does.
const lineSize = 1 << 10

// Buffers longer than this are left to the garbage collector, as slog's are.
const maxPooled = 16 << 10

var buffers = sync.Pool{New: func() any {
	b := make([]byte, 0, lineSize)
	return &b
}}

// head returns a pooled buffer holding the start of the line: time, level
// and message.
func (h *Handler) head(t time.Time, level slog.Level, msg string) *[]byte {
	p := buffers.Get().(*[]byte)
	b := (*p)[:0]
	if h.json {
		b = append(b, '{')
		if !t.IsZero() {
			b = append(b, `"time":"`...)
			b = h.appendTime(b, t, false)
			b = append(b, `",`...)
		}
		b = append(b, `"level":`...)
		b = appendJSONString(b, level.String())
		b = append(b, `,"msg":`...)
		b = appendJSONString(b, msg)
	} else {
		if !t.IsZero() {
			b = append(b, "time="...)
			b = h.appendTime(b, t, true)
			b = append(b, ' ')
		}
		b = append(b, "level="...)
		b = appendTextString(b, level.String())
		b = append(b, " msg="...)
		b = appendTextString(b, msg)
	}
	*p = b
	return p
}

// appendAttr appends a, of a kind plainValue accepts, with the separator
// that goes before it.
func (h *Handler) appendAttr(b []byte, a slog.Attr) []byte {
	v := a.Value
	k := v.Kind()
	if h.json {
		b = append(b, ',')
		b = appendJSONString(b, a.Key)
		b = append(b, ':')
		switch k {
		case slog.KindString:
			return appendJSONString(b, v.String())
		case slog.KindFloat64:
			return appendJSONFloat(b, v.Float64())
		}
	} else {
		b = append(b, ' ')
		b = appendTextString(b, a.Key)
		b = append(b, '=')
		switch k {
		case slog.KindString:
			return appendTextString(b, v.String())
		case slog.KindFloat64:
			return strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
		}
	}
	switch k {
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	default:
		return strconv.AppendBool(b, v.Bool())
	}
}

// end finishes the line in p, writes it and gives p back to the pool.
func (h *Handler) end(p *[]byte) error {
	b := *p
	if h.json {
		b = append(b, '}')
	}
	b = append(b, '\n')
	_, err := h.w.Write(b)
	if cap(b) <= maxPooled {
		*p = b
		buffers.Put(p)
	}
	return err
}

// second is a second of a location in RFC 3339, split around where the
// fraction goes.
type second struct {
	unix       int64
	loc        *time.Location
	date, zone []byte
}

// appendTime appends t, whose year plainTime accepts, as slog's handlers
// do: RFC 3339 with the fraction truncated to exactly three digits if
// millis (the TextHandler), or with nine less the trailing zeros (the
// JSONHandler). All but the fraction is formatted once a second.
func (h *Handler) appendTime(b []byte, t time.Time, millis bool) []byte {
	unix, loc := t.Unix(), t.Location()
	s := h.last.Load()
	if s == nil || s.unix != unix || s.loc != loc {
		f := t.Truncate(time.Second).AppendFormat(nil, time.RFC3339)
		n := len("2006-01-02T15:04:05")
		s = &second{unix: unix, loc: loc, date: f[:n:n], zone: f[n:]}
		h.last.Store(s)
	}
	b = append(b, s.date...)
	ns := t.Nanosecond()
	switch {
	case millis:
		b = appendDigits(append(b, '.'), ns/1e6, 3)
	case ns != 0:
		digits := 9
		for ns%10 == 0 {
			ns /= 10
			digits--
		}
		b = appendDigits(append(b, '.'), ns, digits)
	}
	return append(b, s.zone...)
}

// appendDigits appends n, which has at most digits digits, zero-padded to
// digits digits.
func appendDigits(b []byte, n, digits int) []byte {
	b = append(b, "000000000"[:digits]...)
	for i := len(b) - 1; n > 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return b
}

// appendTextString appends s as slog's TextHandler does: as it is, or
// quoted by strconv.Quote if it is empty or holds a space, '=', '"', a
// control character, a rune that is not printable or invalid UTF-8.
func appendTextString(b []byte, s string) []byte {
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		if !bare[s[i]] {
			return quotedFrom(s, i)
		}
	}
	return false
}

// quotedFrom is needsQuoting of s, whose bytes before i are bare.
func quotedFrom(s string, i int) bool {
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if !bare[c] {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

// bare holds true for the bytes a TextHandler writes as they are: ASCII
// but control characters, space, '=' and '"'.
var bare = func() (t [256]bool) {
	for c := '!'; c < utf8.RuneSelf; c++ {
		t[c] = c != '=' && c != '"'
	}
	return t
}()

// unescaped holds true for the bytes encoding/json writes as they are in a
// string: ASCII but control characters, '"' and '\\'.
var unescaped = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s quoted as slog's JSONHandler does: as
// encoding/json does without escaping HTML.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if unescaped[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONFloat appends f as slog's JSONHandler does: as encoding/json
// does, or, for NaN and the infinities, which JSON lacks, the error
// encoding/json returns, as a string.
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		b = append(b, `"!ERROR:json: unsupported value: `...)
		b = strconv.AppendFloat(b, f, 'g', -1, 64)
		return append(b, '"')
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 is written e-9.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
