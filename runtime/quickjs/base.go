package quickjs

import (
	"context"
	"fmt"
	"strings"
)

// Functions the prelude hands back to Go, in the order of its returned
// object's keys (see prelude/zz_internals.js).
const (
	jsDescribe    = iota // (thrown) → JSON {name, message, stack}
	jsSetup              // (configJSON) → undefined
	jsSetHandler         // (namespace or promise of it) → promise
	jsDispatch           // () → promise, settled when the response is sent
	jsWaitUntil          // () → promise of every ctx.waitUntil promise
	jsRunTimer           // () → -1 no timer, 0 ran one, > 0 ms to the next
	jsFetchSettle        // (id) → undefined
	numInternals
)

var internalNames = [numInternals]string{"describe", "setup", "setHandler", "dispatch", "waitUntil", "runTimer", "fetchSettle"}

// buildBase instantiates the engine, creates the QuickJS runtime and
// context, registers the host functions, evaluates the prelude and keeps
// the result as the snapshot every Worker starts from.
func (e *Engine) buildBase(ctx context.Context) (err error) {
	st := &baseState{}
	e.state = st
	in, err := e.newInstance(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	defer guard(&err)
	in.setFuel(unmeteredFuel)
	if f := in.mod.ExportedFunction(exportStart); f != nil {
		if _, err := f.Call(in.ctx); err != nil {
			return fmt.Errorf("running engine start: %w", err)
		}
	}
	if _, err := in.mod.ExportedFunction(ctorsExport).Call(in.ctx); err != nil {
		return fmt.Errorf("running engine constructors: %w", err)
	}
	st.rt = in.must(fnNewRuntime)
	in.must(fnSetMaxStackSize, uint64(st.rt), jsStackSize)
	in.must(fnEnableInterruptHandler, uint64(st.rt))
	in.must(fnEnableModuleLoader, uint64(st.rt), 0)
	st.ctx = in.must(fnNewContext, uint64(st.rt), 0)
	if st.rt == 0 || st.ctx == 0 {
		return fmt.Errorf("creating quickjs runtime: out of memory")
	}
	st.valueSize = in.must(fnArgvPointer, 0, 1)
	for i := range st.scratch {
		st.scratch[i] = in.malloc(64)
	}

	host := in.must(fnNewObject, uint64(st.ctx))
	for i, h := range hostFuncs {
		name := in.cstring(h.name)
		fn := in.must(fnNewFunction, uint64(st.ctx), uint64(name), 0, 0, uint64(i+1))
		in.free(name)
		key := in.newString(h.name)
		in.must(fnSetProp, uint64(st.ctx), uint64(host), uint64(key), uint64(fn))
		in.freeValue(key)
		in.freeValue(fn)
	}

	in.inv = newInvocation(ctx, nil)
	defer func() { in.inv = nil }()
	install, err := in.eval(preludeSource(), "kiln:prelude", false)
	if err != nil {
		return fmt.Errorf("evaluating prelude: %w", err)
	}
	internals, err := in.callValue(install, host)
	in.freeValue(install)
	in.freeValue(host)
	if err != nil {
		return fmt.Errorf("installing prelude: %w", err)
	}
	for i, name := range internalNames {
		st.fns[i] = in.getProp(internals, name)
		if t := in.typeOf(st.fns[i]); t != "function" {
			return fmt.Errorf("prelude internal %s is %s", name, t)
		}
	}
	in.freeValue(internals)
	global := in.must(fnGetGlobalObject, uint64(st.ctx))
	json := in.getProp(global, "JSON")
	st.jsonParse = in.getProp(json, "parse")
	in.freeValue(json)
	in.freeValue(global)
	if err := in.drainJobs(); err != nil {
		return fmt.Errorf("running prelude jobs: %w", err)
	}
	if logs := in.inv.logs; len(logs) > 0 {
		var b strings.Builder
		for _, l := range logs {
			b.WriteString(l.Message + "\n")
		}
		return fmt.Errorf("prelude logged: %s", b.String())
	}
	e.base = in.takeSnapshot()
	return nil
}

func (in *instance) getProp(obj uint32, name string) uint32 {
	key := in.newString(name)
	v := in.must(fnGetProp, in.ctxPtr(), uint64(obj), uint64(key))
	in.freeValue(key)
	return v
}

// eval evaluates source as a script, or as an ES module (returning its
// namespace, or a promise of it when the module uses top-level await).
func (in *instance) eval(source, filename string, module bool) (uint32, error) {
	code := in.cstring(source)
	name := in.cstring(filename)
	flags := uint64(0)
	if module {
		flags = 1 // JS_EVAL_TYPE_MODULE
	}
	r := in.must(fnEval, in.ctxPtr(), uint64(code), uint64(len(source)), uint64(name), 0, flags)
	in.free(code)
	in.free(name)
	if exc := in.must(fnResolveException, in.ctxPtr(), uint64(r)); exc != 0 {
		in.freeValue(r)
		defer in.freeValue(exc)
		return 0, in.describe(exc)
	}
	return r, nil
}

// drainJobs runs every pending promise job. A job only fails with an
// uncatchable error (an interrupt or out of memory); ordinary throws in
// promise reactions reject their promises instead.
func (in *instance) drainJobs() error {
	out := in.base.scratch[in.depth] + 32
	r := in.must(fnExecutePendingJob, uint64(in.base.rt), ^uint64(0)>>32, uint64(out))
	defer in.freeValue(r)
	if in.typeOf(r) == "number" {
		return nil
	}
	return in.describe(r)
}
