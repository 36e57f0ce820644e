package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/kilnhq/kiln/runtime/hostfn"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Extism plugins run through the Extism Go SDK, which owns the kernel
// (input, output, allocations, errors, logs, variables) and gives every
// compiled plugin its own wazero runtime; Kiln's runtime config makes that
// runtime share the engine's compilation cache, compiler and lack of
// WithCloseOnContextDone. Kiln calls the plugin's export handle with the
// request as JSON (extism_json.go documents the format) and reads the
// response JSON it outputs.
//
// Fuel: the SDK does not expose the plugin's wazero module, so the fuel
// global is reached through function listeners compiled onto exactly two
// exports, handle and _initialize (which the SDK runs before the first
// call of an instance). Before sets the budget, After and Abort read what
// is left: the same set-call-read as a reactor, with no listener anywhere
// else in the code. A plugin instance is initialised once and kept in the
// deployment's pool, like a reactor, until it fails or idles out.

// extismPlugin is a compiled Extism plugin.
type extismPlugin = *extism.CompiledPlugin

// pluginHandle is the export Kiln calls.
const pluginHandle = "handle"

// maxPluginError bounds the error message kept from a plugin, in bytes.
const maxPluginError = 4 << 10

// extismLogLevel is set once, process-wide (the SDK has no other knob):
// Debug lets plugins' debug lines through, and keeps the SDK's trace lines
// about instance creation, which it writes to the standard logger before
// a plugin's own logger can be set, from being written at all.
var extismLogLevel sync.Once

// buildExtism compiles an instrumented plugin: once in the engine's
// runtime to check it, and once in its plugin runtime, which finds the
// code in the shared compilation cache (same bytes, same listeners).
func (e *Engine) buildExtism(ctx context.Context, code []byte) (*Module, error) {
	extismLogLevel.Do(func() { extism.SetLogLevel(extism.LogLevelDebug) })
	lctx := experimental.WithFunctionListenerFactory(e.compileContext(ctx), pluginHooks{})
	cm, err := e.rt.CompileModule(lctx, code)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidModule, err)
	}
	defer cm.Close(ctx)
	if err := e.checkPluginImports(cm); err != nil {
		return nil, err
	}
	exports := cm.ExportedFunctions()
	h, ok := exports[pluginHandle]
	if !ok {
		return nil, fmt.Errorf("%w: an Extism plugin must export the function %s, which Kiln calls with the request", ErrInvalidModule, pluginHandle)
	}
	if len(h.ParamTypes()) != 0 || len(h.ResultTypes()) > 1 || len(h.ResultTypes()) == 1 && h.ResultTypes()[0] != api.ValueTypeI32 {
		return nil, fmt.Errorf("%w: export %s has signature %s; an Extism function takes nothing and returns an i32", ErrInvalidModule, pluginHandle, signature(h))
	}
	rc := wazero.NewRuntimeConfigCompiler().
		WithCompilationCache(e.cache).
		WithMemoryLimitPages(e.cfg.MaxMemoryPages).
		WithCloseOnContextDone(false)
	cp, err := extism.NewCompiledPlugin(lctx,
		extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: code}}},
		extism.PluginConfig{RuntimeConfig: rc, EnableWasi: true},
		nil)
	if err != nil {
		return nil, fmt.Errorf("%w: preparing the Extism plugin: %w", ErrInvalidModule, err)
	}
	return &Module{e: e, abi: ABIExtism, exports: exports, plugin: cp}, nil
}

// checkPluginImports refuses a plugin importing anything but WASI and the
// Extism kernel, naming the import; the SDK would only fail when an
// instance is created.
func (e *Engine) checkPluginImports(cm wazero.CompiledModule) error {
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		var params, results []api.ValueType
		switch mod {
		case extismHost:
			sig, ok := kernelFunctions[name]
			if !ok {
				return fmt.Errorf("%w: function %s.%s %s: the Extism kernel has no such function", ErrUnknownImport, mod, name, signature(f))
			}
			params, results = sig[0], sig[1]
		case "wasi_snapshot_preview1":
			def, ok := e.provided[mod][name]
			if !ok {
				return fmt.Errorf("%w: function %s.%s %s: WASI preview 1 has no such function", ErrUnknownImport, mod, name, signature(f))
			}
			params, results = def.ParamTypes(), def.ResultTypes()
		default:
			return fmt.Errorf("%w: function %s.%s %s: Kiln gives Extism plugins only the Extism kernel and WASI", ErrUnknownImport, mod, name, signature(f))
		}
		if !sameTypes(params, f.ParamTypes()) || !sameTypes(results, f.ResultTypes()) {
			return fmt.Errorf("%w: function %s.%s is imported as %s but has the type (%v) -> (%v)", ErrUnknownImport, mod, name, signature(f), typeNames(params), typeNames(results))
		}
	}
	for _, m := range cm.ImportedMemories() {
		mod, name, _ := m.Import()
		return fmt.Errorf("%w: memory %s.%s: Kiln provides no memory; the module must define its own", ErrUnknownImport, mod, name)
	}
	return nil
}

func typeNames(ts []api.ValueType) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		s += api.ValueTypeName(t)
	}
	return s
}

// kernelFunctions are the functions of extism:host/env as the SDK
// provides them: parameter and result types.
var kernelFunctions = func() map[string][2][]api.ValueType {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	none := []api.ValueType{}
	sig := func(p, r []api.ValueType) [2][]api.ValueType { return [2][]api.ValueType{p, r} }
	m := map[string][2][]api.ValueType{
		"alloc":            sig([]api.ValueType{i64}, []api.ValueType{i64}),
		"free":             sig([]api.ValueType{i64}, none),
		"load_u8":          sig([]api.ValueType{i64}, []api.ValueType{i32}),
		"input_load_u8":    sig([]api.ValueType{i64}, []api.ValueType{i32}),
		"load_u64":         sig([]api.ValueType{i64}, []api.ValueType{i64}),
		"input_load_u64":   sig([]api.ValueType{i64}, []api.ValueType{i64}),
		"store_u8":         sig([]api.ValueType{i64, i32}, none),
		"store_u64":        sig([]api.ValueType{i64, i64}, none),
		"input_set":        sig([]api.ValueType{i64, i64}, none),
		"output_set":       sig([]api.ValueType{i64, i64}, none),
		"input_length":     sig(none, []api.ValueType{i64}),
		"input_offset":     sig(none, []api.ValueType{i64}),
		"output_length":    sig(none, []api.ValueType{i64}),
		"output_offset":    sig(none, []api.ValueType{i64}),
		"length":           sig([]api.ValueType{i64}, []api.ValueType{i64}),
		"length_unsafe":    sig([]api.ValueType{i64}, []api.ValueType{i64}),
		"reset":            sig(none, none),
		"error_set":        sig([]api.ValueType{i64}, none),
		"error_get":        sig(none, []api.ValueType{i64}),
		"memory_bytes":     sig(none, []api.ValueType{i64}),
		"config_get":       sig([]api.ValueType{i64}, []api.ValueType{i64}),
		"var_get":          sig([]api.ValueType{i64}, []api.ValueType{i64}),
		"var_set":          sig([]api.ValueType{i64, i64}, none),
		"http_request":     sig([]api.ValueType{i64, i64}, []api.ValueType{i64}),
		"http_status_code": sig(none, []api.ValueType{i32}),
		"http_headers":     sig(none, []api.ValueType{i64}),
		"get_log_level":    sig(none, []api.ValueType{i32}),
	}
	for _, l := range []string{"log_trace", "log_debug", "log_info", "log_warn", "log_error"} {
		m[l] = sig([]api.ValueType{i64}, none)
	}
	return m
}()

// pluginModule is the module of a pooled plugin instance: the SDK's
// plugin (the plugin's module and its kernel instance) behind the
// api.Module the pool closes. Only Close is used; the embedded Module is
// the plugin's own module once its first call has run, nil before.
type pluginModule struct {
	api.Module
	plugin *extism.Plugin
	mem    *pluginMemory
	cur    *pluginCall // the call running, for the logger
}

// Close closes the plugin's module and its kernel instance.
func (m *pluginModule) Close(ctx context.Context) error { return m.plugin.Close(ctx) }

// newPlugin creates a plugin instance. It is initialised by the SDK at its
// first call.
func (d *Deployment) newPlugin(ctx context.Context, deadline time.Time) (*instance, error) {
	lim := d.limits
	logs := hostfn.NewLogs(lim.MaxLogBytes)
	call := hostfn.NewCall(logs)
	call.Reset(ctx, deadline)
	in := &instance{call: call, logs: logs}
	mem := newPluginMemory(lim.MemoryPages)
	cfg := d.modCfg.
		WithStdout(hostfn.NewStreamWriter(call, false)).
		WithStderr(hostfn.NewStreamWriter(call, true)).
		WithNanosleep(in.sleep)
	p, err := d.m.plugin.Instance(experimental.WithMemoryAllocator(ctx, mem), extism.PluginInstanceConfig{ModuleConfig: cfg})
	switch {
	case err == nil && mem.over:
		p.Close(context.Background())
		fallthrough
	case mem.over:
		return nil, fmt.Errorf("%w: the plugin's initial memory is over the limit of %d pages", ErrMemoryLimit, lim.MemoryPages)
	case err != nil:
		return nil, fmt.Errorf("%w: instantiating the plugin: %w", ErrInvalidModule, err)
	}
	p.Config = d.env // config_get: the deployment's variables, as WASI env too
	m := &pluginModule{plugin: p, mem: mem}
	p.SetLogger(m.log)
	in.mod = m
	return in, nil
}

// log records a line the plugin logged through the kernel; lines the SDK
// logs itself, outside the plugin's code, are dropped.
func (m *pluginModule) log(level extism.LogLevel, msg string) {
	pc := m.cur
	if pc == nil || pc.depth == 0 {
		return
	}
	in := pc.in
	in.call.Charge(uint64(len(msg)) / hostfn.BytesPerFuel) // the call itself is charged by kernelHook
	in.logs.Add(slogLevel(level), hostfn.StreamLog, []byte(msg))
}

func slogLevel(l extism.LogLevel) slog.Level {
	switch l {
	case extism.LogLevelError:
		return slog.LevelError
	case extism.LogLevelWarn:
		return slog.LevelWarn
	case extism.LogLevelInfo:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

func (d *Deployment) invokeExtism(ctx context.Context, req *Request, res *Result, deadline time.Time) error {
	lim := d.limits
	body, bodyLen, err := requestBody(ctx, deadline, req.Body, lim.MaxInputBytes)
	if err != nil {
		return err
	}
	res.BytesIn = int64(bodyLen)
	input, err := pluginInput(req, body, bodyLen)
	if err != nil {
		return err
	}
	in, fresh, err := d.acquire(ctx, deadline)
	if err != nil {
		return err
	}
	if fresh {
		res.ColdStart = true
		if in, err = d.newPlugin(ctx, deadline); err != nil {
			d.pool.Release(nil, false)
			return err
		}
	} else {
		in.logs.Reset(lim.MaxLogBytes)
		in.call.Reset(ctx, deadline)
	}
	m := in.mod.(*pluginModule)
	reuse := false
	defer func() {
		res.Logs = in.logs.Lines()
		res.LogsTruncated = in.logs.Truncated()
		res.PeakMemory = m.mem.size()
		if !reuse {
			d.closeInstance(in)
		}
		d.pool.Release(in, reuse)
	}()

	pc := &pluginCall{in: in, m: m, budget: lim.Fuel}
	m.cur = pc
	m.mem.refused = false // a plugin may live on after a refused growth
	w := watch(ctx, deadline, in.call, nil)
	cctx := context.WithValue(hostfn.NewContext(ctx, in.call), pluginCallKey{}, pc)
	rc, out, err := m.plugin.CallWithContext(cctx, pluginHandle, input)
	w.stop()
	m.cur = nil
	res.Fuel, res.InitFuel = pc.used, pc.initUsed

	if pc.inputRefused {
		return fmt.Errorf("%w: the request (%d bytes as JSON) does not fit in the plugin's memory limit of %d pages", ErrMemoryLimit, len(input), lim.MemoryPages)
	}
	if pc.abort != nil && !exitedZero(pc.abort) || pc.overdrawn {
		ferr := pc.failure(lim)
		if pc.abortInit {
			return fmt.Errorf("initialising: %w", ferr)
		}
		return ferr
	}
	if err != nil || rc != 0 {
		if pc.abort == nil && (m.Module == nil || !m.Module.IsClosed()) {
			// The plugin returned: it failed on its own terms.
			if msg := m.plugin.GetErrorWithContext(cctx); msg != "" || err == nil {
				reuse = true
				if msg == "" {
					msg = fmt.Sprintf("%s returned %d without an error message", pluginHandle, rc)
				}
				if len(msg) > maxPluginError {
					msg = strings.ToValidUTF8(msg[:maxPluginError], "") + "…"
				}
				return &TrapError{Message: msg, ExitCode: -1}
			}
		}
		if m.mem.refused {
			return fmt.Errorf("%w: the plugin needed more than %d pages (%d MiB): %w", ErrMemoryLimit, lim.MemoryPages, lim.MemoryPages/16, err)
		}
		return fmt.Errorf("calling the plugin: %w", err)
	}
	// A plugin that exited with status 0 finished, but its instance is
	// gone.
	reuse = pc.abort == nil
	if !time.Now().Before(deadline) {
		return fmt.Errorf("%w: the response came after the deadline", ErrDeadline)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrDeadline, err)
	}
	status, h, respBody, err := parsePluginOutput(out, lim.MaxOutputBytes)
	if err != nil {
		return err
	}
	res.Status, res.Header, res.Body = status, h, respBody
	res.BytesOut = int64(len(respBody))
	return nil
}

type pluginCallKey struct{}

// pluginCall is the fuel account of one call into a plugin: the hooks on
// _initialize and handle set the budget when the plugin is entered and
// read the fuel left when it is left.
type pluginCall struct {
	in     *instance
	m      *pluginModule
	budget uint64
	// depth counts hooked exports on the stack: a plugin calling its own
	// export must not get a new budget.
	depth int
	init  bool // the outermost hooked export is _initialize

	used, initUsed uint64
	left           int64
	// overdrawn: an export finished below zero fuel, past its last check;
	// out of fuel all the same.
	overdrawn bool
	abort     error // why a hooked export did not return
	abortInit bool  // abort or overdrawn happened in _initialize
	// inputRefused: the input did not fit in the memory limit.
	inputRefused bool
}

func (pc *pluginCall) enter(mod api.Module, init bool) {
	if pc.depth > 0 {
		pc.depth++
		return
	}
	in := pc.in
	if in.fuel == nil {
		g, ok := mod.ExportedGlobal(fuelGlobal).(api.MutableGlobal)
		if !ok || g.Type() != api.ValueTypeI64 {
			return // not the plugin's metered module
		}
		in.fuel = g
		in.call.SetFuel(g)
		pc.m.Module = mod
	}
	if mod != pc.m.Module {
		return
	}
	if pc.m.mem.refused {
		// The kernel could not grow to hold the input, and the SDK stores
		// it regardless of the failed allocation: the plugin must not
		// run on what it would read.
		pc.inputRefused = true
		panic(ErrMemoryLimit)
	}
	pc.depth = 1
	pc.init = init
	in.fuel.Set(pc.budget)
}

func (pc *pluginCall) leave(err error) {
	if pc.depth == 0 {
		return
	}
	if pc.depth--; pc.depth > 0 {
		return
	}
	pc.left = int64(pc.in.fuel.Get())
	used := spent(pc.budget, pc.left)
	if pc.init {
		pc.initUsed += used
	} else {
		pc.used += used
	}
	if pc.abort != nil || pc.overdrawn {
		return
	}
	if err != nil {
		pc.abort, pc.abortInit = err, pc.init
	} else if pc.left < 0 {
		pc.overdrawn, pc.abortInit = true, pc.init
	}
}

// failure turns the error a hooked export ended with into the engine's
// typed error; the order is that of instance.failure.
func (pc *pluginCall) failure(lim Limits) error {
	err := pc.abort
	switch {
	case errors.Is(err, hostfn.ErrDeadline):
		return fmt.Errorf("%w: the plugin was stopped at the deadline", ErrDeadline)
	case pc.overdrawn || pc.left < 0 || errors.Is(err, hostfn.ErrOutOfFuel):
		return fmt.Errorf("%w: the budget of %d was spent", ErrOutOfFuel, lim.Fuel)
	}
	t := pc.in.trap(err)
	if t.ExitCode == -1 {
		// A Go plugin's panic ends in a trap after the runtime printed it.
		if msg, stack, ok := goPanic(pc.in.logs.Lines()); ok {
			t.Message, t.Stack = msg, stack
		}
	}
	if pc.m.mem.refused {
		return fmt.Errorf("%w: the plugin needed more than %d pages (%d MiB): %s", ErrMemoryLimit, lim.MemoryPages, lim.MemoryPages/16, firstLine(t.Message))
	}
	return t
}

// pluginHooks attaches pluginHook to the exports handle and _initialize,
// and kernelHook to the functions of the Extism host.
type pluginHooks struct{}

func (pluginHooks) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	if def.ModuleName() == extismHost {
		return kernelHook{}
	}
	for _, name := range def.ExportNames() {
		switch name {
		case pluginHandle:
			return pluginHook{}
		case "_initialize":
			return pluginHook{init: true}
		}
	}
	return nil
}

// pluginHook keeps a pluginCall's fuel account; outside an invocation
// (no pluginCall in the context) it does nothing.
type pluginHook struct{ init bool }

func (h pluginHook) Before(ctx context.Context, mod api.Module, _ api.FunctionDefinition, _ []uint64, _ experimental.StackIterator) {
	if pc, ok := ctx.Value(pluginCallKey{}).(*pluginCall); ok {
		pc.enter(mod, h.init)
	}
}

func (pluginHook) After(ctx context.Context, _ api.Module, _ api.FunctionDefinition, _ []uint64) {
	if pc, ok := ctx.Value(pluginCallKey{}).(*pluginCall); ok {
		pc.leave(nil)
	}
}

func (pluginHook) Abort(ctx context.Context, _ api.Module, _ api.FunctionDefinition, err error) {
	if pc, ok := ctx.Value(pluginCallKey{}).(*pluginCall); ok {
		pc.leave(err)
	}
}

// kernelHook charges a plugin's calls into the Extism host as every host
// call is charged (hostfn.CostCall), and ends them at the deadline: the
// SDK's host functions know neither, and a plugin calling the kernel in a
// loop would otherwise get host work for a few instructions a call.
type kernelHook struct{}

func (kernelHook) Before(ctx context.Context, _ api.Module, _ api.FunctionDefinition, _ []uint64, _ experimental.StackIterator) {
	if pc, ok := ctx.Value(pluginCallKey{}).(*pluginCall); ok && pc.depth > 0 {
		pc.in.call.CheckDeadline()
		pc.in.call.Charge(hostfn.CostCall)
	}
}

func (kernelHook) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}

func (kernelHook) Abort(context.Context, api.Module, api.FunctionDefinition, error) {}
