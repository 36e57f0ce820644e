package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/wasmtest"
	"github.com/kilnhq/kiln/platform"
	"github.com/kilnhq/kiln/runtime"
	"github.com/kilnhq/kiln/runtime/egress"
	"github.com/kilnhq/kiln/runtime/quickjs"
	"github.com/tetratelabs/wazero"
)

// newJSInvokeEnv is newInvokeEnv with a QuickJS engine for JavaScript
// deployments and an egress policy that lets functions reach loopback.
func newJSInvokeEnv(t *testing.T) (apiEnv, *platform.Platform) {
	t.Helper()
	ctx := context.Background()
	eng, err := runtime.New(ctx, runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(context.Background()) })
	dir, err := wasmtest.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(dir, "wazero-quickjs"))
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCompilationCache(cache))
	t.Cleanup(func() { rt.Close(context.Background()) })
	js, err := quickjs.NewEngine(ctx, rt, quickjs.Config{})
	if err != nil {
		t.Fatalf("QuickJS engine: %v", err)
	}
	eg := egress.New(egress.Policy{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	t.Cleanup(eg.Close)
	runner := &platform.EngineRunner{Engine: eng, Egress: eg,
		JS: func(context.Context) (*quickjs.Engine, error) { return js, nil }}
	t.Cleanup(runner.Close)
	e, p := newPlatformEnv(t, 0, runner)
	rec, err := p.StartRecorder(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Stop)
	return e, p
}

const jsWorker = `import { shout } from "./shout";

export default {
  async fetch(request: Request, env: Record<string, string>): Promise<Response> {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/":
        console.log("serving", url.search);
        console.error("an error line");
        return new Response(shout(env.GREETING) + " " + process.env.APPWRITE_FUNCTION_ID, { headers: { "x-js": "yes" } });
      case "/spin":
        for (;;) {}
      case "/throw":
        throw new TypeError("no such thing");
      case "/sleep":
        await new Promise((resolve) => setTimeout(resolve, 10_000));
        return new Response("woke");
      case "/fetch": {
        const r = await fetch(url.searchParams.get("to")!);
        return new Response("upstream said " + (await r.text()));
      }
    }
    return new Response("not found", { status: 404 });
  },
};
`

// TestJavaScriptFunctions deploys TypeScript through the API: a syntax
// error fails the build with file:line in its log; a module that throws
// while loading, a handler that throws, an endless loop and a sleep past
// the timeout each end their execution with their own error kind, and the
// function keeps answering.
func TestJavaScriptFunctions(t *testing.T) {
	e, _ := newJSInvokeEnv(t)
	code, f := e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "js", "name": "js", "runtime": "node-22",
		"execute": []string{"any"}, "fuel": 2_000_000_000, "timeout": 2})
	if code != 201 || f["runtime"] != "js" {
		t.Fatalf("create: %d %v", code, f)
	}
	_, v := e.call(t, e.admin, "POST", "/v1/functions/js/variables", map[string]any{"key": "GREETING", "value": "hej"})
	deploy := func(files map[string]string) map[string]any {
		t.Helper()
		tree := map[string][]byte{}
		for k, v := range files {
			tree[k] = []byte(v)
		}
		_, d := e.upload(t, "js", tarball(t, tree), true, "", "")
		return e.waitStatus(t, "js", d["$id"].(string))
	}
	get := func(path string) (int, http.Header, string) {
		t.Helper()
		resp, err := http.Get(e.base + "/fn/p1/js" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(body)
	}
	failure := func(body string) (typ, message string) {
		var m map[string]any
		_ = json.Unmarshal([]byte(body), &m)
		typ, _ = m["type"].(string)
		message, _ = m["message"].(string)
		return typ, message
	}

	// A syntax error fails the build, naming the file and line.
	d := deploy(map[string]string{"index.ts": "export default {\n  fetch() {\n    return new Response(\"x\";\n  },\n};\n"})
	if d["status"] != "failed" || !strings.Contains(d["buildLogs"].(string), "index.ts:3:") {
		t.Fatalf("syntax error build: %v %v", d["status"], d["buildLogs"])
	}

	// A module that throws while loading builds (nothing runs at build
	// time) and fails every execution with js_error.
	d = deploy(map[string]string{"index.ts": "const n: number = 1;\nif (n) throw new Error(\"boom at load\");\nexport default { fetch: () => new Response(\"never\") };\n"})
	if d["status"] != "ready" || d["abi"] != "js" {
		t.Fatalf("build: %v", d)
	}
	code, _, body := get("/")
	if typ, msg := failure(body); code != 500 || typ != "function_js_error" || !strings.Contains(msg, "boom at load") || !strings.Contains(msg, "index.ts:2") {
		t.Fatalf("top-level throw: %d %s", code, body)
	}
	code, ex := e.call(t, e.admin, "POST", "/v1/functions/js/executions", map[string]any{"path": "/", "method": "GET"})
	if code != 201 || ex["status"] != "failed" || !strings.Contains(ex["errors"].(string), "boom at load") {
		t.Fatalf("top-level throw execution: %d %v", code, ex)
	}

	// A module that never finishes loading fails when its load fuel or
	// the function's timeout runs out, whichever comes first on this
	// machine; the next call is told the same without another load.
	d = deploy(map[string]string{"index.js": "for (;;) {}\nexport default { fetch: () => new Response(\"never\") };\n"})
	if d["status"] != "ready" {
		t.Fatalf("build: %v", d)
	}
	for i := 0; i < 2; i++ {
		code, _, body := get("/")
		if typ, _ := failure(body); code != 500 || (typ != "function_deadline" && typ != "function_out_of_fuel") {
			t.Fatalf("top-level loop, call %d: %d %s", i, code, body)
		}
	}

	// A working deployment replaces it.
	d = deploy(map[string]string{"index.ts": jsWorker, "shout.ts": "export const shout = (s: string): string => s.toUpperCase() + \"!\";\n"})
	if d["status"] != "ready" {
		t.Fatalf("build: %v", d)
	}
	ok := func(when string) {
		t.Helper()
		if code, hdr, body := get("/?q=1"); code != 200 || body != "HEJ! js" || hdr.Get("X-Js") != "yes" {
			t.Fatalf("%s: %d %q %v", when, code, body, hdr)
		}
	}
	ok("first call")
	for path, want := range map[string]string{"/spin": "function_out_of_fuel", "/throw": "function_js_error", "/sleep": "function_deadline"} {
		code, _, body := get(path)
		if typ, _ := failure(body); code != 500 || typ != want {
			t.Errorf("%s: %d %s, want type %s", path, code, body, want)
		}
		ok("after " + path)
	}
	code, _, body = get("/throw")
	if _, msg := failure(body); !strings.Contains(msg, "TypeError: no such thing") || !strings.Contains(msg, "index.ts:14") {
		t.Errorf("handler error does not point at the TypeScript source: %s", msg)
	}

	// Execution records carry what was used and the logs.
	code, ex = e.call(t, e.admin, "POST", "/v1/functions/js/executions", map[string]any{"path": "/?q=2", "method": "GET"})
	if code != 201 || ex["status"] != "completed" || ex["responseBody"] != "HEJ! js" || ex["fuel"].(float64) <= 0 || ex["memory"].(float64) <= 0 {
		t.Fatalf("execution: %d %v", code, ex)
	}
	if ex["logs"] != "serving ?q=2\n" || ex["errors"] != "an error line\n" {
		t.Errorf("logs %q, errors %q", ex["logs"], ex["errors"])
	}
	code, ex = e.call(t, e.admin, "POST", "/v1/functions/js/executions", map[string]any{"path": "/spin", "method": "GET"})
	if code != 201 || ex["status"] != "failed" || ex["fuel"] != 2_000_000_000.0 || !strings.Contains(ex["errors"].(string), "fuel") {
		t.Fatalf("spin execution: %d %v", code, ex)
	}

	// A changed variable reaches the next call (the worker is loaded
	// again with the new environment).
	if code, _ := e.call(t, e.admin, "PUT", "/v1/functions/js/variables/"+v["$id"].(string), map[string]any{"key": "GREETING", "value": "moi"}); code != 200 {
		t.Fatalf("update variable: %d", code)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, _, body := get("/")
		if body == "MOI! js" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the variable changed: %q", body)
		}
	}

	// fetch() goes out through the node's egress policy.
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "pong") }))
	defer upstream.Close()
	code, ex = e.call(t, e.admin, "POST", "/v1/functions/js/executions", map[string]any{"path": "/fetch?to=" + upstream.URL, "method": "GET"})
	if code != 201 || ex["responseBody"] != "upstream said pong" || ex["egress"].(float64) <= 0 {
		t.Fatalf("fetch execution: %d %v", code, ex)
	}
	// The cloud metadata address is refused: the fetch rejects with a
	// TypeError, the handler's throw fails the execution, and the record
	// says why.
	code, ex = e.call(t, e.admin, "POST", "/v1/functions/js/executions", map[string]any{"path": "/fetch?to=http://169.254.169.254/latest/meta-data/", "method": "GET"})
	errs, _ := ex["errors"].(string)
	if code != 201 || ex["status"] != "failed" || !strings.Contains(errs, "TypeError") || !strings.Contains(errs+fmt.Sprint(ex["logs"]), "denied by egress policy") {
		t.Fatalf("fetch to the metadata address: %d %v", code, ex)
	}
}
