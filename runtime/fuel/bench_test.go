package fuel

import (
	"context"
	"testing"

	"github.com/kilnhq/kiln/internal/wasmtest"
	w "github.com/kilnhq/kiln/runtime/internal/wasmtestmod"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// benchReactor exports a CPU-bound function: fib (recursive calls) and
// sha (a hashing loop), built as a Go reactor so one instance serves every
// iteration.
const benchReactor = `package main

import "crypto/sha256"

//go:wasmexport fib
func fib(n int32) int32 {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

var buf = make([]byte, 1<<20)

//go:wasmexport sha
func sha() int32 {
	s := sha256.Sum256(buf)
	return int32(s[0])
}

func main() {}
`

// watBench is the C-like counterpart of benchReactor, assembled by hand
// as a C compiler would emit it: fib is recursive fib over i32, fnv hashes
// the first n bytes of memory with FNV-1a in a loop.
func watBench() []byte {
	i32 := byte(w.I32)
	fib := w.Seq(
		w.Op(w.LocalGet, 0), w.I32Const(2), []byte{0x48, w.If, i32}, // i32.lt_s; if (result i32)
		w.Op(w.LocalGet, 0),
		[]byte{w.Else},
		w.Op(w.LocalGet, 0), w.I32Const(1), []byte{w.I32Sub}, w.Op(w.Call, 0),
		w.Op(w.LocalGet, 0), w.I32Const(2), []byte{w.I32Sub}, w.Op(w.Call, 0),
		[]byte{w.I32Add, w.End},
	)
	fnv := w.Seq(
		w.I32Const(-2128831035), w.Op(w.LocalSet, 2), // offset basis 0x811c9dc5
		[]byte{w.Block, w.BlockVoid, w.Loop, w.BlockVoid},
		w.Op(w.LocalGet, 1), w.Op(w.LocalGet, 0), []byte{0x4f}, w.Op(w.BrIf, 1), // i32.ge_u
		w.Op(w.LocalGet, 2), w.Op(w.LocalGet, 1), w.Mem(0x2d, 0, 0), []byte{0x73}, // i32.load8_u; i32.xor
		w.I32Const(16777619), []byte{0x6c}, w.Op(w.LocalSet, 2), // i32.mul
		w.Op(w.LocalGet, 1), w.I32Const(1), []byte{w.I32Add}, w.Op(w.LocalSet, 1),
		w.Op(w.Br, 0),
		[]byte{w.End, w.End},
		w.Op(w.LocalGet, 2),
	)
	m := w.Module{
		Types:  []w.FuncType{{Params: []byte{i32}, Results: []byte{i32}}},
		Funcs:  []w.Func{{Type: 0, Body: fib}, {Type: 0, Locals: []byte{i32, i32}, Body: fnv}},
		Memory: &w.Memory{Min: 16},
		Exports: []w.Export{
			{Name: "memory", Kind: w.KindMemory},
			{Name: "fib", Kind: w.KindFunc, Index: 0},
			{Name: "fnv", Kind: w.KindFunc, Index: 1},
		},
		Data: []w.Data{{Offset: 0, Bytes: []byte("kiln fuel benchmark data")}},
	}
	return m.Bytes()
}

// BenchmarkFuelOverhead compares plain and instrumented code on wazero's
// compiler: go test -run '^$' -bench FuelOverhead -count 5 -cpu 1 ./runtime/fuel
func BenchmarkFuelOverhead(b *testing.B) {
	goPlain := wasmtest.BuildGo(b, map[string]string{"main.go": benchReactor}, wasmtest.GoOptions{Reactor: true})
	goMetered, err := Instrument(goPlain)
	if err != nil {
		b.Fatal(err)
	}
	watPlain := watBench()
	watMetered, err := Instrument(watPlain)
	if err != nil {
		b.Fatal(err)
	}
	for _, fn := range []struct {
		name         string
		export       string
		args         []uint64
		plain, meter []byte
	}{
		{"go-fib27", "fib", []uint64{27}, goPlain, goMetered},
		{"go-sha1MiB", "sha", nil, goPlain, goMetered},
		{"wat-fib27", "fib", []uint64{27}, watPlain, watMetered},
		{"wat-fnv1MiB", "fnv", []uint64{1 << 20}, watPlain, watMetered},
	} {
		var want []uint64
		for _, mode := range []struct {
			name string
			wasm []byte
		}{{"plain", fn.plain}, {"metered", fn.meter}} {
			b.Run(fn.name+"/"+mode.name, func(b *testing.B) {
				ctx := context.Background()
				r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
				defer r.Close(ctx)
				wasi_snapshot_preview1.MustInstantiate(ctx, r)
				mod, err := r.InstantiateWithConfig(ctx, mode.wasm, wazero.NewModuleConfig().WithStartFunctions())
				if err != nil {
					b.Fatal(err)
				}
				g, _ := mod.ExportedGlobal(GlobalName).(api.MutableGlobal)
				if g != nil {
					g.Set(1 << 62)
				}
				if init := mod.ExportedFunction("_initialize"); init != nil {
					if _, err := init.Call(ctx); err != nil {
						b.Fatal(err)
					}
				}
				f := mod.ExportedFunction(fn.export)
				var got []uint64
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if g != nil {
						g.Set(1 << 62)
					}
					if got, err = f.Call(ctx, fn.args...); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if g != nil {
					b.ReportMetric(float64(1<<62-int64(g.Get())), "fuel/op")
				}
				// The instrumented module must compute what the plain one did.
				if want == nil {
					want = got
				} else if got[0] != want[0] {
					b.Fatalf("metered result %d, plain %d", got[0], want[0])
				}
			})
		}
	}
}
