package quickjs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"
)

// BenchmarkHello measures a request served from the snapshot: restore,
// dispatch through the Web API prelude, response out. p50/p99 are reported
// per request.
func BenchmarkHello(b *testing.B) {
	w := load(b, `export default { fetch(req) { return new Response("hello") } }`, LoadOptions{})
	benchRequests(b, w, func() *http.Request { return httptest.NewRequest("GET", "http://bench.local/", nil) }, Invocation{})
}

// BenchmarkJSON is a handler that parses a JSON body and answers JSON.
func BenchmarkJSON(b *testing.B) {
	w := load(b, `export default { async fetch(req) { const v = await req.json(); return Response.json({ sum: v.a + v.b, path: new URL(req.url).pathname }) } }`, LoadOptions{})
	benchRequests(b, w, func() *http.Request { return post("http://bench.local/sum", "application/json", `{"a":1,"b":2}`) }, Invocation{})
}

// BenchmarkFib25 computes fib(25) per request; fuel per request is
// reported when the engine is metered.
func BenchmarkFib25(b *testing.B) {
	w := load(b, `function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) }
export default { fetch() { return new Response(String(fib(25))) } }`, LoadOptions{})
	benchRequests(b, w, func() *http.Request { return httptest.NewRequest("GET", "http://bench.local/", nil) }, Invocation{})
}

func benchRequests(b *testing.B, w *Worker, req func() *http.Request, inv Invocation) {
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	var fuel uint64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := req()
		t0 := time.Now()
		_, st, err := w.Fetch(ctx, r, inv)
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		fuel = st.Fuel
	}
	b.StopTimer()
	reportLatencies(b, lat)
	b.ReportMetric(float64(fuel), "fuel/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// reportLatencies adds the p50 and p99 of lat, in microseconds.
func reportLatencies(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
}

// BenchmarkRestore measures bringing a used instance back to a Worker's
// snapshot, the isolation step between two requests.
func BenchmarkRestore(b *testing.B) {
	w := load(b, `export default { fetch(req) { return new Response("hello") } }`, LoadOptions{})
	in, err := w.acquire(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if ok, err := in.restore(w.snap, false); !ok || err != nil {
			b.Fatal(ok, err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportLatencies(b, lat)
	b.ReportMetric(float64(w.SnapshotSize()), "snapshot-bytes")
}

// BenchmarkLoad measures evaluating a small bundle on the base snapshot and
// snapshotting the result (a deployment's cold start on a node).
func BenchmarkLoad(b *testing.B) {
	e := testEngine(b)
	src := []byte(`export default { fetch(req) { return new Response("hello") } }`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, err := e.Load(context.Background(), src, "worker.js", LoadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		w.Close()
	}
}

// BenchmarkColdInstance measures a request that finds no idle instance:
// instantiate the engine module, restore the snapshot, serve.
func BenchmarkColdInstance(b *testing.B) {
	w := load(b, `export default { fetch(req) { return new Response("hello") } }`, LoadOptions{MaxIdle: 1})
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		in, err := w.eng.newInstance(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.restore(w.snap, true); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		in.close()
	}
	b.StopTimer()
	reportLatencies(b, lat)
}
