// Package logline writes the log lines tssim writes on every request and
// every callback attempt, at a fraction of slog's usual cost.
package logline

import (
	"context"
	"log/slog"
	"time"
)

// Write is l.LogAttrs without the caller's program counter, which slog
// looks up for every record whether the handler shows the source or not:
// the request and callback lines never show it. When l's handler is a
// Handler, the attributes go straight into the line, not into a
// slog.Record, which allocates for more than five of them.
func Write(l *slog.Logger, level slog.Level, msg string, attrs ...slog.Attr) {
	ctx := context.Background()
	h := l.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	if lh, ok := h.(*Handler); ok {
		_ = lh.write(time.Now(), level, msg, attrs)
		return
	}
	r := slog.NewRecord(time.Now(), level, msg, 0)
	r.AddAttrs(attrs...)
	_ = h.Handle(ctx, r)
}
