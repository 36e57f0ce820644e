package quickjs

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestWorkersHello(t *testing.T) {
	w := load(t, `export default { async fetch(request, env, ctx) { return new Response("hello " + new URL(request.url).pathname) } }`, LoadOptions{})
	if w.Style() != "workers" {
		t.Errorf("style %q", w.Style())
	}
	resp, _ := do(t, w, get("http://example.com/world"))
	if resp.Status != 200 || string(resp.Body) != "hello /world" {
		t.Fatalf("got %d %q", resp.Status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain;charset=UTF-8" {
		t.Errorf("content-type %q", ct)
	}
}

func TestWorkersJSON(t *testing.T) {
	w := load(t, `export default { fetch(request) {
  return Response.json({ ok: true, n: 42 }, { status: 201, headers: { "X-Kiln": "yes" } })
} }`, LoadOptions{})
	resp, _ := do(t, w, get("http://example.com/"))
	if resp.Status != 201 || resp.Header.Get("x-kiln") != "yes" || resp.Header.Get("content-type") != "application/json" {
		t.Fatalf("got %d %v", resp.Status, resp.Header)
	}
	var v struct {
		OK bool
		N  int
	}
	if err := json.Unmarshal(resp.Body, &v); err != nil || !v.OK || v.N != 42 {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
}

func TestRequestVisibleToJS(t *testing.T) {
	w := load(t, `export default { async fetch(req, env) {
  return Response.json({
    method: req.method, url: req.url, ua: req.headers.get("USER-AGENT"),
    multi: req.headers.get("x-multi"), body: await req.text(), env: env.GREETING,
  })
} }`, LoadOptions{Env: map[string]string{"GREETING": "hi"}})
	r := post("http://example.com/a/b?x=1&y=%20z", "text/plain", "payload ✓")
	r.Method = "PUT"
	r.Header.Set("User-Agent", "kiln-test")
	r.Header.Add("X-Multi", "1")
	r.Header.Add("X-Multi", "2")
	resp, _ := do(t, w, r)
	var v map[string]string
	if err := json.Unmarshal(resp.Body, &v); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"method": "PUT", "url": "http://example.com/a/b?x=1&y=%20z", "ua": "kiln-test", "multi": "1, 2", "body": "payload ✓", "env": "hi"}
	for k, wv := range want {
		if v[k] != wv {
			t.Errorf("%s = %q, want %q", k, v[k], wv)
		}
	}
}

func TestAppwriteStyle(t *testing.T) {
	w := load(t, `export default async ({ req, res, log, error }) => {
  log("path", req.path);
  error("careful");
  if (req.path === "/json") return res.json({ got: req.body.name, q: req.query.q, method: req.method }, 202, { "x-a": "b" });
  if (req.path === "/empty") return res.empty();
  return res.text("plain " + req.bodyText);
}`, LoadOptions{})
	if w.Style() != "appwrite" {
		t.Fatalf("style %q", w.Style())
	}
	resp, stats := do(t, w, post("http://fn.local/json?q=s", "application/json", `{"name":"kiln"}`))
	if resp.Status != 202 || resp.Header.Get("x-a") != "b" || resp.Header.Get("content-type") != "application/json" {
		t.Fatalf("got %d %v", resp.Status, resp.Header)
	}
	if got := string(resp.Body); got != `{"got":"kiln","q":"s","method":"POST"}` {
		t.Fatalf("body %s", got)
	}
	if len(stats.Logs) != 2 || stats.Logs[0] != (Log{"log", "path /json"}) || stats.Logs[1] != (Log{"error", "careful"}) {
		t.Fatalf("logs %+v", stats.Logs)
	}
	if resp, _ := do(t, w, get("http://fn.local/empty")); resp.Status != 204 || len(resp.Body) != 0 {
		t.Fatalf("empty: %d %q", resp.Status, resp.Body)
	}
	if got := body(t, w, post("http://fn.local/", "text/plain", "abc")); got != "plain abc" {
		t.Fatalf("text: %q", got)
	}
}

func TestConsoleCaptured(t *testing.T) {
	w := load(t, `console.log("at load");
export default { fetch() {
  console.log("hello", 1, { a: [1, 2] }, "%s=%d", "x", 5);
  console.info("info"); console.warn("warn"); console.error(new TypeError("bad"));
  console.debug("dbg");
  return new Response("ok");
} }`, LoadOptions{})
	if l := w.LoadStats().Logs; len(l) != 1 || l[0].Message != "at load" {
		t.Errorf("load logs %+v", l)
	}
	_, stats := do(t, w, get("http://x/"))
	want := []Log{{"log", `hello 1 { a: [ 1, 2 ] } %s=%d x 5`}, {"info", "info"}, {"warn", "warn"}}
	if len(stats.Logs) != 5 {
		t.Fatalf("logs %+v", stats.Logs)
	}
	for i, l := range want {
		if stats.Logs[i] != l {
			t.Errorf("log %d = %+v, want %+v", i, stats.Logs[i], l)
		}
	}
	if l := stats.Logs[3]; l.Level != "error" || !strings.HasPrefix(l.Message, "TypeError: bad") {
		t.Errorf("error log %+v", l)
	}
	if l := stats.Logs[4]; l.Level != "debug" {
		t.Errorf("debug log %+v", l)
	}
}

func TestLogLimit(t *testing.T) {
	w := load(t, `export default { fetch() { for (let i = 0; i < 1000; i++) console.log("line " + i); return new Response("ok") } }`, LoadOptions{})
	_, stats, err := w.Fetch(context.Background(), get("http://x/"), Invocation{LogLimit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if !stats.LogsTruncated || len(stats.Logs) == 0 || len(stats.Logs) > 20 {
		t.Fatalf("truncated=%v n=%d", stats.LogsTruncated, len(stats.Logs))
	}
}

func loadErr(t *testing.T, src string) error {
	t.Helper()
	_, err := testEngine(t).Load(context.Background(), []byte(src), "bad.js", LoadOptions{})
	if err == nil {
		t.Fatal("Load succeeded")
	}
	return err
}

func TestTopLevelThrow(t *testing.T) {
	err := loadErr(t, "const x = 1;\nfunction boom() { throw new RangeError('nope at load') }\nboom();\nexport default { fetch() {} }")
	var je *JSError
	if !errors.Is(err, ErrLoad) || !errors.As(err, &je) {
		t.Fatalf("err %v", err)
	}
	if je.Name != "RangeError" || je.Message != "nope at load" || !strings.Contains(je.Stack, "boom") || !strings.Contains(je.Stack, "bad.js:2") {
		t.Fatalf("js error %+v", je)
	}
}

func TestSyntaxError(t *testing.T) {
	err := loadErr(t, "export default {\n  fetch() {\n    return new Response(;\n  }\n}")
	var je *JSError
	if !errors.Is(err, ErrLoad) || !errors.As(err, &je) || je.Name != "SyntaxError" {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(je.Stack, "bad.js:3") {
		t.Fatalf("no line in %q", je.Stack)
	}
}

func TestNoHandler(t *testing.T) {
	for _, src := range []string{`export const x = 1`, `export default 42`, `export default { get() {} }`} {
		if err := loadErr(t, src); !errors.Is(err, ErrNoHandler) {
			t.Errorf("%s: err %v", src, err)
		}
	}
}

func TestHandlerRejects(t *testing.T) {
	w := load(t, `async function inner() { await null; throw new Error("rejected later") }
export default { async fetch() { await inner(); return new Response("unreachable") } }`, LoadOptions{})
	_, _, err := w.Fetch(context.Background(), get("http://x/"), Invocation{})
	var je *JSError
	if !errors.Is(err, ErrHandler) || !errors.As(err, &je) || je.Message != "rejected later" || !strings.Contains(je.Stack, "inner") {
		t.Fatalf("err %v", err)
	}
	// The worker keeps serving.
	if _, _, err := w.Fetch(context.Background(), get("http://x/"), Invocation{}); !errors.Is(err, ErrHandler) {
		t.Fatalf("second: %v", err)
	}
}

func TestFloatingRejectionDoesNotFailRequest(t *testing.T) {
	w := load(t, `export default { fetch() { Promise.reject(new Error("ignored")); return new Response("fine") } }`, LoadOptions{})
	if got := body(t, w, get("http://x/")); got != "fine" {
		t.Fatal(got)
	}
}

func TestNotAResponse(t *testing.T) {
	w := load(t, `export default { fetch() { return "text" } }`, LoadOptions{})
	_, _, err := w.Fetch(context.Background(), get("http://x/"), Invocation{})
	if !errors.Is(err, ErrHandler) || !strings.Contains(err.Error(), "not a Response") {
		t.Fatalf("err %v", err)
	}
}

func TestInfiniteLoopDeadline(t *testing.T) {
	w := load(t, `export default { fetch(req) { if (new URL(req.url).pathname === "/spin") while (true) {} return new Response("ok") } }`, LoadOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := w.Fetch(ctx, get("http://x/spin"), Invocation{})
	if !errors.Is(err, ErrDeadline) {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("stopped after %v", d)
	}
	if got := body(t, w, get("http://x/")); got != "ok" {
		t.Fatalf("after: %q", got)
	}
}

func TestInfiniteLoopOutOfFuel(t *testing.T) {
	e := testEngine(t)
	if !e.Metered() {
		t.Fatal("the engine is not fuel-metered")
	}
	w := load(t, `export default { fetch(req) { if (new URL(req.url).pathname === "/spin") while (true) {} return new Response("ok") } }`, LoadOptions{})
	_, stats, err := w.Fetch(context.Background(), get("http://x/spin"), Invocation{Fuel: 50_000_000})
	if !errors.Is(err, ErrOutOfFuel) || stats.Fuel != 50_000_000 {
		t.Fatalf("err %v fuel %d", err, stats.Fuel)
	}
	if got := body(t, w, get("http://x/")); got != "ok" {
		t.Fatalf("after: %q", got)
	}
}

func TestMemoryBomb(t *testing.T) {
	w := load(t, `export default { fetch(req) {
  if (new URL(req.url).pathname === "/bomb") { const a = []; for (;;) a.push(new Array(100000).fill(1.5)); }
  return new Response("ok")
} }`, LoadOptions{MemoryPages: 256})
	_, stats, err := w.Fetch(context.Background(), get("http://x/bomb"), Invocation{})
	if !errors.Is(err, ErrMemoryLimit) {
		t.Fatalf("err %v", err)
	}
	if stats.PeakMemory > 256*wasmPage {
		t.Errorf("peak %d beyond the cap", stats.PeakMemory)
	}
	if got := body(t, w, get("http://x/")); got != "ok" {
		t.Fatalf("after: %q", got)
	}
}

func TestDeepRecursionIsARangeError(t *testing.T) {
	w := load(t, `function f(n) { return f(n + 1) + 1 }
export default { fetch() { try { f(0) } catch (e) { return new Response(e.name + ": " + e.message) } } }`, LoadOptions{})
	if got := body(t, w, get("http://x/")); !strings.HasPrefix(got, "RangeError") {
		t.Fatalf("got %q", got)
	}
	if got := body(t, w, get("http://x/")); !strings.HasPrefix(got, "RangeError") {
		t.Fatalf("second: %q", got)
	}
}

func TestNeverSettles(t *testing.T) {
	w := load(t, `export default { fetch(req) {
  if (new URL(req.url).pathname === "/timer") return new Promise(r => setTimeout(() => r(new Response("late")), 60000));
  return new Promise(() => {});
} }`, LoadOptions{})
	_, _, err := w.Fetch(context.Background(), get("http://x/"), Invocation{})
	if !errors.Is(err, ErrUnsettled) {
		t.Fatalf("nothing pending: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err = w.Fetch(ctx, get("http://x/timer"), Invocation{})
	if !errors.Is(err, ErrDeadline) {
		t.Fatalf("pending timer: %v", err)
	}
}

func TestOutputLimit(t *testing.T) {
	w := load(t, `export default { fetch() { return new Response("x".repeat(1 << 20)) } }`, LoadOptions{})
	_, _, err := w.Fetch(context.Background(), get("http://x/"), Invocation{OutputLimit: 64 << 10})
	if !errors.Is(err, ErrOutputLimit) {
		t.Fatalf("err %v", err)
	}
	resp, _, err := w.Fetch(context.Background(), get("http://x/"), Invocation{})
	if err != nil || len(resp.Body) != 1<<20 {
		t.Fatalf("within the limit: %v", err)
	}
}

func TestStateIsolation(t *testing.T) {
	w := load(t, `let counter = 0; globalThis.leak = globalThis.leak || [];
export default { fetch() { counter++; leak.push(1); return new Response(counter + "/" + leak.length) } }`, LoadOptions{})
	for i := 0; i < 5; i++ {
		if got := body(t, w, get("http://x/")); got != "1/1" {
			t.Fatalf("request %d saw %q", i, got)
		}
	}
}

func TestMathRandomPerRequest(t *testing.T) {
	w := load(t, `const atLoad = Math.random();
export default { fetch() { return new Response(atLoad + " " + Math.random() + " " + Math.random()) } }`, LoadOptions{})
	seen := map[string]bool{}
	var loadValue string
	for i := 0; i < 5; i++ {
		f := strings.Fields(body(t, w, get("http://x/")))
		if loadValue == "" {
			loadValue = f[0]
		} else if f[0] != loadValue {
			t.Fatalf("module state changed: %s vs %s", f[0], loadValue)
		}
		if f[1] == f[2] || seen[f[1]] {
			t.Fatalf("random repeated: %v", f)
		}
		seen[f[1]] = true
	}
}

func TestStreamingResponse(t *testing.T) {
	w := load(t, `export default { fetch() {
  const enc = new TextEncoder();
  let i = 0;
  const stream = new ReadableStream({
    async pull(c) {
      await new Promise(r => setTimeout(r, 1));
      if (i < 3) c.enqueue(enc.encode("chunk" + i++ + ";")); else c.close();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
} }`, LoadOptions{})
	if got := body(t, w, get("http://x/")); got != "chunk0;chunk1;chunk2;" {
		t.Fatalf("got %q", got)
	}
}

func TestWaitUntil(t *testing.T) {
	w := load(t, `export default { fetch(req, env, ctx) {
  ctx.waitUntil(new Promise(r => setTimeout(() => { console.log("after response"); r() }, 5)));
  return new Response("now");
} }`, LoadOptions{})
	resp, stats := do(t, w, get("http://x/"))
	if string(resp.Body) != "now" || len(stats.Logs) != 1 || stats.Logs[0].Message != "after response" {
		t.Fatalf("body %q logs %+v", resp.Body, stats.Logs)
	}
}

func TestOutboundFetch(t *testing.T) {
	w := load(t, `export default { async fetch(req) {
  const [a, b] = await Promise.all([
    fetch("https://api.example/one", { method: "POST", body: "ping", headers: { "x-t": "1" } }),
    fetch("https://api.example/two"),
  ]);
  let failed = "";
  try { await fetch("https://denied.example/") } catch (e) { failed = e.name + ": " + e.message }
  return Response.json({ a: await a.text(), as: a.status, ah: a.headers.get("x-up"), b: await b.json(), failed });
} }`, LoadOptions{})
	var calls []string
	fetchFn := func(ctx context.Context, r *http.Request) (*FetchResponse, error) {
		calls = append(calls, r.Method+" "+r.URL.String())
		switch r.URL.Host {
		case "denied.example":
			return nil, errors.New("egress denied")
		}
		if r.URL.Path == "/one" {
			b := make([]byte, r.ContentLength)
			r.Body.Read(b)
			return &FetchResponse{Status: 201, Header: http.Header{"X-Up": {r.Header.Get("x-t")}}, Body: append([]byte("pong:"), b...)}, nil
		}
		return &FetchResponse{Status: 200, Body: []byte(`{"two":2}`)}, nil
	}
	resp, stats, err := w.Fetch(context.Background(), get("http://x/"), Invocation{Fetch: fetchFn})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":"pong:ping","as":201,"ah":"1","b":{"two":2},"failed":"TypeError: fetch failed: egress denied"}`
	if string(resp.Body) != want {
		t.Fatalf("got %s", resp.Body)
	}
	if stats.Fetches != 3 || len(calls) != 3 {
		t.Fatalf("fetches %d calls %v", stats.Fetches, calls)
	}
	// Without a FetchFunc, fetch is refused.
	resp, _, err = w.Fetch(context.Background(), get("http://x/"), Invocation{})
	if !errors.Is(err, ErrHandler) || !strings.Contains(err.Error(), "fetch is not available") {
		t.Fatalf("no fetch: %v %v", resp, err)
	}
}

func TestConcurrentRequests(t *testing.T) {
	w := load(t, `export default { async fetch(req) { await new Promise(r => setTimeout(r, 5)); return new Response(new URL(req.url).pathname) } }`, LoadOptions{})
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			path := "/" + strings.Repeat("a", i+1)
			resp, _, err := w.Fetch(context.Background(), get("http://x"+path), Invocation{})
			if err == nil && string(resp.Body) != path {
				err = errors.New("wrong body " + string(resp.Body))
			}
			errs <- err
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
