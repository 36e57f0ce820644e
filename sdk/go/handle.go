package kiln

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
)

var handler http.Handler

// Handle registers the function's handler. Call it from an init function;
// a later call replaces the handler.
func Handle(h http.Handler) { handler = h }

// Handler returns the registered handler (nil if none), so native tests
// can drive it with net/http/httptest.
func Handler() http.Handler { return handler }

// serve runs the handler on a request frame and returns the response
// frame, built in out (reused between requests).
func serve(frame []byte, out []byte) (resp []byte) {
	w := &responseWriter{buf: out[:0]}
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprintf("panic: %v\n\n%s", r, debug.Stack())
			resp = binary.LittleEndian.AppendUint32(out[:0], http.StatusInternalServerError)
			resp = binary.LittleEndian.AppendUint32(resp, flagPanic)
			resp = appendHeader(resp, nil)
			resp = appendStr(resp, msg)
		}
	}()
	fr, err := parseRequest(frame)
	if err != nil {
		return w.fail(http.StatusBadRequest, "kiln: malformed request frame")
	}
	w.limit = int(fr.limit)
	u, err := url.ParseRequestURI(fr.url)
	if err != nil {
		return w.fail(http.StatusBadRequest, "kiln: bad request URI")
	}
	var body io.ReadCloser = http.NoBody
	if len(fr.body) > 0 {
		// Copied: the frame's buffer is reused by the next request, and a
		// handler may keep the body.
		body = io.NopCloser(bytes.NewReader(bytes.Clone(fr.body)))
	}
	r := &http.Request{
		Method:        fr.method,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        fr.header,
		Body:          body,
		ContentLength: int64(len(fr.body)),
		Host:          fr.host,
		RemoteAddr:    fr.remoteAddr,
		RequestURI:    fr.url,
	}
	if handler == nil {
		return w.fail(http.StatusInternalServerError, "kiln: no handler registered: call kiln.Handle from an init function")
	}
	handler.ServeHTTP(w, r)
	return w.finish()
}

// responseWriter writes the response frame as the handler goes: the
// header block when the status is written, then body bytes after it, so
// the body is copied once.
type responseWriter struct {
	header    http.Header
	buf       []byte
	limit     int // body bytes allowed; 0: none
	status    int
	bodyStart int
	truncated bool
}

func (w *responseWriter) Header() http.Header {
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	w.status = code
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(code))
	w.buf = binary.LittleEndian.AppendUint32(w.buf, 0) // flags, set by finish
	w.buf = appendHeader(w.buf, w.header)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, 0) // body length, set by finish
	w.bodyStart = len(w.buf)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		if w.Header().Get("Content-Type") == "" && w.header.Get("Transfer-Encoding") == "" {
			w.header.Set("Content-Type", http.DetectContentType(p))
		}
		w.WriteHeader(http.StatusOK)
	}
	if w.limit > 0 && len(w.buf)-w.bodyStart+len(p) > w.limit {
		w.truncated = true
		room := w.limit - (len(w.buf) - w.bodyStart)
		w.buf = append(w.buf, p[:room]...)
		return room, errBodyTooLarge
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// WriteString makes io.WriteString skip a conversion.
func (w *responseWriter) WriteString(s string) (int, error) {
	if w.status != 0 && (w.limit == 0 || len(w.buf)-w.bodyStart+len(s) <= w.limit) {
		w.buf = append(w.buf, s...)
		return len(s), nil
	}
	return w.Write([]byte(s))
}

// Flush implements http.Flusher; the response is sent whole when the
// handler returns.
func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
}

func (w *responseWriter) finish() []byte {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	var flags uint32
	if w.truncated {
		flags |= flagTruncated
	}
	binary.LittleEndian.PutUint32(w.buf[4:], flags)
	binary.LittleEndian.PutUint32(w.buf[w.bodyStart-4:], uint32(len(w.buf)-w.bodyStart))
	return w.buf
}

func (w *responseWriter) fail(code int, msg string) []byte {
	w.buf = w.buf[:0]
	w.status = 0
	w.header = http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	w.WriteHeader(code)
	w.buf = append(w.buf, msg...)
	return w.finish()
}
