package hostfn

import "io"

// StreamWriter is a guest's stdout or stderr as WASI sees it: an io.Writer
// fixed when the instance is created, which writes into the log lines of
// the instance's Call (reset for each invocation) and charges it fuel by
// size.
type StreamWriter struct {
	call   *Call
	stderr bool
}

// NewStreamWriter writes the stream (stdout, or stderr if stderr) to call.
func NewStreamWriter(call *Call, stderr bool) *StreamWriter {
	return &StreamWriter{call: call, stderr: stderr}
}

var _ io.Writer = (*StreamWriter)(nil)

// Write implements io.Writer; it never fails, dropping text past the log
// limit.
func (w *StreamWriter) Write(p []byte) (int, error) {
	c := w.call
	if c.Logs == nil {
		return len(p), nil
	}
	c.Charge(Cost(len(p)))
	if w.stderr {
		c.Logs.writeStream(1, StreamStderr, p)
	} else {
		c.Logs.writeStream(0, StreamStdout, p)
	}
	return len(p), nil
}
