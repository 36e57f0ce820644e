package bus

import (
	"context"
	"fmt"
	"log/slog"
)

// natsLogger forwards the NATS server's log lines to a slog.Logger, tagged
// component=nats. Notices go to Debug: at startup nats-server prints a
// banner of some thirty notice lines that would bury Kiln's own Info
// output, and what a node operator needs (warnings, errors) keeps its level.
// Debug and trace lines are only produced if enabled on the server, which
// Kiln does not do.
type natsLogger struct{ l *slog.Logger }

func (n natsLogger) log(level slog.Level, format string, v ...any) {
	if n.l.Enabled(context.Background(), level) {
		n.l.Log(context.Background(), level, fmt.Sprintf(format, v...), "component", "nats")
	}
}

func (n natsLogger) Noticef(format string, v ...any) { n.log(slog.LevelDebug, format, v...) }
func (n natsLogger) Warnf(format string, v ...any)   { n.log(slog.LevelWarn, format, v...) }
func (n natsLogger) Fatalf(format string, v ...any)  { n.log(slog.LevelError, format, v...) }
func (n natsLogger) Errorf(format string, v ...any)  { n.log(slog.LevelError, format, v...) }
func (n natsLogger) Debugf(format string, v ...any)  { n.log(slog.LevelDebug-4, format, v...) }
func (n natsLogger) Tracef(format string, v ...any)  { n.log(slog.LevelDebug-8, format, v...) }
