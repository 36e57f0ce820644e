package kiln

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

var (
	loggerOnce sync.Once
	logger     *slog.Logger
)

// Logger returns a logger whose lines appear in the execution's logs at
// their level, as "message key=value …".
func Logger() *slog.Logger {
	loggerOnce.Do(func() { logger = slog.New(&logHandler{}) })
	return logger
}

// logHandler formats records as text for the log host call.
type logHandler struct {
	attrs  []byte // preformatted " k=v" of WithAttrs
	prefix string // group prefix, "g.h."
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	b := make([]byte, 0, 64+len(r.Message)+len(h.attrs))
	b = append(b, r.Message...)
	b = append(b, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, h.prefix, a)
		return true
	})
	writeLog(abiLevel(r.Level), b)
	return nil
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := &logHandler{attrs: append([]byte(nil), h.attrs...), prefix: h.prefix}
	for _, a := range as {
		n.attrs = appendAttr(n.attrs, h.prefix, a)
	}
	return n
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &logHandler{attrs: h.attrs, prefix: h.prefix + name + "."}
}

func appendAttr(b []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			b = appendAttr(b, p, g)
		}
		return b
	}
	b = append(b, ' ')
	b = appendText(b, prefix+a.Key)
	b = append(b, '=')
	return appendText(b, a.Value.String())
}

// appendText quotes s when a reader could not tell where it ends.
func appendText(b []byte, s string) []byte {
	if s == "" || strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '=' || r == '"' || !unicode.IsPrint(r)
	}) >= 0 {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func abiLevel(l slog.Level) uint32 {
	switch {
	case l < slog.LevelInfo:
		return levelDebug
	case l < slog.LevelWarn:
		return levelInfo
	case l < slog.LevelError:
		return levelWarn
	}
	return levelError
}
