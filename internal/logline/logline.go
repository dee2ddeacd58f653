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
// the request and callback lines never show it.
func Write(l *slog.Logger, level slog.Level, msg string, attrs ...slog.Attr) {
	ctx := context.Background()
	h := l.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	r := slog.NewRecord(time.Now(), level, msg, 0)
	r.AddAttrs(attrs...)
	_ = h.Handle(ctx, r)
}
