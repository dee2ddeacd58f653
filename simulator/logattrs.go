package simulator

import (
	"context"
	"log/slog"
	"time"
)

// logAttrs is l.LogAttrs without the caller's program counter, which slog
// looks up for every record whether the handler shows the source or not:
// the request and callback lines, one each per request and per attempt,
// never show it.
func logAttrs(l *slog.Logger, level slog.Level, msg string, attrs ...slog.Attr) {
	ctx := context.Background()
	h := l.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	r := slog.NewRecord(time.Now(), level, msg, 0)
	r.AddAttrs(attrs...)
	_ = h.Handle(ctx, r)
}
