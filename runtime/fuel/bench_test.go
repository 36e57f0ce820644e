package fuel

import (
	"context"
	"testing"

	"github.com/kilnhq/kiln/internal/wasmtest"
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

// BenchmarkFuelOverhead compares plain and instrumented code on wazero's
// compiler: go test -run '^$' -bench FuelOverhead -count 5 ./runtime/fuel
func BenchmarkFuelOverhead(b *testing.B) {
	plain := wasmtest.BuildGo(b, map[string]string{"main.go": benchReactor}, wasmtest.GoOptions{Reactor: true})
	metered, err := Instrument(plain)
	if err != nil {
		b.Fatal(err)
	}
	for _, fn := range []struct {
		name string
		args []uint64
	}{{"fib27", []uint64{27}}, {"sha1MiB", nil}} {
		for _, mode := range []struct {
			name string
			wasm []byte
		}{{"plain", plain}, {"metered", metered}} {
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
				if _, err := mod.ExportedFunction("_initialize").Call(ctx); err != nil {
					b.Fatal(err)
				}
				name := map[string]string{"fib27": "fib", "sha1MiB": "sha"}[fn.name]
				f := mod.ExportedFunction(name)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if g != nil {
						g.Set(1 << 62)
					}
					if _, err := f.Call(ctx, fn.args...); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
