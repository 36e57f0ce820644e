package hostfn

import (
	"bytes"
	"log/slog"
	"time"
)

// Log streams.
const (
	StreamLog    = "log"    // the kiln.log host call (the Go SDK's Logger)
	StreamStdout = "stdout" // the guest's standard output, where it is not the response
	StreamStderr = "stderr" // the guest's standard error
	StreamKiln   = "kiln"   // lines the platform adds about the guest's host calls
)

// LogLine is one line a guest logged.
type LogLine struct {
	Time    time.Time
	Level   slog.Level
	Stream  string // StreamLog, StreamStdout or StreamStderr
	Message string
}

// Logs collects an invocation's log lines up to a byte limit on their
// messages. Past the limit lines are cut and dropped, never failing the
// guest: logs are evidence, not output. Not safe for concurrent use; a
// guest's host calls run one at a time.
type Logs struct {
	max       int
	used      int
	lines     []LogLine
	truncated bool
	partial   [2][]byte // unterminated stdout, stderr text
}

// NewLogs returns an empty collection keeping at most max message bytes.
func NewLogs(max int) *Logs { return &Logs{max: max} }

// Reset empties l for a new invocation with a new limit.
func (l *Logs) Reset(max int) {
	l.max = max
	l.used = 0
	l.lines = nil
	l.truncated = false
	l.partial[0] = l.partial[0][:0]
	l.partial[1] = l.partial[1][:0]
}

// Add records one line.
func (l *Logs) Add(level slog.Level, stream string, msg []byte) {
	if l.truncated {
		return
	}
	if room := l.max - l.used; len(msg) > room {
		l.truncated = true
		if room <= 0 {
			return
		}
		msg = msg[:room]
	}
	l.used += len(msg)
	l.lines = append(l.lines, LogLine{Time: time.Now(), Level: level, Stream: stream, Message: string(msg)})
}

// Lines returns the lines recorded, after flushing unterminated output.
// The slice is the caller's; l starts afresh on Reset.
func (l *Logs) Lines() []LogLine {
	l.Flush()
	return l.lines
}

// Truncated reports whether lines were cut or dropped at the limit.
func (l *Logs) Truncated() bool { return l.truncated }

// Flush records unterminated stdout and stderr text as lines.
func (l *Logs) Flush() {
	for i, s := range [2]string{StreamStdout, StreamStderr} {
		if len(l.partial[i]) > 0 {
			l.Add(streamLevel(s), s, l.partial[i])
			l.partial[i] = l.partial[i][:0]
		}
	}
}

func streamLevel(stream string) slog.Level {
	if stream == StreamStderr {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// writeStream splits p into lines of the stream.
func (l *Logs) writeStream(i int, stream string, p []byte) {
	for len(p) > 0 {
		nl := bytes.IndexByte(p, '\n')
		if nl < 0 {
			if l.truncated {
				return
			}
			l.partial[i] = append(l.partial[i], p...)
			// An endless line must not grow without bound.
			if len(l.partial[i]) > l.max {
				l.Add(streamLevel(stream), stream, l.partial[i])
				l.partial[i] = l.partial[i][:0]
			}
			return
		}
		line := p[:nl]
		if len(l.partial[i]) > 0 {
			l.partial[i] = append(l.partial[i], line...)
			line = l.partial[i]
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		l.Add(streamLevel(stream), stream, line)
		l.partial[i] = l.partial[i][:0]
		p = p[nl+1:]
	}
}
