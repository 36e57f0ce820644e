package runtime

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kilnhq/kiln/runtime/hostfn"
	"github.com/kilnhq/kiln/runtime/internal/pool"
	"github.com/tetratelabs/wazero"
)

// DeploymentConfig configures a deployment. The zero value is usable.
type DeploymentConfig struct {
	// ABI is the contract to run the module with; ABIAuto takes the
	// module's detected ABI.
	ABI ABI
	// Env holds the deployment's variables, given to guests as WASI
	// environment variables (os.Getenv). Keys must be non-empty and free
	// of '=' and NUL.
	Env map[string]string
	// Egress is the guest's outbound HTTP; nil means none (kiln.fetch
	// reports it unavailable).
	Egress hostfn.Egress
	// Limits bound each invocation; zero fields take the Default* values.
	Limits Limits
	// MaxInstances caps the deployment's live instances (for WAGI: its
	// concurrent requests). Zero: DefaultMaxInstancesPerDeployment.
	MaxInstances int
}

// Deployment is a module deployed with its configuration: it owns a pool
// of instances and serves invocations. Safe for concurrent use.
type Deployment struct {
	e      *Engine
	id     string
	m      *Module
	abi    ABI
	limits Limits
	egress hostfn.Egress
	modCfg wazero.ModuleConfig
	env    map[string]string // also an Extism plugin's config (read only)
	pool   *pool.Pool[*instance]

	closeOnce sync.Once
	inflight  sync.WaitGroup
	mu        sync.Mutex
	closed    bool
}

// Deploy prepares m to serve invocations under id (a name for logs). The
// deployment holds its own reference to m until Close.
func (e *Engine) Deploy(id string, m *Module, cfg DeploymentConfig) (*Deployment, error) {
	abi := cfg.ABI
	if abi == ABIAuto {
		abi = m.abi
	}
	if err := m.supports(abi); err != nil {
		return nil, err
	}
	lim := cfg.Limits.withDefaults()
	if lim.MemoryPages > e.cfg.MaxMemoryPages {
		return nil, fmt.Errorf("deploying %s: memory limit of %d pages is over the node's %d", id, lim.MemoryPages, e.cfg.MaxMemoryPages)
	}
	base := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions(). // run under fuel by the engine, not at instantiation
		WithArgs(id).
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader)
	keys := make([]string, 0, len(cfg.Env))
	for k := range cfg.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.Contains(cfg.Env[k], "\x00") {
			return nil, fmt.Errorf("deploying %s: invalid environment variable %q", id, k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		base = base.WithEnv(k, cfg.Env[k])
	}
	max := cfg.MaxInstances
	if max <= 0 {
		max = DefaultMaxInstancesPerDeployment
	}
	d := &Deployment{e: e, id: id, m: m, abi: abi, limits: lim, egress: cfg.Egress, modCfg: base, env: maps.Clone(cfg.Env)}
	d.pool = pool.New(e.node, max, d.closeInstance)
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	e.deployments[d] = struct{}{}
	m.refs++
	e.mu.Unlock()
	return d, nil
}

// supports checks that the module has the exports abi needs.
func (m *Module) supports(abi ABI) error {
	switch abi {
	case ABIReactor:
		for _, name := range []string{exportHandle, exportBuffer, exportVersion} {
			if _, ok := m.exports[name]; !ok {
				return fmt.Errorf("%w: a reactor must export %s (build it with the Go SDK)", ErrInvalidModule, name)
			}
		}
		return checkReactorSignatures(m.exports)
	case ABIWAGI:
		if _, ok := m.exports["_start"]; !ok {
			return fmt.Errorf("%w: a WAGI module must export _start (a WASI command)", ErrInvalidModule)
		}
		return nil
	case ABIExtism:
		if m.plugin == nil {
			return fmt.Errorf("%w: the module is not an Extism plugin", ErrInvalidModule)
		}
		return nil
	case ABIAuto:
		return fmt.Errorf("%w: the module exports neither kiln_handle (a reactor) nor _start (a WASI command)", ErrInvalidModule)
	}
	return fmt.Errorf("%w: unknown ABI %q", ErrInvalidModule, abi)
}

// ID is the deployment's name.
func (d *Deployment) ID() string { return d.id }

// ABI is the contract the deployment runs its module with.
func (d *Deployment) ABI() ABI { return d.abi }

// Limits are the deployment's limits with defaults filled in.
func (d *Deployment) Limits() Limits { return d.limits }

// Stats counts the deployment's instances.
func (d *Deployment) Stats() Stats { return Stats(d.pool.Stats()) }

// Invoke serves one request. The Result is returned even with an error,
// holding what was measured. The error is one of the package's typed
// errors (ErrOutOfFuel, *TrapError, …); ErrorKind names it.
func (d *Deployment) Invoke(ctx context.Context, req *Request) (*Result, error) {
	start := time.Now()
	res := &Result{}
	err := d.invoke(ctx, req, res, start)
	res.Wall = time.Since(start)
	res.ErrorKind = ErrorKind(err)
	if err != nil {
		res.Status, res.Header, res.Body, res.BytesOut = 0, nil, nil, 0
	}
	return res, err
}

func (d *Deployment) invoke(ctx context.Context, req *Request, res *Result, start time.Time) error {
	if !d.enter() {
		return ErrClosed
	}
	defer d.leave()
	deadline := start.Add(d.limits.Timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	switch d.abi {
	case ABIReactor:
		return d.invokeReactor(ctx, req, res, deadline)
	case ABIWAGI:
		return d.invokeWAGI(ctx, req, res, deadline)
	case ABIExtism:
		return d.invokeExtism(ctx, req, res, deadline)
	}
	return fmt.Errorf("%w: unknown ABI %q", ErrInvalidModule, d.abi)
}

func (d *Deployment) enter() bool {
	if !d.e.enter() {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		d.e.inflight.Done()
		return false
	}
	d.inflight.Add(1)
	return true
}

func (d *Deployment) leave() {
	d.inflight.Done()
	d.e.inflight.Done()
}

// acquire waits for an instance or a slot for a new one.
func (d *Deployment) acquire(ctx context.Context, deadline time.Time) (*instance, bool, error) {
	in, fresh, err := d.pool.Acquire(ctx, deadline)
	switch {
	case err == nil:
		return in, fresh, nil
	case errors.Is(err, pool.ErrClosed):
		return nil, false, ErrClosed
	}
	return nil, false, fmt.Errorf("%w: waiting for an instance: %w", ErrDeadline, err)
}

// Close stops the deployment: new invocations fail with ErrClosed, queued
// ones too; running ones finish, then its instances are closed and its
// module reference released.
func (d *Deployment) Close() {
	d.closeOnce.Do(func() {
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		d.pool.Close()
		d.inflight.Wait()
		e := d.e
		e.mu.Lock()
		delete(e.deployments, d)
		e.mu.Unlock()
		d.m.Close(context.Background())
	})
}
