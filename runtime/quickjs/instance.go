package quickjs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// maxDepth bounds Go→JS→Go nesting. Kiln's host functions call back into
// the engine at most one level deep (JSON.parse for strings holding NUL).
const maxDepth = 4

// jsStackSize is QuickJS's own recursion limit. The engine's 5 MiB shadow
// stack is far larger; keeping QuickJS well inside it means only the top
// stackWindow bytes of the stack are ever written, so snapshots restore
// that window instead of the whole stack.
const (
	jsStackSize = 1 << 20
	stackWindow = jsStackSize + 256<<10
	stackGuard  = 64 << 10
)

type instKey struct{}

// instance is one engine module instance. It is used by one goroutine at a
// time.
type instance struct {
	eng     *Engine
	mod     api.Module
	mem     api.Memory
	ctx     context.Context // carries the instance to host functions
	globals []api.MutableGlobal
	fuel    api.MutableGlobal
	sets    [maxDepth]*fnSet
	depth   int
	base    *baseState

	// interrupt is polled by QuickJS's interrupt handler; set by a deadline,
	// a refused memory growth or an exceeded output cap.
	interrupt atomic.Bool
	deadline  atomic.Bool
	// memCap is the growth ceiling in pages for the current call.
	memCap     uint32
	memRefused bool
	outputErr  error // set when the response went over a cap
	// broken marks an instance that trapped: it is closed, never reused.
	broken bool
	inv    *invocation
}

// fnSet is one set of export handles. wazero function handles must not be
// re-entered, so every call depth has its own.
type fnSet struct {
	fns   [numEngineExports]api.Function
	stack [8]uint64
}

// trapError is a failure inside the engine; host functions panic with it so
// the outermost call returns it.
type trapError struct{ err error }

func (t *trapError) Error() string { return t.err.Error() }
func (t *trapError) Unwrap() error { return t.err }

func (e *Engine) newInstance(ctx context.Context) (*instance, error) {
	in := &instance{eng: e, base: e.state}
	in.ctx = context.WithValue(context.Background(), instKey{}, in)
	mod, err := e.rt.InstantiateModule(in.ctx, e.compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("instantiating quickjs engine: %w", err)
	}
	in.mod = mod
	in.mem = mod.ExportedMemory(exportMemory)
	for _, name := range e.layout.mutableGlobals {
		g, ok := mod.ExportedGlobal(name).(api.MutableGlobal)
		if !ok {
			mod.Close(ctx)
			return nil, fmt.Errorf("%w: global %s is not mutable", ErrEngineMismatch, name)
		}
		in.globals = append(in.globals, g)
	}
	if e.fuelGlobal != "" {
		g, ok := mod.ExportedGlobal(e.fuelGlobal).(api.MutableGlobal)
		if !ok {
			mod.Close(ctx)
			return nil, fmt.Errorf("%w: no mutable fuel global %q", ErrEngineMismatch, e.fuelGlobal)
		}
		in.fuel = g
	}
	in.memCap = e.layout.maxPages
	return in, nil
}

func (in *instance) close() {
	in.broken = true
	in.mod.Close(context.Background())
}

func (in *instance) set() *fnSet {
	if in.depth >= maxDepth {
		panic(&trapError{errors.New("host call nesting too deep")})
	}
	s := in.sets[in.depth]
	if s == nil {
		s = &fnSet{}
		for i, e := range engineExports {
			s.fns[i] = in.mod.ExportedFunction(e.min)
		}
		in.sets[in.depth] = s
	}
	return s
}

// call invokes engine export fn. At depth 0 a trap is returned; inside a
// host function it panics so the outermost call unwinds.
func (in *instance) call(fn int, args ...uint64) (uint64, error) {
	s := in.set()
	copy(s.stack[:], args)
	if err := s.fns[fn].CallWithStack(in.ctx, s.stack[:]); err != nil {
		in.broken = true
		if in.depth > 0 {
			panic(&trapError{err})
		}
		return 0, &trapError{err}
	}
	return s.stack[0], nil
}

// must is call for exports that cannot fail short of a trap; a trap at depth
// 0 is reported through the returned error of the enclosing operation by
// the panic handler in guard.
func (in *instance) must(fn int, args ...uint64) uint32 {
	v, err := in.call(fn, args...)
	if err != nil {
		panic(err)
	}
	return uint32(v)
}

// guard turns a trap panic raised by must at depth 0 into an error.
func guard(err *error) {
	if r := recover(); r != nil {
		t, ok := r.(*trapError)
		if !ok {
			panic(r)
		}
		*err = t
	}
}

func (in *instance) ctxPtr() uint64 { return uint64(in.base.ctx) }

func (in *instance) malloc(n uint32) uint32 {
	if n == 0 {
		n = 1
	}
	p := in.must(fnMalloc, uint64(n))
	if p == 0 {
		panic(&trapError{fmt.Errorf("%w: engine malloc(%d) failed", ErrMemoryLimit, n)})
	}
	return p
}

func (in *instance) free(p uint32) { in.must(fnFree, uint64(p)) }

func (in *instance) freeValue(v uint32) {
	if v != 0 {
		in.must(fnFreeValue, in.ctxPtr(), uint64(v))
	}
}

// cstring copies s into engine memory with a trailing NUL.
func (in *instance) cstring(s string) uint32 {
	p := in.malloc(uint32(len(s) + 1))
	buf, _ := in.mem.Read(p, uint32(len(s)+1))
	copy(buf, s)
	buf[len(s)] = 0
	return p
}

func (in *instance) readCString(p uint32) string {
	if p == 0 {
		return ""
	}
	buf, ok := in.mem.Read(p, in.mem.Size()-p)
	if !ok {
		return ""
	}
	if i := bytes.IndexByte(buf, 0); i >= 0 {
		buf = buf[:i]
	}
	return string(buf)
}

// newString makes a JS string. QTS_NewString stops at NUL, so strings that
// hold one travel as JSON and are parsed inside the engine.
func (in *instance) newString(s string) uint32 {
	if bytes.IndexByte([]byte(s), 0) < 0 {
		p := in.cstring(s)
		v := in.must(fnNewString, in.ctxPtr(), uint64(p))
		in.free(p)
		return v
	}
	j := in.newString(jsonString(s))
	defer in.freeValue(j)
	v, _ := in.callValue(in.base.jsonParse, j)
	return v
}

// jsString reads a JS value as a string (JS_ToCString semantics).
func (in *instance) jsString(v uint32) string {
	p := in.must(fnGetString, in.ctxPtr(), uint64(v))
	s := in.readCString(p)
	if p != 0 {
		in.must(fnFreeCString, in.ctxPtr(), uint64(p))
	}
	return s
}

func (in *instance) jsNumber(v uint32) float64 {
	s := in.set()
	s.stack[0], s.stack[1] = in.ctxPtr(), uint64(v)
	if err := s.fns[fnGetFloat64].CallWithStack(in.ctx, s.stack[:]); err != nil {
		in.broken = true
		panic(&trapError{err})
	}
	return math.Float64frombits(s.stack[0])
}

func (in *instance) newNumber(f float64) uint32 {
	return in.must(fnNewFloat64, in.ctxPtr(), math.Float64bits(f))
}

// jsBytes copies an ArrayBuffer's contents out of the engine.
func (in *instance) jsBytes(v uint32) []byte {
	n := in.must(fnGetArrayBufferLength, in.ctxPtr(), uint64(v))
	p := in.must(fnGetArrayBuffer, in.ctxPtr(), uint64(v))
	if p == 0 {
		return nil
	}
	defer in.free(p)
	buf, ok := in.mem.Read(p, n)
	if !ok {
		panic(&trapError{errors.New("array buffer outside memory")})
	}
	return append([]byte(nil), buf...)
}

// newBytes makes an ArrayBuffer holding a copy of b.
func (in *instance) newBytes(b []byte) uint32 {
	p := in.malloc(uint32(len(b)))
	buf, _ := in.mem.Read(p, uint32(len(b)))
	copy(buf, b)
	return in.must(fnNewArrayBuffer, in.ctxPtr(), uint64(p), uint64(len(b)))
}

func (in *instance) typeOf(v uint32) string {
	p := in.must(fnTypeof, in.ctxPtr(), uint64(v))
	s := in.readCString(p)
	in.free(p)
	return s
}

// callValue calls the JS function fn with args (JSValue pointers), returning
// the result, or the thrown value as a *JSError. The caller frees the
// result.
func (in *instance) callValue(fn uint32, args ...uint32) (uint32, error) {
	if len(args) > 8 {
		panic("callValue: too many arguments")
	}
	argv := in.base.scratch[in.depth]
	buf, _ := in.mem.Read(argv, 4*uint32(len(args)))
	for i, a := range args {
		putU32(buf[4*i:], a)
	}
	r := in.must(fnCall, in.ctxPtr(), uint64(fn), uint64(fn), uint64(len(args)), uint64(argv))
	if exc := in.must(fnResolveException, in.ctxPtr(), uint64(r)); exc != 0 {
		in.freeValue(r)
		defer in.freeValue(exc)
		return 0, in.describe(exc)
	}
	return r, nil
}

// callInternal calls a prelude function and frees its result.
func (in *instance) callInternal(id int, args ...uint32) error {
	r, err := in.callValue(in.base.fns[id], args...)
	in.freeValue(r)
	return err
}

// describe turns a thrown value into a *JSError using the prelude's
// describe(), which reads name, message and stack without running user
// getters twice.
func (in *instance) describe(exc uint32) *JSError {
	argv := in.base.scratch[in.depth]
	buf, _ := in.mem.Read(argv, 4)
	putU32(buf, exc)
	fn := in.base.fns[jsDescribe]
	r := in.must(fnCall, in.ctxPtr(), uint64(fn), uint64(fn), 1, uint64(argv))
	if e := in.must(fnResolveException, in.ctxPtr(), uint64(r)); e != 0 {
		in.freeValue(e)
		in.freeValue(r)
		return &JSError{Message: in.jsString(exc)}
	}
	defer in.freeValue(r)
	return parseJSError(in.jsString(r))
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func getU32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
