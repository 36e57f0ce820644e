package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// ABI is the contract between Kiln and a guest: how a request goes in and
// a response comes out.
type ABI string

// ABIs Kiln runs.
const (
	// ABIAuto lets the engine pick the ABI from the module's exports and
	// imports (see Module.ABI).
	ABIAuto ABI = ""
	// ABIReactor: a module built with the Go SDK (or any module speaking
	// its ABI), initialised once through _initialize, then serving many
	// requests through kiln_handle on the same instance.
	ABIReactor ABI = "reactor"
	// ABIWAGI: a WASI command (_start) run on a fresh instance per request,
	// request in CGI environment variables and stdin, response as CGI
	// headers and body on stdout.
	ABIWAGI ABI = "wagi"
	// ABIExtism: an Extism plugin called with a JSON request and returning
	// a JSON response.
	ABIExtism ABI = "extism"
)

// Module is a compiled, fuel-instrumented module, shared by every
// deployment of the same artifact on the node. Each Compile returns a
// reference the caller releases with Close; deployments hold their own.
type Module struct {
	e        *Engine
	key      string
	hash     string
	abi      ABI
	exports  map[string]api.FunctionDefinition
	compiled wazero.CompiledModule
	plugin   extismPlugin // set for ABIExtism
	refs     int          // guarded by e.mu
}

type moduleEntry struct {
	done chan struct{}
	m    *Module
	err  error
}

// Compile validates raw WebAssembly, instruments it for fuel, checks that
// everything it imports is provided, and compiles it, once per content:
// concurrent and later calls with the same bytes share the result. It
// fails with ErrInvalidModule (malformed, or refused by instrumentation,
// e.g. a module that exports or writes the fuel global) or
// ErrUnknownImport naming the import.
func (e *Engine) Compile(ctx context.Context, wasm []byte) (*Module, error) {
	return e.compile(ctx, wasm, false)
}

// CompileInstrumented is Compile for bytes already produced by the fuel
// instrumentation (as the builder stores artifacts). The bytes are
// trusted to come from it: an uninstrumented module here would run
// unmetered, so only pass artifacts from Kiln's own store.
func (e *Engine) CompileInstrumented(ctx context.Context, wasm []byte) (*Module, error) {
	return e.compile(ctx, wasm, true)
}

func (e *Engine) compile(ctx context.Context, wasm []byte, instrumented bool) (*Module, error) {
	sum := sha256.Sum256(wasm)
	hash := hex.EncodeToString(sum[:])
	key := hash
	if instrumented {
		key += "+instrumented"
	}
	for {
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return nil, ErrClosed
		}
		me, ok := e.modules[key]
		if !ok {
			break
		}
		e.mu.Unlock()
		select {
		case <-me.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if me.err != nil {
			return nil, me.err
		}
		e.mu.Lock()
		if me.m.refs > 0 {
			me.m.refs++
			e.mu.Unlock()
			return me.m, nil
		}
		e.mu.Unlock() // released meanwhile: compile again
	}
	me := &moduleEntry{done: make(chan struct{})}
	e.modules[key] = me
	e.mu.Unlock()

	// One caller giving up must not fail the others sharing the compile.
	m, err := e.build(context.WithoutCancel(ctx), wasm, instrumented)
	e.mu.Lock()
	if err == nil && e.closed {
		m.closeCompiled(ctx)
		m, err = nil, ErrClosed
	}
	if err != nil {
		delete(e.modules, key)
		me.err = err
	} else {
		m.key, m.hash, m.refs = key, hash, 1
		me.m = m
	}
	close(me.done)
	e.mu.Unlock()
	return m, err
}

func (e *Engine) build(ctx context.Context, wasm []byte, instrumented bool) (*Module, error) {
	code := wasm
	if !instrumented {
		var err error
		if code, err = instrument(wasm); err != nil {
			return nil, fmt.Errorf("%w: instrumenting: %w", ErrInvalidModule, err)
		}
	}
	if importsExtism(code) {
		return e.buildExtism(ctx, code)
	}
	cm, err := e.rt.CompileModule(e.compileContext(ctx), code)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidModule, err)
	}
	if err := e.checkImports(cm); err != nil {
		cm.Close(ctx)
		return nil, err
	}
	m := &Module{e: e, compiled: cm, exports: cm.ExportedFunctions()}
	m.abi = m.detect()
	return m, nil
}

// detect picks the ABI from the exports: a reactor if the module exports
// the reactor's handler, else WAGI if it has _start.
func (m *Module) detect() ABI {
	if m.abi == ABIExtism {
		return ABIExtism
	}
	if _, ok := m.exports[exportHandle]; ok {
		return ABIReactor
	}
	if _, ok := m.exports["_start"]; ok {
		return ABIWAGI
	}
	return ABIAuto
}

// Hash is the hex SHA-256 of the bytes the module was compiled from.
func (m *Module) Hash() string { return m.hash }

// ABI is the contract detected from the module: ABIExtism if it imports
// the Extism host, ABIReactor if it exports kiln_handle, ABIWAGI if it
// exports _start, ABIAuto if none (it cannot be deployed).
func (m *Module) ABI() ABI { return m.abi }

// Close releases this reference; the compiled code is freed when no
// reference and no deployment holds it. Call it once per Compile.
func (m *Module) Close(ctx context.Context) error {
	e := m.e
	e.mu.Lock()
	m.refs--
	last := m.refs == 0
	if last && e.modules[m.key] != nil && e.modules[m.key].m == m {
		delete(e.modules, m.key)
	}
	e.mu.Unlock()
	if last {
		return m.closeCompiled(ctx)
	}
	return nil
}

func (m *Module) retain() {
	m.e.mu.Lock()
	m.refs++
	m.e.mu.Unlock()
}

func (m *Module) closeCompiled(ctx context.Context) error {
	if m.plugin != nil {
		return m.plugin.Close(ctx)
	}
	if m.compiled != nil {
		return m.compiled.Close(ctx)
	}
	return nil
}
