package testenv

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// CheckLeaks records the goroutines running now and, when the test ends,
// fails it if goroutines started since are still running after a grace
// period of a few seconds. Call it first in a test, before starting servers.
//
// Goroutines of the runtime, the testing package and signal handling are
// ignored, as are process-wide goroutines some libraries start once.
func CheckLeaks(tb testing.TB) {
	tb.Helper()
	checkLeaks(tb, 5*time.Second)
}

func checkLeaks(tb testing.TB, grace time.Duration) {
	before := goroutineIDs()
	tb.Cleanup(func() {
		var leaked []string
		deadline := time.Now().Add(grace)
		for {
			leaked = leaked[:0]
			for id, stack := range goroutineStacks() {
				if _, ok := before[id]; !ok && !ignorable(stack) {
					leaked = append(leaked, stack)
				}
			}
			if len(leaked) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(leaked) > 0 {
			tb.Errorf("%d goroutine(s) leaked:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
	})
}

func goroutineIDs() map[string]struct{} {
	ids := map[string]struct{}{}
	for id := range goroutineStacks() {
		ids[id] = struct{}{}
	}
	return ids
}

func goroutineStacks() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		// "goroutine 12 [running]:"
		f := strings.Fields(header)
		if len(f) >= 2 {
			out[f[1]] = g
		}
	}
	return out
}

func ignorable(stack string) bool {
	for _, s := range []string{
		"testing.(*T).Run", "testing.tRunner", "testing.(*M).", "runtime.goexit0",
		"created by os/signal.Notify", "signal.loop", "testenv.goroutineStacks",
		"runtime.ensureSigM", "created by testing.runFuzz",
		// fasthttp keeps one process-wide goroutine updating the Date header.
		"fasthttp.updateServerDate",
	} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}
