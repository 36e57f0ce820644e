package quickjs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kilnhq/kiln/runtime/egress"
	"github.com/kilnhq/kiln/runtime/hostfn"
)

// misbehaving is one worker whose routes each break a limit or fail in a
// different way; "/" answers correctly and shows whether anything a failed
// request did (globals, prototypes, builtins) is still visible.
const misbehaving = `
export default { async fetch(req) {
  const u = new URL(req.url);
  switch (u.pathname) {
  case "/throw":
    throw new TypeError("bad id: " + u.searchParams.get("id"));
  case "/reject":
    await new Promise((_, reject) => setTimeout(() => reject(new RangeError("rejected in a timer")), 1));
    return new Response("unreachable");
  case "/reject-value":
    return Promise.reject(42);
  case "/spin":
    for (;;) {}
  case "/spin-catch":
    for (;;) { try { for (;;) {} } catch (e) {} }
  case "/bomb": {
    const a = [];
    for (;;) a.push(new Array(100000).fill(1.5));
  }
  case "/never":
    return new Promise(() => {});
  case "/interval":
    return new Promise(() => setInterval(() => {}, 5));
  case "/hang":
    await fetch("https://slow.example/");
    return new Response("unreachable");
  case "/huge":
    return new Response("x".repeat(4 << 20));
  case "/huge-stream": {
    const chunk = new Uint8Array(64 << 10).fill(120);
    return new Response(new ReadableStream({ pull(c) { c.enqueue(chunk) } }));
  }
  case "/stream-error": {
    let n = 0;
    return new Response(new ReadableStream({ pull(c) { if (n++ < 2) c.enqueue("part;"); else c.error(new TypeError("stream broke")) } }));
  }
  case "/import":
    await import("./lazy.js");
    return new Response("unreachable");
  case "/huge-headers": {
    const h = new Headers();
    for (let i = 0; i < 200; i++) h.append("x-filler-" + i, "v".repeat(1000));
    return new Response("small body", { headers: h });
  }
  case "/bad-header":
    return new Response("x", { headers: { "x-a": "1\r\nSet-Cookie: evil=1" } });
  case "/bad-status":
    return new Response("x", { status: 1000 });
  case "/poison":
    globalThis.poisoned = true;
    Object.prototype.polluted = "yes";
    JSON.stringify = () => "hijacked";
    Response.json = null;
    throw new Error("poisoned and failed");
  case "/denied":
    try {
      await fetch(u.searchParams.get("to"));
      return new Response("reached");
    } catch (e) {
      console.error(e.name + ": " + e.message);
      return new Response("fallback", { status: 502 });
    }
  }
  return Response.json({ n: u.searchParams.get("n"), poisoned: typeof globalThis.poisoned, polluted: ({}).polluted ?? null, json: JSON.stringify([1]) });
} }`

// goodBody is what "/?n=<n>" answers on a clean instance.
func goodBody(n string) string {
	return fmt.Sprintf(`{"n":"%s","poisoned":"undefined","polluted":null,"json":"[1]"}`, n)
}

// hangingFetch never answers: it returns when the invocation ends, and
// counts the calls that saw their context end.
func hangingFetch(ended *atomic.Int32) FetchFunc {
	return func(ctx context.Context, req *http.Request) (*FetchResponse, error) {
		<-ctx.Done()
		ended.Add(1)
		return nil, ctx.Err()
	}
}

type badCase struct {
	path    string
	inv     Invocation
	timeout time.Duration // 0: no deadline
	want    error
	jsName  string // want a *JSError of this name ("-" for a thrown non-error)
	jsMsg   string // …whose message contains this
	errMsg  string // the error's text contains this
}

func badCases(ended *atomic.Int32) []badCase {
	return []badCase{
		{path: "/throw?id=%00", want: ErrHandler, jsName: "TypeError", jsMsg: "bad id: \x00"},
		{path: "/reject", want: ErrHandler, jsName: "RangeError", jsMsg: "rejected in a timer"},
		{path: "/reject-value", want: ErrHandler, jsName: "-", jsMsg: "42"},
		{path: "/spin", inv: Invocation{Fuel: 30_000_000}, want: ErrOutOfFuel},
		{path: "/spin-catch", inv: Invocation{Fuel: 30_000_000}, want: ErrOutOfFuel},
		{path: "/spin-catch", timeout: 100 * time.Millisecond, want: ErrDeadline},
		{path: "/bomb", inv: Invocation{MemoryPages: 256}, want: ErrMemoryLimit},
		{path: "/never", want: ErrUnsettled},
		{path: "/interval", timeout: 100 * time.Millisecond, want: ErrDeadline},
		{path: "/hang", inv: Invocation{Fetch: hangingFetch(ended)}, timeout: 100 * time.Millisecond, want: ErrDeadline},
		{path: "/huge", inv: Invocation{OutputLimit: 1 << 20}, want: ErrOutputLimit, errMsg: "response body larger than 1048576 bytes"},
		{path: "/huge-stream", inv: Invocation{OutputLimit: 1 << 20}, want: ErrOutputLimit},
		{path: "/stream-error", want: ErrHandler, jsName: "TypeError", jsMsg: "stream broke"},
		{path: "/import", want: ErrHandler, jsName: "ReferenceError", jsMsg: `cannot load module "lazy.js"`},
		{path: "/huge-headers", want: ErrOutputLimit, errMsg: "response headers larger than 131072 bytes"},
		{path: "/bad-header", want: ErrHandler, jsName: "TypeError"},
		{path: "/bad-status", want: ErrHandler, jsName: "RangeError"},
		{path: "/poison", want: ErrHandler, jsName: "Error", jsMsg: "poisoned and failed"},
	}
}

func (c badCase) run(w *Worker) (*Response, Stats, error) {
	ctx := context.Background()
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	return w.Fetch(ctx, get("http://fn.example"+c.path), c.inv)
}

// check returns what is wrong with the outcome of c.
func (c badCase) check(resp *Response, stats Stats, err error) error {
	if !errors.Is(err, c.want) {
		return fmt.Errorf("err = %v, want %v", err, c.want)
	}
	if resp != nil {
		return fmt.Errorf("a failed request returned a response %d", resp.Status)
	}
	if stats.Fuel == 0 {
		return errors.New("the failed request is not billed any fuel")
	}
	if c.inv.Fuel != 0 && c.want == ErrOutOfFuel && stats.Fuel != c.inv.Fuel {
		return fmt.Errorf("fuel %d, want the whole budget %d", stats.Fuel, c.inv.Fuel)
	}
	if c.inv.MemoryPages != 0 && stats.PeakMemory > uint64(c.inv.MemoryPages)*wasmPage {
		return fmt.Errorf("peak memory %d beyond the cap of %d pages", stats.PeakMemory, c.inv.MemoryPages)
	}
	if !strings.Contains(err.Error(), c.errMsg) {
		return fmt.Errorf("err %q does not say %q", err, c.errMsg)
	}
	if c.jsName == "" {
		return nil
	}
	var je *JSError
	if !errors.As(err, &je) {
		return fmt.Errorf("no *JSError in %v", err)
	}
	name := c.jsName
	if name == "-" {
		name = ""
	}
	if je.Name != name || !strings.Contains(je.Message, c.jsMsg) {
		return fmt.Errorf("JSError %q %q, want %q containing %q", je.Name, je.Message, name, c.jsMsg)
	}
	return nil
}

// TestBadRequestsThenGood sends each misbehaving request to one Worker
// limited to a single instance, so every good request after a bad one runs
// on the very instance the bad one left behind.
func TestBadRequestsThenGood(t *testing.T) {
	w := load(t, misbehaving, LoadOptions{MaxInstances: 1})
	var ended atomic.Int32
	for i, c := range badCases(&ended) {
		resp, stats, err := c.run(w)
		if e := c.check(resp, stats, err); e != nil {
			t.Errorf("%s: %v", c.path, e)
		}
		n := fmt.Sprint(i)
		if got := body(t, w, get("http://fn.example/?n="+n)); got != goodBody(n) {
			t.Errorf("after %s: %s, want %s", c.path, got, goodBody(n))
		}
	}
	if ended.Load() != 1 {
		t.Errorf("the hanging fetch saw its context end %d times, want 1", ended.Load())
	}
}

// TestBadRequestsWarm: a warm worker keeps state only across successful
// requests, so a bad request's damage is gone for the next one.
func TestBadRequestsWarm(t *testing.T) {
	w := load(t, misbehaving+"\nexport const config = { warm: true };", LoadOptions{MaxInstances: 1})
	if !w.Warm() {
		t.Fatal("config.warm not seen")
	}
	var ended atomic.Int32
	for i, c := range badCases(&ended) {
		resp, stats, err := c.run(w)
		if e := c.check(resp, stats, err); e != nil {
			t.Errorf("%s: %v", c.path, e)
		}
		n := fmt.Sprint(i)
		if got := body(t, w, get("http://fn.example/?n="+n)); got != goodBody(n) {
			t.Errorf("after %s: %s, want %s", c.path, got, goodBody(n))
		}
	}
}

// TestConcurrentBadAndGood: twenty requests at once on one Worker, every
// other one misbehaving; the good ones get their own answers. Each has its
// own instance, so the short deadlines of the bad ones run out in the
// script, not while waiting for an instance.
func TestConcurrentBadAndGood(t *testing.T) {
	const n = 20
	w := load(t, misbehaving, LoadOptions{MaxInstances: n})
	var ended atomic.Int32
	cases := badCases(&ended)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if i%2 == 1 {
				c := cases[(i/2)%len(cases)]
				resp, stats, err := c.run(w)
				if e := c.check(resp, stats, err); e != nil {
					errs[i] = fmt.Errorf("%s: %w", c.path, e)
				}
				return
			}
			id := fmt.Sprint(i)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			resp, _, err := w.Fetch(ctx, get("http://fn.example/?n="+id), Invocation{})
			switch {
			case err != nil:
				errs[i] = fmt.Errorf("good request %s: %w", id, err)
			case resp.Status != 200 || string(resp.Body) != goodBody(id):
				errs[i] = fmt.Errorf("good request %s: %d %s", id, resp.Status, resp.Body)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestFetchDeniedByEgress: fetch() through the real egress client to a
// server on loopback, which the default policy refuses. The script sees a
// TypeError naming the refusal, the server sees nothing, and the same
// worker then reaches the server once a policy allows loopback.
func TestFetchDeniedByEgress(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		rw.Write([]byte("from loopback"))
	}))
	defer srv.Close()
	w := load(t, misbehaving, LoadOptions{})
	through := func(c *egress.Client) FetchFunc {
		return func(ctx context.Context, req *http.Request) (*FetchResponse, error) {
			resp, err := c.Do(ctx, req)
			if err != nil {
				return nil, err
			}
			return &FetchResponse{Status: resp.Status, Header: resp.Header, Body: resp.Body}, nil
		}
	}
	denying := egress.New(egress.Policy{})
	defer denying.Close()
	var seen []error
	fetchFn := func(ctx context.Context, req *http.Request) (*FetchResponse, error) {
		resp, err := through(denying)(ctx, req)
		seen = append(seen, err)
		return resp, err
	}
	url := "http://fn.example/denied?to=" + srv.URL
	resp, stats, err := w.Fetch(context.Background(), get(url), Invocation{Fetch: fetchFn})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 502 || string(resp.Body) != "fallback" {
		t.Fatalf("got %d %q", resp.Status, resp.Body)
	}
	if len(seen) != 1 || !errors.Is(seen[0], hostfn.ErrEgressDenied) {
		t.Fatalf("egress errors %v", seen)
	}
	if len(stats.Logs) != 1 || stats.Logs[0].Level != "error" ||
		!strings.HasPrefix(stats.Logs[0].Message, "TypeError: fetch failed: ") || !strings.Contains(stats.Logs[0].Message, "denied") {
		t.Fatalf("logs %+v", stats.Logs)
	}
	if stats.Fetches != 1 || hits.Load() != 0 {
		t.Fatalf("fetches %d, server hits %d", stats.Fetches, hits.Load())
	}

	allowing := egress.New(egress.Policy{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	defer allowing.Close()
	resp, _, err = w.Fetch(context.Background(), get(url), Invocation{Fetch: through(allowing)})
	if err != nil || string(resp.Body) != "reached" || hits.Load() != 1 {
		t.Fatalf("allowed: %v %v, hits %d", resp, err, hits.Load())
	}
}

// TestBadModulesThenGood loads broken bundles into the shared engine; each
// fails with its sentinel and the engine then loads and serves a good one.
func TestBadModulesThenGood(t *testing.T) {
	e := testEngine(t)
	cases := []struct {
		name string
		src  string
		opts LoadOptions
		want error
		js   *regexp.Regexp // matched against the *JSError's text when set
	}{
		{"syntax error", "export default {\n  fetch() {\n    return new Response(;\n  }\n}", LoadOptions{}, ErrLoad,
			regexp.MustCompile(`^SyntaxError: unexpected token in expression: ';'\n\s+at bad\.js:3:\d+$`)},
		{"top-level throw", "const id = 7;\nthrow new Error('no config for ' + id);\nexport default { fetch() {} }", LoadOptions{}, ErrLoad,
			regexp.MustCompile(`^Error: no config for 7\n.*bad\.js:2:\d+`)},
		{"top-level await rejects", "await Promise.reject(new TypeError('init failed'));\nexport default { fetch() {} }", LoadOptions{}, ErrLoad,
			regexp.MustCompile(`^TypeError: init failed\n.*bad\.js:1:\d+`)},
		{"top-level spin", "for (;;) {}\nexport default { fetch() {} }", LoadOptions{Fuel: 30_000_000}, ErrOutOfFuel, nil},
		{"top-level memory bomb", "const a = []; for (;;) a.push(new Array(100000).fill(1.5));\nexport default { fetch() {} }", LoadOptions{MemoryPages: 256}, ErrMemoryLimit, nil},
		{"top-level await never settles", "await new Promise(() => {});\nexport default { fetch() {} }", LoadOptions{}, ErrUnsettled, nil},
		{"import of a module not bundled", "import fs from \"node:fs\";\nexport default { fetch() { return new Response(fs) } }", LoadOptions{}, ErrLoad,
			regexp.MustCompile(`^ReferenceError: cannot load module "node:fs": `)},
		{"no default export", "export const fetch = () => new Response('x')", LoadOptions{}, ErrNoHandler, nil},
	}
	for _, c := range cases {
		w, err := e.Load(context.Background(), []byte(c.src), "bad.js", c.opts)
		if w != nil {
			w.Close()
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			continue
		}
		if c.js != nil {
			var je *JSError
			if !errors.As(err, &je) || !c.js.MatchString(je.Error()) {
				t.Errorf("%s: %q does not match %s", c.name, err, c.js)
			}
		}
		good := load(t, `export default { fetch(req) { return new Response("good " + new URL(req.url).search) } }`, LoadOptions{})
		if got := body(t, good, get("http://fn.example/?after="+strings.ReplaceAll(c.name, " ", "-"))); got != "good ?after="+strings.ReplaceAll(c.name, " ", "-") {
			t.Errorf("after %s: %q", c.name, got)
		}
	}
}

// TestReplacedJSONBuiltins: a script that swaps JSON.stringify and
// JSON.parse (a polyfill, or a bad patch) still gets its headers, body and
// errors through, since the prelude keeps the originals.
func TestReplacedJSONBuiltins(t *testing.T) {
	w := load(t, `JSON.stringify = () => "hijacked"; JSON.parse = () => ({});
export default { async fetch(req) {
  if (new URL(req.url).pathname === "/throw") throw new SyntaxError("thrown with JSON replaced");
  const seen = await req.json();
  return new Response("swapped " + typeof seen, { status: 201, headers: { "x-kept": "1" } });
} }`, LoadOptions{})
	resp, _ := do(t, w, post("http://fn.example/", "application/json", `{"a":1}`))
	if resp.Status != 201 || resp.Header.Get("x-kept") != "1" || string(resp.Body) != "swapped object" {
		t.Fatalf("got %d %v %q", resp.Status, resp.Header, resp.Body)
	}
	_, _, err := w.Fetch(context.Background(), get("http://fn.example/throw"), Invocation{})
	var je *JSError
	if !errors.Is(err, ErrHandler) || !errors.As(err, &je) || je.Name != "SyntaxError" || je.Message != "thrown with JSON replaced" {
		t.Fatalf("err %v", err)
	}
}

// TestStreamErrors: a stream errored by its source (controller.error, a
// throwing start or pull) rejects its reads with that error, as a response
// body and when read by the script.
func TestStreamErrors(t *testing.T) {
	w := load(t, `const broken = (how) => new ReadableStream({
  start(c) { if (how === "start") c.error(new TypeError("start broke")) },
  pull(c) { if (how === "throw") throw new RangeError("pull threw"); c.error(new TypeError("pull broke")) },
});
export default { async fetch(req) {
  const how = new URL(req.url).searchParams.get("how");
  if (new URL(req.url).pathname === "/read") {
    const out = [];
    for (const h of ["start", "throw", "error"]) {
      try { await broken(h).getReader().read(); out.push("read"); } catch (e) { out.push(e.name + ": " + e.message); }
    }
    try { await new Response(broken("error")).text(); } catch (e) { out.push("text() " + e.message); }
    return new Response(out.join("; "));
  }
  return new Response(broken(how));
} }`, LoadOptions{})
	want := "TypeError: start broke; RangeError: pull threw; TypeError: pull broke; text() pull broke"
	if got := body(t, w, get("http://x/read")); got != want {
		t.Fatalf("read: %q, want %q", got, want)
	}
	for how, msg := range map[string]string{"start": "start broke", "throw": "pull threw", "error": "pull broke"} {
		_, _, err := w.Fetch(context.Background(), get("http://x/?how="+how), Invocation{})
		var je *JSError
		if !errors.Is(err, ErrHandler) || !errors.As(err, &je) || je.Message != msg {
			t.Errorf("body errored by %s: %v", how, err)
		}
	}
}

// TestFetchBomb: a script starting hundreds of fetches at once gets them
// all answered, but never more than FetchConcurrency run at a time; when
// the deadline comes first, the queued ones are never sent.
func TestFetchBomb(t *testing.T) {
	w := load(t, `export default { async fetch(req) {
  const n = Number(new URL(req.url).searchParams.get("n"));
  const all = [];
  for (let i = 0; i < n; i++) all.push(fetch("https://api.example/" + i).then(r => r.text()));
  return new Response((await Promise.all(all)).join(","));
} }`, LoadOptions{})
	var mu sync.Mutex
	running, peak, calls := 0, 0, 0
	fetchFn := func(ctx context.Context, r *http.Request) (*FetchResponse, error) {
		mu.Lock()
		running++
		calls++
		peak = max(peak, running)
		mu.Unlock()
		defer func() { mu.Lock(); running--; mu.Unlock() }()
		select {
		case <-time.After(2 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return &FetchResponse{Status: 200, Body: []byte(strings.TrimPrefix(r.URL.Path, "/"))}, nil
	}
	want := make([]string, 60)
	for i := range want {
		want[i] = fmt.Sprint(i)
	}
	for _, limit := range []int{0, 2} {
		peak, calls = 0, 0
		resp, stats, err := w.Fetch(context.Background(), get("http://fn.example/?n=60"), Invocation{Fetch: fetchFn, FetchConcurrency: limit})
		if err != nil {
			t.Fatal(err)
		}
		if string(resp.Body) != strings.Join(want, ",") || stats.Fetches != 60 || calls != 60 {
			t.Fatalf("limit %d: body %q, fetches %d, calls %d", limit, resp.Body, stats.Fetches, calls)
		}
		if wantPeak := cmp.Or(limit, DefaultFetchConcurrency); peak != wantPeak {
			t.Errorf("limit %d: %d fetches ran at once, want %d", limit, peak, wantPeak)
		}
	}

	calls = 0
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, stats, err := w.Fetch(ctx, get("http://fn.example/?n=100000"), Invocation{Fetch: fetchFn, FetchConcurrency: 1})
	if !errors.Is(err, ErrDeadline) {
		t.Fatalf("err %v", err)
	}
	if calls >= stats.Fetches || calls > 50 {
		t.Fatalf("%d of %d queued fetches were sent before a 50 ms deadline", calls, stats.Fetches)
	}
	if got := body(t, w, get("http://fn.example/?n=0")); got != "" {
		t.Fatalf("after: %q", got)
	}
}
