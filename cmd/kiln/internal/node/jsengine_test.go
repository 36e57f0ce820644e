package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/wasmtest"
	"github.com/kilnhq/kiln/runtime/quickjs"
)

// A node that cannot get the engine says so with quickjs's sentinel, and
// does not try again on every call.
func TestJSEngineUnavailable(t *testing.T) {
	t.Setenv(quickjs.EngineWasmEnv, filepath.Join(t.TempDir(), "missing.wasm"))
	j := newJSEngine(t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer j.close()
	_, err := j.get(context.Background())
	if !errors.Is(err, quickjs.ErrEngineUnavailable) || !strings.Contains(err.Error(), "missing.wasm") {
		t.Fatalf("get = %v, want ErrEngineUnavailable naming the file", err)
	}
	// Within the retry window the failure is reported, not retried.
	_, err2 := j.get(context.Background())
	if err2 != err {
		t.Fatalf("second get = %v, want the same error without a new start", err2)
	}
}

// Concurrent first calls share one engine; a caller that gives up does not
// stop the start for the others.
func TestJSEngineStartsOnce(t *testing.T) {
	dir, err := wasmtest.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	j := newJSEngine(filepath.Join(dir, "wazero-quickjs"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer j.close()

	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := j.get(gone); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled get = %v", err)
	}
	var wg sync.WaitGroup
	engines := make([]*quickjs.Engine, 4)
	errs := make([]error, 4)
	for i := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			engines[i], errs[i] = j.get(ctx)
		}()
	}
	wg.Wait()
	for i := range engines {
		if errs[i] != nil || engines[i] == nil || engines[i] != engines[0] {
			t.Fatalf("get %d = %p, %v; want the one engine %p", i, engines[i], errs[i], engines[0])
		}
	}
}
