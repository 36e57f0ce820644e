package quickjs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kilnhq/kiln/internal/wasmtest"
	"github.com/tetratelabs/wazero"
)

var (
	sharedOnce   sync.Once
	sharedEngine *Engine
	sharedErr    error
)

// testEngine returns one Engine for the whole test binary. The engine wasm
// is fetched from the npm registry into the user cache on first use, as in
// production; compiled code is cached under the test cache.
func testEngine(tb testing.TB) *Engine {
	tb.Helper()
	sharedOnce.Do(func() {
		ctx := context.Background()
		dir, err := wasmtest.CacheDir()
		if err != nil {
			sharedErr = err
			return
		}
		cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(dir, "wazero-quickjs"))
		if err != nil {
			sharedErr = err
			return
		}
		rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCompilationCache(cache))
		sharedEngine, sharedErr = NewEngine(ctx, rt, Config{})
	})
	if sharedErr != nil {
		tb.Fatalf("engine: %v", sharedErr)
	}
	return sharedEngine
}

func load(tb testing.TB, src string, opts LoadOptions) *Worker {
	tb.Helper()
	w, err := testEngine(tb).Load(context.Background(), []byte(src), "worker.js", opts)
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	tb.Cleanup(w.Close)
	return w
}

func get(url string) *http.Request {
	return httptest.NewRequest(http.MethodGet, url, nil)
}

func post(url, contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, url, strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	return r
}

// do runs one request and fails the test on error.
func do(tb testing.TB, w *Worker, r *http.Request) (*Response, Stats) {
	tb.Helper()
	resp, stats, err := w.Fetch(context.Background(), r, Invocation{})
	if err != nil {
		tb.Fatalf("Fetch: %v\nlogs: %v", err, stats.Logs)
	}
	return resp, stats
}

func body(tb testing.TB, w *Worker, r *http.Request) string {
	tb.Helper()
	resp, _ := do(tb, w, r)
	return string(resp.Body)
}
