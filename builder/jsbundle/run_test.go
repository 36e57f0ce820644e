package jsbundle

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/wasmtest"
	"github.com/kilnhq/kiln/runtime/quickjs"
	"github.com/tetratelabs/wazero"
)

// TestBundleRunsOnQuickJS bundles a TypeScript worker, runs it on the real
// engine, and checks that a runtime error's stack names the TypeScript
// file and line through the inline source map.
func TestBundleRunsOnQuickJS(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"src/index.ts": `import { check } from "./check";
type Env = Record<string, string>;
export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const n: number = Number(new URL(req.url).searchParams.get("n"));
    check(n);
    return new Response("n=" + n);
  },
};
`,
		"src/check.ts": `export function check(n: number): void {
  if (n < 0) {
    throw new RangeError("negative: " + n);
  }
}
`,
	})
	res, err := Bundle(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cacheDir, err := wasmtest.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(cacheDir, "wazero-quickjs"))
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCompilationCache(cache))
	defer rt.Close(ctx)
	eng, err := quickjs.NewEngine(ctx, rt, quickjs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := eng.Load(ctx, res.Code, OutputName, quickjs.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	resp, _, err := w.Fetch(ctx, httptest.NewRequest("GET", "http://x/?n=4", nil), quickjs.Invocation{})
	if err != nil || string(resp.Body) != "n=4" {
		t.Fatalf("%v %v", resp, err)
	}
	_, _, err = w.Fetch(ctx, httptest.NewRequest("GET", "http://x/?n=-1", nil), quickjs.Invocation{})
	var je *quickjs.JSError
	if !errors.As(err, &je) || je.Message != "negative: -1" {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(je.Stack, "src/check.ts:3") || !strings.Contains(je.Stack, "src/index.ts:6") {
		t.Fatalf("stack not mapped:\n%s", je.Stack)
	}
}
