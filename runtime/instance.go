package runtime

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kilnhq/kiln/runtime/hostfn"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// instance is one instantiated guest with everything its calls need
// prepared once: the fuel global, the call state its host functions read,
// and (for reactors) the export handles and request buffer.
type instance struct {
	mod  api.Module
	fuel api.MutableGlobal
	mem  *linearMemory
	call *hostfn.Call
	logs *hostfn.Logs
	// ctx carries call; every guest call runs with it, so host functions
	// find their invocation without a context allocation per call.
	ctx   context.Context
	stack [1]uint64

	// Reactor exports and the guest buffer requests are written into.
	handle, buffer api.Function
	bufPtr, bufCap uint32
}

// stdio is what a new instance's standard streams are connected to; nil
// fields: stdin empty, stdout logged.
type stdio struct {
	stdin  io.Reader
	stdout io.Writer
	env    []string // extra "KEY=value" on top of the deployment's
}

// instantiate creates an instance of the deployment's module without
// running any of its code (start functions run under fuel in run).
func (d *Deployment) instantiate(ctx context.Context, logs *hostfn.Logs, call *hostfn.Call, io stdio) (in *instance, err error) {
	in = &instance{mem: newLinearMemory(d.limits.MemoryPages), call: call, logs: logs}
	cfg := d.modCfg.
		WithStderr(hostfn.NewStreamWriter(call, true)).
		WithNanosleep(in.sleep)
	if io.stdout != nil {
		cfg = cfg.WithStdout(io.stdout)
	} else {
		cfg = cfg.WithStdout(hostfn.NewStreamWriter(call, false))
	}
	if io.stdin != nil {
		cfg = cfg.WithStdin(io.stdin)
	}
	for _, kv := range io.env {
		k, v := splitEnv(kv)
		cfg = cfg.WithEnv(k, v)
	}
	in.ctx = hostfn.NewContext(context.Background(), call)
	ictx := experimental.WithMemoryAllocator(hostfn.NewContext(ctx, call), in.mem)
	defer func() {
		if r := recover(); r != nil {
			if r != errInitialMemory {
				panic(r)
			}
			err = fmt.Errorf("%w: the module's initial memory is over the limit of %d pages", ErrMemoryLimit, d.limits.MemoryPages)
		}
	}()
	mod, err := d.e.rt.InstantiateModule(ictx, d.m.compiled, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: instantiating: %w", ErrInvalidModule, err)
	}
	in.mod = mod
	if g, ok := mod.ExportedGlobal(fuelGlobal).(api.MutableGlobal); ok && g.Type() == api.ValueTypeI64 {
		in.fuel = g
	}
	call.SetFuel(in.fuel)
	return in, nil
}

func splitEnv(kv string) (string, string) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:]
		}
	}
	return kv, ""
}

// run calls fn with a fuel budget and returns the fuel used, the fuel
// left (negative after running out) and the call's error.
func (in *instance) run(fn api.Function, stack []uint64, budget uint64) (used uint64, left int64, err error) {
	if in.fuel == nil {
		return 0, 0, fn.CallWithStack(in.ctx, stack)
	}
	in.fuel.Set(budget)
	err = fn.CallWithStack(in.ctx, stack)
	left = int64(in.fuel.Get())
	return spent(budget, left), left, err
}

// spent is the fuel used from budget when left remains (negative: all of
// it).
func spent(budget uint64, left int64) uint64 {
	if left < 0 {
		return budget
	}
	return budget - uint64(left)
}

// sleep is the guest's clock sleep (WASI poll_oneoff on a clock): it
// sleeps for real, but never past the invocation's deadline or its
// caller's departure, and then ends the guest call.
func (in *instance) sleep(ns int64) {
	c := in.call
	d := time.Duration(ns)
	if dl := c.Deadline(); !dl.IsZero() {
		d = min(d, time.Until(dl))
	}
	if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-c.Context().Done():
			t.Stop()
		}
	}
	c.CheckDeadline()
}

// close frees the instance; the engine logs failures, which only mean
// resources wazero could not release.
func (d *Deployment) closeInstance(in *instance) {
	if err := in.mod.Close(context.Background()); err != nil {
		d.e.cfg.Logger.Warn("closing instance", "deployment", d.id, "error", err)
	}
}
