package runtime

import (
	"context"
	"fmt"
	goruntime "runtime"
	"sync"

	"github.com/kilnhq/kiln/runtime/hostfn"
	"github.com/kilnhq/kiln/runtime/hostfn/fetch"
	"github.com/kilnhq/kiln/runtime/hostfn/logs"
	"github.com/kilnhq/kiln/runtime/internal/pool"
	"github.com/kilnhq/kiln/runtime/internal/wire"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Engine runs guests on one node: one wazero runtime in compiler mode,
// compiled modules shared by content hash, and the node's instance slots.
// It is safe for concurrent use.
type Engine struct {
	cfg   Config
	rt    wazero.Runtime
	cache wazero.CompilationCache
	node  *pool.Node

	// provided lists the host functions guests may import, by module and
	// name.
	provided map[string]map[string]api.FunctionDefinition

	mu          sync.Mutex
	closed      bool
	modules     map[string]*moduleEntry
	deployments map[*Deployment]struct{}
	inflight    sync.WaitGroup
}

// capabilities are the host capabilities every guest can import from the
// "kiln" host module.
func capabilities() []hostfn.Capability {
	return []hostfn.Capability{logs.Capability{}, fetch.Capability{}}
}

// New starts an engine.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	var cache wazero.CompilationCache
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("opening compilation cache: %w", err)
		}
		cache = c
	} else {
		cache = wazero.NewCompilationCache()
	}
	// The memory limit here is only the ceiling: each instance gets its own
	// through the allocator (memory.go). No WithCloseOnContextDone: it
	// costs 4–15× on every call; fuel stops runaway code instead.
	rc := wazero.NewRuntimeConfigCompiler().
		WithCompilationCache(cache).
		WithMemoryLimitPages(cfg.MaxMemoryPages).
		WithCloseOnContextDone(false)
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	e := &Engine{
		cfg:         cfg,
		rt:          rt,
		cache:       cache,
		modules:     map[string]*moduleEntry{},
		deployments: map[*Deployment]struct{}{},
		provided:    map[string]map[string]api.FunctionDefinition{},
	}
	if err := e.instantiateHosts(ctx); err != nil {
		rt.Close(ctx)
		cache.Close(ctx)
		return nil, err
	}
	e.node = pool.NewNode(cfg.MaxInstances, cfg.IdleTimeout)
	return e, nil
}

func (e *Engine) instantiateHosts(ctx context.Context) error {
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, e.rt); err != nil {
		return fmt.Errorf("instantiating WASI: %w", err)
	}
	e.provided[wasi_snapshot_preview1.ModuleName] = e.rt.Module(wasi_snapshot_preview1.ModuleName).ExportedFunctionDefinitions()

	b := e.rt.NewHostModuleBuilder(wire.HostModule)
	for _, c := range capabilities() {
		for _, f := range c.Functions() {
			b.NewFunctionBuilder().WithGoModuleFunction(f.Fn, f.Params, f.Results).Export(f.Name)
		}
	}
	kiln, err := b.Instantiate(ctx)
	if err != nil {
		return fmt.Errorf("instantiating the kiln host module: %w", err)
	}
	e.provided[wire.HostModule] = kiln.ExportedFunctionDefinitions()
	return nil
}

func (e *Engine) compileContext(ctx context.Context) context.Context {
	w := e.cfg.CompileWorkers
	if w <= 0 {
		w = goruntime.GOMAXPROCS(0)
	}
	return experimental.WithCompilationWorkers(ctx, w)
}

// Stats are counts of a node's or a deployment's instances.
type Stats struct {
	// Live instances, idle or busy (and slots reserved for instances
	// being created).
	Live int
	// Idle instances kept for reuse.
	Idle int
	// Waiting invocations queued for an instance.
	Waiting int
}

// Stats counts the node's instances.
func (e *Engine) Stats() Stats {
	s := e.node.Stats()
	return Stats(s)
}

// enter registers an invocation; false once the engine is closed.
func (e *Engine) enter() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.inflight.Add(1)
	return true
}

// Close closes every deployment and module, waits for running invocations
// (each bounded by its fuel and deadline) and releases the runtime and the
// in-memory compilation cache. The on-disk cache stays for the next start.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	deps := make([]*Deployment, 0, len(e.deployments))
	for d := range e.deployments {
		deps = append(deps, d)
	}
	e.mu.Unlock()
	for _, d := range deps {
		d.Close()
	}
	e.inflight.Wait()
	e.node.Close()
	e.mu.Lock()
	for _, me := range e.modules {
		if me.m != nil {
			me.m.closeCompiled(ctx)
		}
	}
	e.modules = map[string]*moduleEntry{}
	e.mu.Unlock()
	err := e.rt.Close(ctx)
	if cerr := e.cache.Close(ctx); err == nil {
		err = cerr
	}
	return err
}
