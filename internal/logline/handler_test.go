package logline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pair is a Handler and the slog handler it stands for, each writing into
// its own buffer.
type pair struct {
	format       string
	ours, theirs bytes.Buffer
	h            *Handler
	slog         slog.Handler
}

func newPair(format string, level slog.Leveler) *pair {
	p := &pair{format: format}
	o := &slog.HandlerOptions{Level: level}
	if format == "json" {
		p.h, p.slog = NewJSONHandler(&p.ours, level), slog.NewJSONHandler(&p.theirs, o)
	} else {
		p.h, p.slog = NewTextHandler(&p.ours, level), slog.NewTextHandler(&p.theirs, o)
	}
	return p
}

// same fails t unless both handlers wrote the same, and empties both.
func (p *pair) same(t testing.TB, what string) {
	t.Helper()
	if ours, theirs := p.ours.Bytes(), p.theirs.Bytes(); !bytes.Equal(ours, theirs) {
		i := 0
		for i < len(ours) && i < len(theirs) && ours[i] == theirs[i] {
			i++
		}
		from := max(0, i-80)
		t.Fatalf("%s, %s: from byte %d,\nslog wrote %q\nwe wrote   %q", p.format, what, from,
			theirs[from:min(len(theirs), i+80)], ours[from:min(len(ours), i+80)])
	}
	p.ours.Reset()
	p.theirs.Reset()
}

// handle has both handlers handle the record of t, level, msg and attrs,
// ours both as a slog.Record and as Write gives it, and fails t unless all
// three lines are the same.
func (p *pair) handle(t testing.TB, tm time.Time, level slog.Level, msg string, attrs ...slog.Attr) {
	t.Helper()
	ctx := context.Background()
	r := slog.NewRecord(tm, level, msg, 0)
	r.AddAttrs(attrs...)
	if err := p.slog.Handle(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := p.h.Handle(ctx, r); err != nil {
		t.Fatal(err)
	}
	p.same(t, "Handle")
	if err := p.slog.Handle(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := p.h.write(tm, level, msg, attrs); err != nil {
		t.Fatal(err)
	}
	p.same(t, "write")
}

var formats = []string{"text", "json"}

func TestSameAsSlog(t *testing.T) {
	now := time.Date(2025, 3, 9, 14, 5, 7, 123456789, time.UTC)
	times := map[string]time.Time{
		"now":          now,
		"local":        now.Local(),
		"zero":         {},
		"whole second": now.Truncate(time.Second),
		"whole milli":  now.Truncate(time.Millisecond),
		"10µs":         now.Truncate(time.Second).Add(10 * time.Microsecond),
		"east":         now.In(time.FixedZone("CET", 3600)),
		"west":         now.In(time.FixedZone("", -(9*3600 + 30*60))),
		"year 0":       time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		"year 10000":   time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		"year -1":      time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	lines := []struct {
		name  string
		level slog.Level
		msg   string
		attrs []slog.Attr
	}{
		{"request", slog.LevelInfo, "request", []slog.Attr{
			slog.String("method", "GET"), slog.String("path", "/api/m2m/v1/devices/actions/list"), slog.Int("status", 200),
			slog.String("errorCode", ""), slog.String("requestId", "2f1c7a4e-8d1b-4c5e-9a3f-6b2d0e7f1a9c"), slog.String("fault", ""),
			slog.Float64("ms", 0.123)}},
		{"callback", slog.LevelWarn, "callback", []slog.Attr{
			slog.String("requestId", "r-1"), slog.String("service", "DeviceUsage"), slog.String("eid", "89049032000000000000000000000001"),
			slog.Int("attempt", 3), slog.String("status", "Failed"), slog.String("url", "http://127.0.0.1:9/cb?a=b&c=d"),
			slog.Int("listenerStatus", 0), slog.Float64("latencyMs", 1250.5),
			slog.String("error", `Post "http://127.0.0.1:9/cb": dial tcp 127.0.0.1:9: connect: connection refused`), slog.String("delivery", "retrying")}},
		{"no attrs", slog.LevelInfo, "tssim stopping: draining requests and callback attempts", nil},
		{"empty message", slog.LevelError, "", []slog.Attr{slog.String("", "")}},
		{"levels between", slog.LevelInfo + 2, "m", []slog.Attr{slog.Int("a", 1)}},
		{"level below debug", slog.LevelDebug - 3, "m", nil},
		{"level above error", slog.LevelError + 8, "m", nil},
		{"quotes and escapes", slog.LevelInfo, `say "hi"`, []slog.Attr{
			slog.String(`k"ey`, `va"l`), slog.String("k ey", "a b"), slog.String("k=ey", "a=b"), slog.String(`back\slash`, `c:\dir`),
			slog.String("nl", "one\ntwo\r\tthree"), slog.String("ctl", "\x00\x01\x1f\x7f"), slog.String("bad", "\xff\xfe ok \xc3"),
			slog.String("unicode", "héllo wörld ☃"), slog.String("nbsp", "a\u00a0b"), slog.String("sep", "a\u2028b\u2029c"),
			slog.String("nonprint", "a\u200bb"), slog.String("html", "<a href='x'>&amp;</a>"), slog.String("brace", "{}[]:,")}},
		{"numbers", slog.LevelInfo, "n", []slog.Attr{
			slog.Int64("min", math.MinInt64), slog.Int64("max", math.MaxInt64), slog.Int("neg", -7), slog.Int("zero", 0),
			slog.Uint64("umax", math.MaxUint64), slog.Bool("t", true), slog.Bool("f", false),
			slog.Float64("nan", math.NaN()), slog.Float64("inf", math.Inf(1)), slog.Float64("-inf", math.Inf(-1)),
			slog.Float64("zero", 0), slog.Float64("-zero", math.Copysign(0, -1)), slog.Float64("tiny", 1e-7),
			slog.Float64("small", 0.000001), slog.Float64("big", 1e21), slog.Float64("almost big", 999999999999999999999.0),
			slog.Float64("e-9", 3e-9), slog.Float64("e-10", -4.5e-10), slog.Float64("e300", 1.5e300), slog.Float64("third", 1.0/3),
			slog.Float64("max", math.MaxFloat64), slog.Float64("smallest", math.SmallestNonzeroFloat64), slog.Float64("ms", 12)}},
		{"slog's own kinds", slog.LevelInfo, "fallback", []slog.Attr{
			slog.String("first", "x"), slog.Any("error", errors.New("boom")), slog.Duration("took", 1500*time.Millisecond),
			slog.Time("at", now), slog.Group("g", slog.Int("a", 1), slog.String("b", "two words")), slog.Group("empty"),
			slog.Any("bytes", []byte("a\"b")), slog.Any("nil", nil), {}, slog.String("last", "y")}},
		{"empty attr", slog.LevelInfo, "m", []slog.Attr{slog.Int("a", 1), {}, slog.Int("b", 2)}},
		{"many", slog.LevelInfo, "m", func() []slog.Attr {
			var as []slog.Attr
			for i := range 40 {
				as = append(as, slog.Int(strings.Repeat("k", i), i), slog.String("s", strings.Repeat("v ", i)))
			}
			return as
		}()},
		{"long", slog.LevelInfo, strings.Repeat("long message ", 2000), []slog.Attr{slog.String("path", strings.Repeat("/x", 20000))}},
	}
	for _, format := range formats {
		p := newPair(format, slog.LevelDebug-10)
		for _, l := range lines {
			for name, tm := range times {
				t.Run(format+"/"+l.name+"/"+name, func(t *testing.T) {
					p.handle(t, tm, l.level, l.msg, l.attrs...)
				})
			}
		}
	}
}

// TestWrite checks that Write writes through a Handler what it writes
// through slog's handler, but for the time, and nothing below the level.
func TestWrite(t *testing.T) {
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			p := newPair(format, slog.LevelInfo)
			ours, theirs := slog.New(p.h), slog.New(p.slog)
			for _, l := range []*slog.Logger{ours, theirs} {
				Write(l, slog.LevelInfo, "request", slog.String("method", "GET"), slog.String("path", "/a b"), slog.Int("status", 200),
					slog.String("errorCode", ""), slog.String("requestId", "r"), slog.String("fault", ""), slog.Float64("ms", 1.5))
				Write(l, slog.LevelDebug, "hidden", slog.Int("a", 1))
				Write(l, slog.LevelWarn, "odd", slog.Any("error", errors.New("boom")))
			}
			if got, want := withoutTime(p.ours.String()), withoutTime(p.theirs.String()); got != want {
				t.Fatalf("slog wrote %q\nwe wrote   %q", want, got)
			}
			if n := strings.Count(p.ours.String(), "\n"); n != 2 {
				t.Fatalf("wrote %d lines, want 2:\n%s", n, p.ours.String())
			}
		})
	}
}

// withoutTime removes each line's time.
func withoutTime(s string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.HasPrefix(line, "{") {
			_, rest, _ := strings.Cut(line, `",`)
			line = "{" + rest
		} else {
			_, line, _ = strings.Cut(line, " ")
		}
		out = append(out, line)
	}
	return strings.Join(out, "")
}

// TestDerived checks that the handlers WithAttrs and WithGroup return
// write what slog's do, to the same writer.
func TestDerived(t *testing.T) {
	tm := time.Date(2025, 3, 9, 14, 5, 7, 0, time.UTC)
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			p := newPair(format, nil)
			ctx := context.Background()
			r := slog.NewRecord(tm, slog.LevelInfo, "m", 0)
			r.AddAttrs(slog.Int("a", 1))
			attrs := []slog.Attr{slog.String("k", "v w")}
			_ = p.h.WithAttrs(attrs).Handle(ctx, r)
			_ = p.slog.WithAttrs(attrs).Handle(ctx, r)
			_ = p.h.WithGroup("g").WithAttrs(attrs).Handle(ctx, r)
			_ = p.slog.WithGroup("g").WithAttrs(attrs).Handle(ctx, r)
			p.same(t, "derived")
		})
	}
}

func TestEnabled(t *testing.T) {
	var lv slog.LevelVar
	for _, level := range []slog.Leveler{nil, slog.LevelDebug, slog.LevelError, &lv} {
		h := NewTextHandler(io.Discard, level)
		s := slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: level})
		for _, l := range []slog.Level{slog.LevelDebug - 1, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelError + 1} {
			lv.Set(l)
			for _, at := range []slog.Level{slog.LevelDebug - 1, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelError + 1} {
				if got, want := h.Enabled(context.Background(), at), s.Enabled(context.Background(), at); got != want {
					t.Errorf("level %v, set %v: Enabled(%v) = %v, slog says %v", level, l, at, got, want)
				}
			}
		}
	}
}

// oneAtATime fails the test if two writes overlap.
type oneAtATime struct {
	t       *testing.T
	writing atomic.Bool
	lines   atomic.Int64
}

func (w *oneAtATime) Write(p []byte) (int, error) {
	if !w.writing.CompareAndSwap(false, true) {
		w.t.Error("two writes at once")
	}
	defer w.writing.Store(false)
	w.lines.Add(int64(bytes.Count(p, []byte("\n"))))
	return len(p), nil
}

// TestSerialised checks that the lines a Handler writes itself and those
// it leaves to slog's handler are written one at a time, one per Write.
func TestSerialised(t *testing.T) {
	w := &oneAtATime{t: t}
	l := slog.New(NewJSONHandler(w, nil))
	const goroutines, lines = 8, 200
	done := make(chan struct{})
	for range goroutines {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range lines {
				switch i % 3 {
				case 0:
					Write(l, slog.LevelInfo, "request", slog.Int("i", i))
				case 1:
					l.Info("plain", "i", i)
				default:
					l.Info("slog's", "error", errors.New("boom"))
				}
			}
		}()
	}
	for range goroutines {
		<-done
	}
	if n := w.lines.Load(); n != goroutines*lines {
		t.Fatalf("wrote %d lines, want %d", n, goroutines*lines)
	}
}

func FuzzSameAsSlog(f *testing.F) {
	f.Add("method", "GET", "status", int64(200), "ms", 0.123, uint64(1), true, "request", 0, int64(1741529107), int64(123456789), 0)
	f.Add("", "", "", int64(-1), "", math.NaN(), uint64(0), false, "", 4, int64(0), int64(0), -3600)
	f.Add("k ey", "a b", "k=ey", int64(math.MinInt64), `"q"`, math.Inf(1), uint64(math.MaxUint64), true, "m\n", -4, int64(-1), int64(999999999), 19800)
	f.Add("\x00", "\xff\xfe", "\u2028", int64(0), "\\", math.Inf(-1), uint64(7), false, "\t\r", 8, int64(253402300799), int64(1), 45296)
	f.Add("é", "a\u00a0b", "☃", int64(42), "x", 1e21, uint64(9), false, "msg", 2, int64(-62135596800), int64(0), 0)
	f.Add("k", "v", "k", int64(1), "f", 3e-9, uint64(1), true, "m", 1, int64(1e12), int64(5e8), 1)
	f.Fuzz(func(t *testing.T, sk, sv, ik string, iv int64, fk string, fv float64, uv uint64, bv bool, msg string, level int, sec, nsec int64, offset int) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("", offset%(24*3600)))
		attrs := []slog.Attr{
			slog.String(sk, sv), slog.Int64(ik, iv), slog.Float64(fk, fv), slog.Uint64(sv, uv), slog.Bool(sk, bv),
			slog.String(sv, sk), slog.Int64(fk, -iv), slog.Float64(ik, -fv), slog.String(msg, msg),
		}
		for _, format := range formats {
			p := newPair(format, slog.LevelDebug-10)
			p.handle(t, tm, slog.Level(level), msg, attrs...)
			p.handle(t, time.Time{}, slog.Level(level), msg, attrs[:3]...)
			p.handle(t, tm, slog.Level(level), msg, slog.String(sk, sv), slog.Any(ik, sv), slog.Float64(fk, fv))
		}
	})
}
