package runtime

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/kilnhq/kiln/runtime/fuel"
	w "github.com/kilnhq/kiln/runtime/internal/wasmtestmod"
	"github.com/kilnhq/kiln/runtime/internal/wire"
)

// Run with -cpu 1 for per-core figures:
//
//	go test -run '^$' -bench . -benchtime 2s -cpu 1 ./runtime/

// staticReactorWasm is the smallest reactor: it ignores the request and
// returns a fixed "200 hello" response frame, so invoking it measures the
// engine's own path (pool, fuel, request and response frames) and not a
// guest language's.
func staticReactorWasm() []byte {
	const bufAt, respAt = 1024, 16
	frame := wire.AppendResponse(nil, 200, 0, http.Header{"Content-Type": {"text/plain"}}, []byte("hello"))
	i32, i64 := byte(w.I32), byte(w.I64)
	m := w.Module{
		Types: []w.FuncType{{Results: []byte{i32}}, {Params: []byte{i32}, Results: []byte{i32}}, {Params: []byte{i32}, Results: []byte{i64}}},
		Funcs: []w.Func{
			{Type: 0, Body: w.I32Const(int32(wire.Version))},
			{Type: 1, Body: w.I32Const(bufAt)},
			{Type: 2, Body: w.I64Const(respAt<<32 | int64(len(frame)))},
		},
		Memory: &w.Memory{Min: 2},
		Exports: []w.Export{
			{Name: "memory", Kind: w.KindMemory},
			{Name: wire.ExportVersion, Kind: w.KindFunc, Index: 0},
			{Name: wire.ExportBuffer, Kind: w.KindFunc, Index: 1},
			{Name: wire.ExportHandle, Kind: w.KindFunc, Index: 2},
		},
		Data: []w.Data{{Offset: respAt, Bytes: frame}},
	}
	return m.Bytes()
}

// BenchmarkReactorCall is the raw call path on a warm instance: set the
// fuel, call kiln_handle, read the fuel back; no frames, no pool.
func BenchmarkReactorCall(b *testing.B) {
	e := newEngine(b, Config{})
	d := deploy(b, e, staticReactorWasm(), DeploymentConfig{})
	ctx := context.Background()
	in, _, err := d.acquire(ctx, time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	if in, err = d.newReactor(ctx, time.Time{}, &Result{}); err != nil {
		b.Fatal(err)
	}
	defer d.pool.Release(in, true)
	in.call.Reset(ctx, time.Time{})
	b.ResetTimer()
	for range b.N {
		in.fuel.Set(d.limits.Fuel)
		in.stack[0] = 0
		if err := in.handle.CallWithStack(in.ctx, in.stack[:]); err != nil {
			b.Fatal(err)
		}
		if spent(d.limits.Fuel, in.fuelLeft()) == 0 {
			b.Fatal("no fuel counted")
		}
	}
}

// BenchmarkReactorInvoke is Deployment.Invoke end to end on warm
// instances: request frame in, response frame parsed, Result filled.
// "static" is the hand-assembled reactor (the engine's share alone);
// "go-hello" a net/http handler on the Go SDK.
func BenchmarkReactorInvoke(b *testing.B) {
	e := newEngine(b, Config{})
	guests := []struct {
		name string
		wasm func() []byte
		want string
	}{
		{"static", staticReactorWasm, "hello"},
		{"go-hello", func() []byte { return buildReactor(b, helloReactor) }, "hello GET /bench q=1"},
	}
	for _, g := range guests {
		b.Run(g.name, func(b *testing.B) {
			d := deploy(b, e, g.wasm(), DeploymentConfig{})
			req := &Request{Method: "GET", URL: "/bench?q=1", Header: http.Header{"Accept": {"*/*"}, "User-Agent": {"bench"}}}
			ctx := context.Background()
			res, err := d.Invoke(ctx, req) // warm the pool
			if err != nil || string(res.Body) != g.want {
				b.Fatalf("warm-up: %v %q", err, res.Body)
			}
			lat := make([]time.Duration, 0, b.N)
			var fuel uint64
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				res, err := d.Invoke(ctx, req)
				lat = append(lat, time.Since(t0))
				if err != nil || res.Status == 0 {
					b.Fatalf("invoke: %v", err)
				}
				fuel = res.Fuel
			}
			b.StopTimer()
			b.ReportMetric(float64(fuel), "fuel/op")
			reportPercentiles(b, lat)
		})
	}
}

// BenchmarkWAGIHello is a WASI command per request (a fresh instance
// each time): a hand-assembled CGI hello, and the same in Go.
func BenchmarkWAGIHello(b *testing.B) {
	e := newEngine(b, Config{})
	guests := []struct {
		name string
		wasm func() []byte
	}{
		{"wat", wagiHelloWasm},
		{"go", func() []byte {
			return buildCommand(b, "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Print(\"Content-Type: text/plain\\n\\nhello\\n\") }\n")
		}},
	}
	for _, g := range guests {
		b.Run(g.name, func(b *testing.B) {
			d := deploy(b, e, g.wasm(), DeploymentConfig{})
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				res, err := d.Invoke(ctx, &Request{URL: "/"})
				lat = append(lat, time.Since(t0))
				if err != nil || res.Status != 200 {
					b.Fatalf("invoke: %v", err)
				}
			}
			b.StopTimer()
			reportPercentiles(b, lat)
		})
	}
}

// BenchmarkCompile compiles the Go hello reactor's artifact (instrumented
// for fuel, as the builder stores it) with an empty on-disk cache, then
// from a warm one (a new engine each time, as after a node restart).
func BenchmarkCompile(b *testing.B) {
	wasm, err := fuel.Instrument(buildReactor(b, helloReactor))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	compile := func(b *testing.B, dir string) {
		e, err := New(ctx, Config{CacheDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		m, err := e.CompileInstrumented(ctx, wasm)
		if err != nil {
			b.Fatal(err)
		}
		m.Close(ctx)
		e.Close(ctx)
	}
	b.Run("cold", func(b *testing.B) {
		for range b.N {
			compile(b, b.TempDir())
		}
	})
	b.Run("cached", func(b *testing.B) {
		dir := b.TempDir()
		compile(b, dir)
		b.ResetTimer()
		for range b.N {
			compile(b, dir)
		}
	})
}

// BenchmarkPoolAcquire is the wait for an instance when several callers
// share a deployment whose pool holds fewer instances than callers.
func BenchmarkPoolAcquire(b *testing.B) {
	e := newEngine(b, Config{})
	for _, callers := range []int{1, 8} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			d := deploy(b, e, staticReactorWasm(), DeploymentConfig{MaxInstances: 4})
			ctx := context.Background()
			lats := make(chan []time.Duration, callers)
			b.ResetTimer()
			for c := range callers {
				go func() {
					n := b.N / callers
					if c == 0 {
						n += b.N % callers
					}
					lat := make([]time.Duration, 0, n)
					for range n {
						t0 := time.Now()
						in, fresh, err := d.acquire(ctx, time.Time{})
						lat = append(lat, time.Since(t0))
						if err != nil {
							panic(err)
						}
						if fresh {
							var res Result
							if in, err = d.newReactor(ctx, time.Time{}, &res); err != nil {
								panic(err)
							}
						}
						d.pool.Release(in, true)
					}
					lats <- lat
				}()
			}
			var all []time.Duration
			for range callers {
				all = append(all, <-lats...)
			}
			b.StopTimer()
			reportPercentiles(b, all)
		})
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}
