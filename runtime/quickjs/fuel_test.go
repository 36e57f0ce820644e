package quickjs

import (
	"context"
	"testing"
)

// TestFuelSameForSameRequest: fuel is billed from executed instructions,
// so the same request to the same worker costs the same every time, and so
// does loading the same bundle; nothing a request gets from the host
// (its random seed, the clock) may change what the engine executes.
func TestFuelSameForSameRequest(t *testing.T) {
	const src = `export default { async fetch(req) {
  const started = Date.now();
  const v = await req.json();
  return Response.json({ sum: v.a + v.b, ua: req.headers.get("user-agent"), late: Date.now() < started });
} }`
	e := testEngine(t)
	if !e.Metered() {
		t.Fatal("the engine is not fuel-metered")
	}
	w := load(t, src, LoadOptions{MaxInstances: 1})
	var first uint64
	for i := 0; i < 30; i++ {
		r := post("http://fn.example/sum", "application/json", `{"a":1,"b":2}`)
		r.Header.Set("User-Agent", "kiln-test")
		resp, stats := do(t, w, r)
		if string(resp.Body) != `{"sum":3,"ua":"kiln-test","late":false}` {
			t.Fatalf("body %s", resp.Body)
		}
		if i == 0 {
			first = stats.Fuel
		} else if stats.Fuel != first {
			t.Fatalf("request %d cost %d fuel, the first %d", i, stats.Fuel, first)
		}
	}
	w2, err := e.Load(context.Background(), []byte(src), "worker.js", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if a, b := w.LoadStats().Fuel, w2.LoadStats().Fuel; a != b || a == 0 {
		t.Fatalf("loading the same bundle cost %d then %d fuel", a, b)
	}
}
