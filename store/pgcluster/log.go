package pgcluster

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// maxLogSize is the size past which postgres.log is moved to postgres.log.1
// at the next start, so the log of a long-lived data dir stays bounded.
const maxLogSize = 16 << 20

// openLog opens <dir>/postgres.log for appending, rotating it first if large.
func openLog(dir string) (*os.File, error) {
	p := filepath.Join(dir, "postgres.log")
	if st, err := os.Stat(p); err == nil && st.Size() > maxLogSize {
		_ = os.Rename(p, p+".1")
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening postgres.log: %w", err)
	}
	return f, nil
}

// logTail returns the last lines of postgres.log joined on one line.
func logTail(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return "no postgres.log"
	}
	// Only this start's lines matter; earlier runs append above them.
	if len(b) > 64<<10 {
		b = b[len(b)-64<<10:]
	}
	return lastLines(b, 8)
}

func lastLines(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte(" | ")))
}
