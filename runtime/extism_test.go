package runtime

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/wasmtest"
	"github.com/kilnhq/kiln/runtime/hostfn"
	w "github.com/kilnhq/kiln/runtime/internal/wasmtestmod"
)

// buildPlugin builds testdata/extism with the Extism kernel imports the
// hello-extism example ships, so the example's shim is what is tested.
func buildPlugin(t testing.TB) []byte {
	t.Helper()
	files := map[string]string{}
	for name, path := range map[string]string{
		"main.go": filepath.Join("testdata", "extism", "main.go"),
		"pdk.go":  filepath.Join("..", "examples", "hello-extism", "pdk.go"),
	} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	return wasmtest.BuildGo(t, files, wasmtest.GoOptions{Reactor: true})
}

func TestExtismHello(t *testing.T) {
	e := newEngine(t, Config{})
	m, err := e.Compile(context.Background(), buildPlugin(t))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	if m.ABI() != ABIExtism {
		t.Fatalf("detected ABI %q", m.ABI())
	}
	d, err := e.Deploy(t.Name(), m, DeploymentConfig{Env: map[string]string{"GREETING": "hi there"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	req := func() *Request {
		return &Request{
			Method: "POST", URL: "/hello?q=7", Host: "example.com",
			Header: http.Header{"X-Token": {"t1", "t2"}},
			Body:   strings.NewReader("ping"),
		}
	}
	for i := range 3 {
		res, err := d.Invoke(context.Background(), req())
		if err != nil {
			t.Fatalf("invoke %d: %v (logs %v)", i, err, res.Logs)
		}
		if res.Status != 201 || string(res.Body) != "hello POST /hello q=7 host=example.com body=ping" {
			t.Fatalf("got %d %q", res.Status, res.Body)
		}
		if res.Header.Get("Content-Type") != "text/plain" || res.Header.Get("X-Token") != "t1,t2" || strings.Join(res.Header.Values("X-Multi"), "|") != "a|b" {
			t.Fatalf("headers %v", res.Header)
		}
		if res.BytesIn != 4 || res.BytesOut != int64(len(res.Body)) {
			t.Fatalf("bytes in %d out %d", res.BytesIn, res.BytesOut)
		}
		if len(res.Logs) != 2 ||
			res.Logs[0] != (LogLine{Time: res.Logs[0].Time, Level: slog.LevelInfo, Stream: hostfn.StreamLog, Message: "hello from the plugin"}) ||
			res.Logs[1].Level != slog.LevelWarn || res.Logs[1].Message != "careful: POST" {
			t.Fatalf("logs %+v", res.Logs)
		}
		if res.Fuel == 0 || res.Fuel >= DefaultFuel {
			t.Fatalf("fuel %d", res.Fuel)
		}
		if cold := i == 0; res.ColdStart != cold || (res.InitFuel > 0) != cold {
			t.Fatalf("invoke %d: cold start %v, init fuel %d", i, res.ColdStart, res.InitFuel)
		}
		if res.PeakMemory == 0 || res.PeakMemory > DefaultMemoryPages<<16 {
			t.Fatalf("peak memory %d", res.PeakMemory)
		}
		t.Logf("fuel %d init %d wall %v peak %d KiB", res.Fuel, res.InitFuel, res.Wall, res.PeakMemory>>10)
	}
	// The instance was kept: the plugin's state carried over.
	res, err := d.Invoke(context.Background(), &Request{URL: "/calls"})
	if err != nil || string(res.Body) != "4" {
		t.Fatalf("calls: %v %q", err, res.Body)
	}
	res, err = d.Invoke(context.Background(), &Request{URL: "/text"})
	if err != nil || res.Status != 200 || string(res.Body) != "plain text" {
		t.Fatalf("text: %v %d %q", err, res.Status, res.Body)
	}

	// The deployment's variables are the plugin's Extism config.
	for key, want := range map[string]string{"GREETING": `"hi there" true`, "MISSING": `"" false`} {
		res, err := d.Invoke(context.Background(), &Request{URL: "/config?key=" + key})
		if err != nil || string(res.Body) != want {
			t.Fatalf("config %s: %v %q", key, err, res.Body)
		}
	}
}

// constPlugin is a plugin without WASI whose handle copies a JSON
// response from its data segment into kernel memory and outputs it.
func constPlugin(out string) []byte {
	const alloc, storeU8, outputSet = 0, 1, 2
	n := int64(len(out))
	m := w.Module{
		Types: []w.FuncType{
			{Params: []byte{w.I64}, Results: []byte{w.I64}},
			{Params: []byte{w.I64, w.I32}},
			{Params: []byte{w.I64, w.I64}},
			{Results: []byte{w.I32}},
		},
		Imports: []w.Import{
			{Module: extismHost, Name: "alloc", Type: 0},
			{Module: extismHost, Name: "store_u8", Type: 1},
			{Module: extismHost, Name: "output_set", Type: 2},
		},
		Funcs: []w.Func{{Type: 3, Locals: []byte{w.I32, w.I64}, Body: w.Seq(
			w.I64Const(n), w.Op(w.Call, alloc), w.Op(w.LocalSet, 1),
			[]byte{w.Block, w.BlockVoid, w.Loop, w.BlockVoid},
			w.Op(w.LocalGet, 0), w.I32Const(int32(n)), []byte{w.I32Eq}, w.Op(w.BrIf, 1),
			w.Op(w.LocalGet, 1), w.Op(w.LocalGet, 0), []byte{0xad /* i64.extend_i32_u */, w.I64Add},
			w.Op(w.LocalGet, 0), w.Mem(0x2d /* i32.load8_u */, 0, 0),
			w.Op(w.Call, storeU8),
			w.Op(w.LocalGet, 0), w.I32Const(1), []byte{w.I32Add}, w.Op(w.LocalSet, 0),
			w.Op(w.Br, 0),
			[]byte{w.End, w.End},
			w.Op(w.LocalGet, 1), w.I64Const(n), w.Op(w.Call, outputSet),
			w.I32Const(0),
		)}},
		Memory:  &w.Memory{Min: 1},
		Exports: []w.Export{{Name: "memory", Kind: w.KindMemory}, {Name: pluginHandle, Kind: w.KindFunc, Index: 3}},
		Data:    []w.Data{{Offset: 0, Bytes: []byte(out)}},
	}
	return m.Bytes()
}

// TestExtismExactFuel: a plugin without initialisation runs with exactly
// the fuel it used and runs out with one less.
func TestExtismExactFuel(t *testing.T) {
	e := newEngine(t, Config{})
	wasm := constPlugin(`{"status":202,"text":"const"}`)
	res, err := deploy(t, e, wasm, DeploymentConfig{}).Invoke(context.Background(), &Request{})
	if err != nil || res.Status != 202 || string(res.Body) != "const" || res.InitFuel != 0 {
		t.Fatalf("%v %d %q init %d", err, res.Status, res.Body, res.InitFuel)
	}
	used := res.Fuel
	// 29 bytes stored one at a time, a loop of ~20 instructions each,
	// and 31 kernel calls (alloc, 29 store_u8, output_set).
	if kernel := uint64(31 * hostfn.CostCall); used < kernel+29*10 || used > kernel+29*40 {
		t.Fatalf("fuel %d for a 29-byte copy", used)
	}
	for _, c := range []struct {
		budget uint64
		kind   string
	}{{used, ""}, {used - 1, KindOutOfFuel}} {
		d := deploy(t, e, wasm, DeploymentConfig{Limits: Limits{Fuel: c.budget}})
		res, err := d.Invoke(context.Background(), &Request{})
		if res.ErrorKind != c.kind {
			t.Fatalf("budget %d of %d: kind %q, error %v", c.budget, used, res.ErrorKind, err)
		}
		if c.kind == "" && res.Fuel != used {
			t.Fatalf("budget %d: used %d, before %d", c.budget, res.Fuel, used)
		}
		d.Close()
	}
}

// reentrantPlugin's handle calls its own export in an endless loop: each
// entry must not bring a new budget.
func reentrantPlugin() []byte {
	m := w.Module{
		Types:   []w.FuncType{{Results: []byte{w.I64}}, {Results: []byte{w.I32}}},
		Imports: []w.Import{{Module: extismHost, Name: "input_length", Type: 0}},
		Globals: []w.Global{{Type: w.I32, Mutable: true}},
		Funcs: []w.Func{{Type: 1, Body: w.Seq(
			w.Op(w.GlobalGet, 0), []byte{w.If, w.BlockVoid}, w.I32Const(0), []byte{w.Return, w.End},
			[]byte{w.Loop, w.BlockVoid},
			w.I32Const(1), w.Op(w.GlobalSet, 0),
			w.Op(w.Call, 1), []byte{w.Drop},
			w.I32Const(0), w.Op(w.GlobalSet, 0),
			w.Op(w.Br, 0),
			[]byte{w.End},
			w.I32Const(0),
		)}},
		Memory:  &w.Memory{Min: 1},
		Exports: []w.Export{{Name: pluginHandle, Kind: w.KindFunc, Index: 1}},
	}
	return m.Bytes()
}

func TestExtismHostile(t *testing.T) {
	h := newHostileEngine(t)
	wasm := buildPlugin(t)
	bad := deploy(t, h.e, wasm, DeploymentConfig{Limits: Limits{
		Fuel: 200_000_000, MemoryPages: 512, Timeout: 2 * time.Second, MaxOutputBytes: 16 << 10, MaxInputBytes: 1 << 10,
	}})
	ok := func(t *testing.T) {
		t.Helper()
		h.stillServes(t)
		res, err := bad.Invoke(context.Background(), &Request{URL: "/text"})
		if err != nil || string(res.Body) != "plain text" {
			t.Fatalf("the plugin failed after: %v %q", err, res.Body)
		}
	}
	cases := []struct {
		path  string
		kind  string
		is    error
		msg   string // in the error
		reuse bool   // the instance survives
	}{
		{"/error", KindTrap, nil, "guest trapped: plugin says no", true},
		{"/rc", KindTrap, nil, "handle returned 3 without an error message", true},
		{"/garbage", KindBadResponse, ErrBadResponse, `not a JSON response`, true},
		{"/nothing", KindBadResponse, ErrBadResponse, "output nothing", true},
		{"/badbody", KindBadResponse, ErrBadResponse, "not base64", true},
		{"/big", KindOutputLimit, ErrOutputLimit, "over 16384", true},
		{"/loop", KindOutOfFuel, ErrOutOfFuel, "budget of 200000000", false},
		{"/memory", KindMemoryLimit, ErrMemoryLimit, "512 pages", false},
		{"/kernelmemory", KindTrap, nil, "kernel alloc failed at", true},
		{"/panic", KindTrap, nil, "panic: boom in plugin", false},
		{"/sleep", KindDeadline, ErrDeadline, "deadline", false},
		{"/http", KindTrap, nil, "HTTP request to 'http://127.0.0.1:9/' is not allowed", false},
		{"/exit", KindBadResponse, ErrBadResponse, "output nothing", false},
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
			// A warm instance first, to see whether it survives.
			if _, err := bad.Invoke(context.Background(), &Request{URL: "/text"}); err != nil {
				t.Fatal(err)
			}
			res, err := bad.Invoke(context.Background(), &Request{URL: c.path})
			if res.ErrorKind != c.kind || (c.is != nil && !errors.Is(err, c.is)) || err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got kind %q, error %v; want %q with %q (logs %v)", res.ErrorKind, err, c.kind, c.msg, res.Logs)
			}
			if res.Status != 0 || res.Body != nil {
				t.Fatalf("a failed invocation returned a response: %d %q", res.Status, res.Body)
			}
			if res.ColdStart {
				t.Fatalf("a warm instance was not used")
			}
			next, err := bad.Invoke(context.Background(), &Request{URL: "/text"})
			if err != nil || next.ColdStart == c.reuse {
				t.Fatalf("after %s: %v, cold start %v (want the instance kept: %v)", c.path, err, next.ColdStart, c.reuse)
			}
			ok(t)
		})
	}
	t.Run("stderr", func(t *testing.T) {
		res, err := bad.Invoke(context.Background(), &Request{URL: "/stderr"})
		if err != nil || len(res.Logs) != 1 || res.Logs[0].Stream != hostfn.StreamStderr || res.Logs[0].Message != "to stderr" {
			t.Fatalf("%v %+v", err, res.Logs)
		}
	})
	t.Run("kernel flood", func(t *testing.T) {
		// Kernel calls end at the deadline, and are charged: a budget of
		// a few million (initialisation has its own) lasts some ten
		// thousand of them.
		d := deploy(t, h.e, wasm, DeploymentConfig{Limits: Limits{Fuel: 1 << 40, Timeout: 300 * time.Millisecond}})
		if res, err := d.Invoke(context.Background(), &Request{URL: "/kernelflood"}); !errors.Is(err, ErrDeadline) {
			t.Fatalf("%v %q", err, res.ErrorKind)
		}
		d = deploy(t, h.e, wasm, DeploymentConfig{Limits: Limits{Fuel: 3_000_000}})
		if res, err := d.Invoke(context.Background(), &Request{URL: "/kernelflood"}); !errors.Is(err, ErrOutOfFuel) || res.Fuel != 3_000_000 || res.Wall > time.Second {
			t.Fatalf("%v %q fuel %d in %v", err, res.ErrorKind, res.Fuel, res.Wall)
		}
		ok(t)
	})
	t.Run("input", func(t *testing.T) {
		res, err := bad.Invoke(context.Background(), &Request{URL: "/hello", Body: strings.NewReader(strings.Repeat("i", 2<<10))})
		if !errors.Is(err, ErrInputLimit) || res.ErrorKind != KindInputLimit {
			t.Fatalf("%v %q", err, res.ErrorKind)
		}
		ok(t)
	})
	t.Run("input over memory", func(t *testing.T) {
		// 80 pages hold the plugin (some 4.4 MiB) but not a 1 MiB body
		// besides it.
		d := deploy(t, h.e, wasm, DeploymentConfig{Limits: Limits{MemoryPages: 80}})
		if _, err := d.Invoke(context.Background(), &Request{URL: "/text"}); err != nil {
			t.Fatal(err)
		}
		res, err := d.Invoke(context.Background(), &Request{URL: "/hello", Body: strings.NewReader(strings.Repeat("b", 1<<20))})
		if !errors.Is(err, ErrMemoryLimit) || !strings.Contains(err.Error(), "does not fit") || res.Fuel != 0 {
			t.Fatalf("%v %q fuel %d", err, res.ErrorKind, res.Fuel)
		}
		if res, err = d.Invoke(context.Background(), &Request{URL: "/text"}); err != nil || !res.ColdStart {
			t.Fatalf("after: %v cold=%v", err, res.ColdStart)
		}
	})
	t.Run("initial memory", func(t *testing.T) {
		small := deploy(t, h.e, wasm, DeploymentConfig{Limits: Limits{MemoryPages: 4}})
		res, err := small.Invoke(context.Background(), &Request{URL: "/text"})
		if !errors.Is(err, ErrMemoryLimit) {
			t.Fatalf("%v %q", err, res.ErrorKind)
		}
		ok(t)
	})
	t.Run("reentrant", func(t *testing.T) {
		d := deploy(t, h.e, reentrantPlugin(), DeploymentConfig{Limits: Limits{Fuel: 1_000_000, Timeout: 5 * time.Second}})
		res, err := d.Invoke(context.Background(), &Request{})
		if !errors.Is(err, ErrOutOfFuel) || res.Fuel != 1_000_000 {
			t.Fatalf("%v, fuel %d", err, res.Fuel)
		}
		ok(t)
	})
}

func TestExtismRefused(t *testing.T) {
	e := newEngine(t, Config{})
	i64 := []byte{w.I64}
	cases := []struct {
		name string
		mod  w.Module
		is   error
		msg  string
	}{
		{"user host function", w.Module{
			Types:   []w.FuncType{{Params: i64, Results: i64}, {Results: []byte{w.I32}}},
			Imports: []w.Import{{Module: extismHost, Name: "alloc", Type: 0}, {Module: "extism:host/user", Name: "lookup", Type: 0}},
			Funcs:   []w.Func{{Type: 1, Body: w.I32Const(0)}},
			Exports: []w.Export{{Name: pluginHandle, Kind: w.KindFunc, Index: 2}},
		}, ErrUnknownImport, "extism:host/user.lookup"},
		{"unknown kernel function", w.Module{
			Types:   []w.FuncType{{Params: i64, Results: i64}, {Results: []byte{w.I32}}},
			Imports: []w.Import{{Module: extismHost, Name: "teleport", Type: 0}},
			Funcs:   []w.Func{{Type: 1, Body: w.I32Const(0)}},
			Exports: []w.Export{{Name: pluginHandle, Kind: w.KindFunc, Index: 1}},
		}, ErrUnknownImport, "extism:host/env.teleport"},
		{"kernel function of the wrong type", w.Module{
			Types:   []w.FuncType{{Params: []byte{w.I32}, Results: i64}, {Results: []byte{w.I32}}},
			Imports: []w.Import{{Module: extismHost, Name: "alloc", Type: 0}},
			Funcs:   []w.Func{{Type: 1, Body: w.I32Const(0)}},
			Exports: []w.Export{{Name: pluginHandle, Kind: w.KindFunc, Index: 1}},
		}, ErrUnknownImport, "imported as (i32) -> i64"},
		{"no handle", w.Module{
			Types:   []w.FuncType{{Params: i64, Results: i64}, {Results: []byte{w.I32}}},
			Imports: []w.Import{{Module: extismHost, Name: "alloc", Type: 0}},
			Funcs:   []w.Func{{Type: 1, Body: w.I32Const(0)}},
			Exports: []w.Export{{Name: "greet", Kind: w.KindFunc, Index: 1}},
		}, ErrInvalidModule, "must export the function handle"},
		{"handle with parameters", w.Module{
			Types:   []w.FuncType{{Params: i64, Results: i64}},
			Imports: []w.Import{{Module: extismHost, Name: "alloc", Type: 0}},
			Funcs:   []w.Func{{Type: 0, Body: w.Op(w.LocalGet, 0)}},
			Exports: []w.Export{{Name: pluginHandle, Kind: w.KindFunc, Index: 1}},
		}, ErrInvalidModule, "has signature (i64) -> i64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := e.Compile(context.Background(), c.mod.Bytes())
			if err == nil {
				m.Close(context.Background())
			}
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v; want %v with %q", err, c.is, c.msg)
			}
		})
	}
}

func TestImportsExtism(t *testing.T) {
	plugin := constPlugin("{}")
	for _, c := range []struct {
		name string
		wasm []byte
		want bool
	}{
		{"plugin", plugin, true},
		{"command", wagiHelloWasm(), false},
		{"no imports", loopForeverWasm(), false},
		{"truncated", plugin[:len(plugin)/3], false},
		{"garbage", []byte("\x00asm\x01\x00\x00\x00\x02\xff\xff"), false},
		{"empty", nil, false},
	} {
		if got := importsExtism(c.wasm); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}

func BenchmarkExtismHello(b *testing.B) {
	e := newEngine(b, Config{})
	d := deploy(b, e, buildPlugin(b), DeploymentConfig{})
	ctx := context.Background()
	if _, err := d.Invoke(ctx, &Request{URL: "/text"}); err != nil {
		b.Fatal(err)
	}
	b.Run("empty", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := d.Invoke(ctx, &Request{URL: "/text"})
			if err != nil || res.Status != 200 {
				b.Fatal(err)
			}
		}
	})
	// The plugin reads its input through the kernel eight bytes a call.
	body := strings.Repeat("b", 64<<10)
	b.Run("64KiB", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			res, err := d.Invoke(ctx, &Request{URL: "/hello", Body: strings.NewReader(body)})
			if err != nil || res.Status != 201 {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkExtismConst is the cost of the plugin path itself: a plugin
// without WASI or JSON work that outputs a constant response.
func BenchmarkExtismConst(b *testing.B) {
	e := newEngine(b, Config{})
	d := deploy(b, e, constPlugin(`{"text":"hi"}`), DeploymentConfig{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := d.Invoke(ctx, &Request{URL: "/"})
		if err != nil || res.Status != 200 {
			b.Fatal(err)
		}
	}
}
