package testenv

import (
	"os"
	"sync"
	"testing"
)

var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

// atExit registers f to run when Main finishes the tests.
func atExit(f func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, f)
}

// Main runs the tests, then stops the servers the tests started.
func Main(m *testing.M) {
	code := m.Run()
	cleanupMu.Lock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanupMu.Unlock()
	os.Exit(code)
}
