package golang

import (
	"io"
	"strings"
	"sync"
)

const (
	maxLineBytes     = 16 << 10 // longer lines are cut
	maxCapturedBytes = 1 << 20  // output kept for error parsing
)

// lineWriter receives the go command's output, removes build-machine paths
// line by line, passes each line on to the build log as soon as it is
// complete and keeps the first MiB for parsing errors. A failing log
// writer does not fail the build: the log is a view of it.
type lineWriter struct {
	mu       sync.Mutex
	out      io.Writer
	rewrite  func(string) string
	partial  []byte
	captured []string
	size     int
}

func newLineWriter(out io.Writer, rewrite func(string) string) *lineWriter {
	return &lineWriter{out: out, rewrite: rewrite}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := strings.IndexByte(string(p), '\n')
		if i < 0 {
			w.partial = append(w.partial, p...)
			if len(w.partial) > maxLineBytes {
				w.emit(string(w.partial[:maxLineBytes]), true)
				w.partial = w.partial[:0]
			}
			break
		}
		line := string(append(w.partial, p[:i]...))
		w.partial = w.partial[:0]
		p = p[i+1:]
		if len(line) > maxLineBytes {
			line = line[:maxLineBytes]
		}
		w.emit(line, true)
	}
	return n, nil
}

// Line writes one line of the builder's own to the log; it is not parsed.
func (w *lineWriter) Line(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.emit(s, false)
}

// Flush emits a last line that had no newline.
func (w *lineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.emit(string(w.partial), true)
		w.partial = w.partial[:0]
	}
}

// Captured returns the go output lines kept so far.
func (w *lineWriter) Captured() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.captured...)
}

func (w *lineWriter) emit(line string, fromGo bool) {
	line = strings.TrimRight(line, "\r")
	if fromGo {
		line = w.rewrite(line)
		if w.size+len(line) <= maxCapturedBytes {
			w.captured = append(w.captured, line)
			w.size += len(line)
		}
	}
	_, _ = io.WriteString(w.out, line+"\n")
}
