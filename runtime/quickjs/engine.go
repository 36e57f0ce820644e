package quickjs

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Config says where the engine comes from. The zero value fetches the
// pinned engine into <user cache dir>/kiln/quickjs/<EngineVersion>/.
type Config struct {
	// EnginePath is a local copy of the engine wasm. Default: the
	// KILN_QUICKJS_WASM environment variable, else the cache. The file must
	// match EngineSHA256.
	EnginePath string
	// CacheDir holds the fetched engine and its LICENSE. Default:
	// <user cache dir>/kiln/quickjs/<EngineVersion>.
	CacheDir string
	// HTTPClient fetches the package when npm is not on PATH. Default:
	// http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives engine-level events (never user logs). Default:
	// discard.
	Logger *slog.Logger
}

func (c *Config) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

// Engine is the compiled QuickJS engine plus a base snapshot with Kiln's
// Web APIs evaluated. One Engine serves any number of Workers concurrently;
// it lives as long as its wazero.Runtime.
type Engine struct {
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	layout   *engineLayout
	logger   *slog.Logger
	// fuelGlobal is the exported fuel counter, "" when the engine is not
	// metered.
	fuelGlobal string
	base       *snapshot
	state      *baseState
}

// baseState holds engine-memory addresses created while building the base
// snapshot. Every snapshot descends from the base, so these stay valid in
// every instance.
type baseState struct {
	rt, ctx uint32 // JSRuntime*, JSContext*
	// scratch holds one small buffer per call depth for argv arrays and
	// out-parameters.
	scratch [maxDepth]uint32
	// JSValue* of the prelude's internal functions and of JSON.parse.
	fns       [numInternals]uint32
	jsonParse uint32
	valueSize uint32
}

// NewEngine fetches (or reads from the cache), verifies, rewrites, meters and
// compiles the engine in rt, then evaluates the Web API prelude and keeps a
// snapshot of the result. rt must use the compiler without
// WithCloseOnContextDone.
func NewEngine(ctx context.Context, rt wazero.Runtime, cfg Config) (*Engine, error) {
	wasm, err := engineWasm(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	prepared, err := prepareEngine(wasm)
	if err != nil {
		return nil, err
	}
	if err := ensureHostModule(ctx, rt); err != nil {
		return nil, err
	}
	compiled, err := rt.CompileModule(ctx, prepared.wasm)
	if err != nil {
		return nil, fmt.Errorf("compiling quickjs engine: %w", err)
	}
	if err := checkExports(compiled); err != nil {
		compiled.Close(ctx)
		return nil, err
	}
	e := &Engine{
		rt:         rt,
		compiled:   compiled,
		layout:     prepared.layout,
		logger:     cfg.Logger,
		fuelGlobal: prepared.fuelGlobal,
	}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	if err := e.buildBase(ctx); err != nil {
		compiled.Close(ctx)
		return nil, fmt.Errorf("initialising quickjs engine: %w", err)
	}
	return e, nil
}

// Metered reports whether the engine counts fuel.
func (e *Engine) Metered() bool { return e.fuelGlobal != "" }

// Close releases the compiled engine. Workers of this engine must not be
// used afterwards.
func (e *Engine) Close(ctx context.Context) error {
	return e.compiled.Close(ctx)
}

type preparedEngine struct {
	wasm       []byte
	layout     *engineLayout
	fuelGlobal string
}

// prepared caches rewritten and metered engine bytes by the hash of the
// input and whether it is metered, so several Engines in one process pay
// for the rewrite once.
var prepared sync.Map // preparedKey → *preparedEngine

type preparedKey struct {
	sum     [32]byte
	metered bool
}

func prepareEngine(wasm []byte) (*preparedEngine, error) {
	key := preparedKey{sha256.Sum256(wasm), meterEngine != nil}
	if p, ok := prepared.Load(key); ok {
		return p.(*preparedEngine), nil
	}
	out, layout, err := rewriteEngine(wasm)
	if err != nil {
		return nil, fmt.Errorf("rewriting quickjs engine: %w", err)
	}
	p := &preparedEngine{wasm: out, layout: layout}
	if meterEngine != nil {
		metered, global, err := meterEngine(out)
		if err != nil {
			return nil, fmt.Errorf("metering quickjs engine: %w", err)
		}
		p.wasm, p.fuelGlobal = metered, global
	}
	prepared.Store(key, p)
	return p, nil
}

// checkExports verifies every export the host calls exists with the
// signature abi.go expects.
func checkExports(c wazero.CompiledModule) error {
	defs := c.ExportedFunctions()
	for _, e := range engineExports {
		d, ok := defs[e.min]
		if !ok {
			return fmt.Errorf("%w: no export %q (%s)", ErrEngineMismatch, e.min, e.name)
		}
		if !sameTypes(d.ParamTypes(), e.params) || !sameTypes(d.ResultTypes(), e.results) {
			return fmt.Errorf("%w: export %q (%s) has signature %v -> %v", ErrEngineMismatch, e.min, e.name, d.ParamTypes(), d.ResultTypes())
		}
	}
	if _, ok := defs[ctorsExport]; !ok {
		return fmt.Errorf("%w: no export %q (__wasm_call_ctors)", ErrEngineMismatch, ctorsExport)
	}
	return nil
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
