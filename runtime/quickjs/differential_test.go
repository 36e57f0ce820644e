package quickjs

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/internal/wasmtest"
	"github.com/tetratelabs/wazero"
)

// differentialWorker exercises the engine broadly (parsing, closures,
// recursion, strings, regular expressions, JSON, typed arrays, sorting,
// BigInt, promises, classes) and answers with a digest of every result,
// deterministic from its input.
const differentialWorker = `
class Vec { constructor(x, y) { this.x = x; this.y = y } add(o) { return new Vec(this.x + o.x, this.y + o.y) } }
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) }
export default {
  async fetch(request) {
    const n = Number(new URL(request.url).searchParams.get("n"));
    const out = [];
    out.push(fib(n));
    const words = [];
    for (let i = 0; i < 200 * n; i++) words.push(("w" + (i * 7919 % 1000)).repeat(1 + i % 3));
    words.sort();
    out.push(words.length, words[0], words[words.length - 1]);
    out.push(JSON.stringify(JSON.parse(JSON.stringify({ words: words.slice(0, 5), n, nested: { a: [1, 2, { b: "c" }] } }))));
    out.push("a1b22c333".replace(/(\d+)/g, (m) => "<" + m.length + ">"));
    const ta = new Float64Array(1000);
    for (let i = 0; i < ta.length; i++) ta[i] = Math.sqrt(i) * Math.sin(i);
    out.push(ta.reduce((s, v) => s + v, 0).toFixed(9));
    out.push((2n ** 200n + BigInt(n)).toString(36));
    let v = new Vec(0, 0);
    for (let i = 0; i < 1000; i++) v = v.add(new Vec(i, -i));
    out.push(v.x, v.y);
    out.push(await Promise.all([1, 2, 3].map(async (x) => x * n)));
    const m = new Map();
    for (let i = 0; i < 500; i++) m.set("k" + (i % 97), (m.get("k" + (i % 97)) || 0) + i);
    out.push([...m.entries()].sort().slice(0, 3).join(";"));
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(out.join("|")));
    return new Response(out.join("|") + "\n" + [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""));
  },
};
`

// TestMeteredEngineMatchesPlain runs the same worker on the engine as
// Kiln runs it (fuel-instrumented) and on the plain engine: every answer
// is identical, so metering changes what runs only by counting it.
func TestMeteredEngineMatchesPlain(t *testing.T) {
	ctx := context.Background()
	metered := testEngine(t)

	saved := meterEngine
	meterEngine = nil
	dir, err := wasmtest.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(dir, "wazero-quickjs-plain"))
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCompilationCache(cache))
	defer rt.Close(ctx)
	plain, err := NewEngine(ctx, rt, Config{})
	meterEngine = saved
	if err != nil {
		t.Fatal(err)
	}

	load := func(e *Engine) *Worker {
		w, err := e.Load(ctx, []byte(differentialWorker), "worker.js", LoadOptions{})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		t.Cleanup(w.Close)
		return w
	}
	mw, pw := load(metered), load(plain)
	for _, n := range []int{1, 5, 12, 18} {
		url := fmt.Sprintf("http://fn.example/?n=%d", n)
		mr, ms, err := mw.Fetch(ctx, get(url), Invocation{})
		if err != nil {
			t.Fatalf("metered n=%d: %v", n, err)
		}
		pr, ps, err := pw.Fetch(ctx, get(url), Invocation{})
		if err != nil {
			t.Fatalf("plain n=%d: %v", n, err)
		}
		if string(mr.Body) != string(pr.Body) || mr.Status != pr.Status {
			t.Fatalf("n=%d: metered answered\n%s\nplain answered\n%s", n, mr.Body, pr.Body)
		}
		if ms.Fuel == 0 || ps.Fuel != 0 {
			t.Fatalf("n=%d: fuel metered %d, plain %d", n, ms.Fuel, ps.Fuel)
		}
		t.Logf("n=%d: %d fuel, %d bytes", n, ms.Fuel, len(mr.Body))
	}
}
