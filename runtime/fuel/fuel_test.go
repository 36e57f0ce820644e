package fuel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kilnhq/kiln/internal/wasmtest"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// loopModule: run(n) counts i from 0 to n in a block/loop and returns i.
// Fuel by hand: block, loop (2); per iteration local.get, local.get,
// i32.ge_u, br_if (4) and local.get, i32.const, i32.add, local.set, br (5);
// the last test (4); after the block local.get, end (2): 9n + 8.
var loopModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type (i32) -> i32
	0x03, 0x02, 0x01, 0x00, // func 0: type 0
	0x05, 0x03, 0x01, 0x00, 0x01, // memory 1 page
	0x07, 0x07, 0x01, 0x03, 'r', 'u', 'n', 0x00, 0x00, // export "run"
	0x0a, 0x1e, 0x01, 0x1c, 0x01, 0x01, 0x7f,
	0x02, 0x40, 0x03, 0x40,
	0x20, 0x01, 0x20, 0x00, 0x4f, 0x0d, 0x01,
	0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01, 0x0c, 0x00,
	0x0b, 0x0b, 0x20, 0x01, 0x0b,
}

// fillModule: fill(n) runs memory.fill(0, 7, n): local.get 0, i32.const 7,
// local.get 0, memory.fill, end = 5 instructions plus n>>6 for the bytes.
var fillModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00, // type (i32) -> ()
	0x03, 0x02, 0x01, 0x00,
	0x05, 0x03, 0x01, 0x00, 0x02, // memory 2 pages
	0x07, 0x08, 0x01, 0x04, 'f', 'i', 'l', 'l', 0x00, 0x00,
	0x0a, 0x0d, 0x01, 0x0b, 0x00,
	0x41, 0x00, 0x41, 0x07, 0x20, 0x00, 0xfc, 0x0b, 0x00, 0x0b,
}

// callFuel instantiates an instrumented module, sets the budget, calls fn
// and returns the fuel used and whether it ran out.
func callFuel(t *testing.T, wasm []byte, fn string, budget int64, args ...uint64) (used int64, out []uint64, outOfFuel bool) {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer r.Close(ctx)
	mod, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithStartFunctions())
	if err != nil {
		t.Fatal(err)
	}
	g := mod.ExportedGlobal(GlobalName).(api.MutableGlobal)
	g.Set(uint64(budget))
	out, err = mod.ExportedFunction(fn).Call(ctx, args...)
	remaining := int64(g.Get())
	if err != nil && remaining >= 0 {
		t.Fatalf("%s trapped with fuel left: %v", fn, err)
	}
	return budget - remaining, out, remaining < 0
}

func TestLoopFuelByHand(t *testing.T) {
	wasm, err := Instrument(loopModule)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []uint64{0, 1, 10, 1000} {
		used, out, oof := callFuel(t, wasm, "run", 1<<40, n)
		if oof || out[0] != n {
			t.Fatalf("run(%d) = %v, out of fuel %v", n, out, oof)
		}
		if want := int64(9*n + 8); used != want {
			t.Errorf("run(%d) used %d fuel, want 9n+8 = %d", n, used, want)
		}
	}
}

func TestExactBudget(t *testing.T) {
	wasm, err := Instrument(loopModule)
	if err != nil {
		t.Fatal(err)
	}
	need := int64(9*50 + 8)
	if _, _, oof := callFuel(t, wasm, "run", need, 50); oof {
		t.Fatal("ran out with exactly the fuel needed")
	}
	if _, _, oof := callFuel(t, wasm, "run", need-1, 50); !oof {
		t.Fatal("one fuel short did not run out")
	}
	// An endless loop stops.
	used, _, oof := callFuel(t, wasm, "run", 1_000_000, 1<<31)
	if !oof || used < 1_000_000 {
		t.Fatalf("runaway loop: used %d, out of fuel %v", used, oof)
	}
}

func TestBulkMemoryChargedBySize(t *testing.T) {
	wasm, err := Instrument(fillModule)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []uint64{0, 63, 64, 65536} {
		used, _, _ := callFuel(t, wasm, "fill", 1<<40, n)
		if want := int64(5 + n>>BulkBytesShift); used != want {
			t.Errorf("fill(%d) used %d, want %d", n, used, want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, err := Instrument(loopModule)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Instrument(loopModule)
	if !bytes.Equal(a, b) {
		t.Fatal("same input, different output")
	}
}

func TestRefusals(t *testing.T) {
	exportsFuel := []byte{
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
		0x06, 0x06, 0x01, 0x7e, 0x01, 0x42, 0x00, 0x0b, // global mut i64 = 0
		0x07, 0x0d, 0x01, 0x09, 'k', 'i', 'l', 'n', '_', 'f', 'u', 'e', 'l', 0x03, 0x00,
	}
	withStart := []byte{
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
		0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
		0x03, 0x02, 0x01, 0x00,
		0x08, 0x01, 0x00,
		0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
	}
	cases := []struct {
		name string
		wasm []byte
		want error
	}{
		{"garbage", []byte("not wasm at all"), ErrInvalidModule},
		{"truncated", loopModule[:len(loopModule)-3], ErrInvalidModule},
		{"empty", nil, ErrInvalidModule},
		{"exports the fuel name", exportsFuel, ErrUnsupported},
		{"start section", withStart, ErrUnsupported},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Instrument(tc.wasm)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

var goPrograms = map[string]string{
	"fib": `package main
import "fmt"
func fib(n int) int { if n < 2 { return n }; return fib(n-1) + fib(n-2) }
func main() { fmt.Println(fib(22)) }`,
	"sha256": `package main
import ("crypto/sha256"; "fmt")
func main() {
	b := make([]byte, 1<<16)
	for i := range b { b[i] = byte(i * 31) }
	fmt.Printf("%x\n", sha256.Sum256(b))
}`,
	"sortmaps": `package main
import ("fmt"; "sort"; "strings")
func main() {
	m := map[string]int{}
	for i := 0; i < 2000; i++ { m[fmt.Sprint(i*7919%1000)] += i }
	keys := make([]string, 0, len(m))
	for k := range m { keys = append(keys, k) }
	sort.Strings(keys)
	fmt.Println(len(keys), strings.Join(keys[:5], ","), m[keys[0]])
}`,
	"goroutines": `package main
import ("fmt"; "sync")
func main() {
	var wg sync.WaitGroup
	ch := make(chan int, 100)
	for i := 0; i < 20; i++ { wg.Add(1); go func(i int) { defer wg.Done(); ch <- i * i }(i) }
	wg.Wait(); close(ch)
	s := 0
	for v := range ch { s += v }
	fmt.Println(s)
}`,
	"panic": `package main
import "fmt"
func f() (r string) { defer func() { r = fmt.Sprint("recovered: ", recover()) }(); var m map[string]int; m["x"] = 1; return "no" }
func main() { fmt.Println(f()) }`,
}

// runCommand runs a WASI command; instrumented modules get budget fuel.
func runCommand(t *testing.T, wasm []byte, budget int64) (stdout string, used int64) {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	var out bytes.Buffer
	mod, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithStdout(&out).WithStartFunctions())
	if err != nil {
		t.Fatal(err)
	}
	g, _ := mod.ExportedGlobal(GlobalName).(api.MutableGlobal)
	if g != nil {
		g.Set(uint64(budget))
	}
	_, err = mod.ExportedFunction("_start").Call(ctx)
	var exit *sys.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 0) {
		t.Fatalf("_start: %v", err)
	}
	if g != nil {
		used = budget - int64(g.Get())
	}
	return out.String(), used
}

// Instrumented Go programs print what the plain ones print, and the
// per-segment fuel equals the count of the one-fuel-per-instruction
// reference instrumentation exactly.
func TestDifferentialGoPrograms(t *testing.T) {
	for name, src := range goPrograms {
		t.Run(name, func(t *testing.T) {
			plain := wasmtest.BuildGo(t, map[string]string{"main.go": src}, wasmtest.GoOptions{})
			fast, err := Instrument(plain)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := instrument(plain, true)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := runCommand(t, plain, 0)
			got, used := runCommand(t, fast, 1<<50)
			refOut, refUsed := runCommand(t, ref, 1<<50)
			if got != want || refOut != want {
				t.Fatalf("output differs:\nplain %q\ninstrumented %q\nreference %q", want, got, refOut)
			}
			if used != refUsed || used <= 0 {
				t.Fatalf("fuel %d, reference count %d", used, refUsed)
			}
			t.Logf("%s: %d instructions, %s", name, used, fmt.Sprintf("%.1f%% larger", 100*float64(len(fast)-len(plain))/float64(len(plain))))
		})
	}
}

func FuzzInstrument(f *testing.F) {
	f.Add(loopModule)
	f.Add(fillModule)
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := Instrument(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidModule) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if err := validate(out); err != nil {
			t.Fatalf("output does not validate: %v", err)
		}
	})
}

// The hand-assembled C-like functions of the benchmarks (recursive fib, an
// FNV-1a loop over memory) give the plain results when metered, and the
// per-segment fuel equals the one-fuel-per-instruction reference count.
func TestDifferentialHandAssembled(t *testing.T) {
	plain := watBench()
	fast, err := Instrument(plain)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := instrument(plain, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		fn  string
		arg uint64
	}{{"fib", 0}, {"fib", 1}, {"fib", 20}, {"fnv", 0}, {"fnv", 24}, {"fnv", 100_000}} {
		ctx := context.Background()
		r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
		mod, err := r.Instantiate(ctx, plain)
		if err != nil {
			t.Fatal(err)
		}
		want, err := mod.ExportedFunction(c.fn).Call(ctx, c.arg)
		r.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		used, got, _ := callFuel(t, fast, c.fn, 1<<50, c.arg)
		refUsed, refGot, _ := callFuel(t, ref, c.fn, 1<<50, c.arg)
		if got[0] != want[0] || refGot[0] != want[0] {
			t.Fatalf("%s(%d): plain %d, metered %d, reference %d", c.fn, c.arg, want[0], got[0], refGot[0])
		}
		if used != refUsed || used <= 0 {
			t.Fatalf("%s(%d): fuel %d, reference count %d", c.fn, c.arg, used, refUsed)
		}
	}
}
