package logline

import (
	"io"
	"log/slog"
	"testing"
)

// BenchmarkRequestLine writes the line tssim writes for every request,
// through slog's handler and through a Handler, in both formats.
func BenchmarkRequestLine(b *testing.B) {
	handlers := []struct {
		name string
		h    slog.Handler
	}{
		{"text/slog", slog.NewTextHandler(io.Discard, nil)},
		{"text/logline", NewTextHandler(io.Discard, nil)},
		{"json/slog", slog.NewJSONHandler(io.Discard, nil)},
		{"json/logline", NewJSONHandler(io.Discard, nil)},
	}
	for _, h := range handlers {
		l := slog.New(h.h)
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Write(l, slog.LevelInfo, "request",
					slog.String("method", "POST"), slog.String("path", "/api/m2m/v1/devices/actions/list"), slog.Int("status", 200),
					slog.String("errorCode", ""), slog.String("requestId", "2f1c7a4e-8d1b-4c5e-9a3f-6b2d0e7f1a9c"), slog.String("fault", ""),
					slog.Float64("ms", 0.123))
			}
		})
	}
}
