package quickjs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

var hostModuleMu sync.Mutex

// ensureHostModule instantiates the engine's imports in rt once. The
// functions find their instance through the call's context, so one host
// module serves every Engine and instance in the runtime.
func ensureHostModule(ctx context.Context, rt wazero.Runtime) error {
	hostModuleMu.Lock()
	defer hostModuleMu.Unlock()
	if rt.Module(hostModuleName) != nil {
		return nil
	}
	i32, i64, f64 := api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeF64
	b := rt.NewHostModuleBuilder(hostModuleName)
	def := func(name string, params, results []api.ValueType, f api.GoModuleFunc) {
		b.NewFunctionBuilder().WithGoModuleFunction(f, params, results).Export(name)
	}
	def(impAssertFail, []api.ValueType{i32, i32, i32, i32}, nil, hostAssertFail)
	def(impFdWrite, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, hostFdWrite)
	def(impFdClose, []api.ValueType{i32}, []api.ValueType{i32}, constErrno(52))
	def(impEnvironGet, []api.ValueType{i32, i32}, []api.ValueType{i32}, constErrno(0))
	def(impEnvironSizes, []api.ValueType{i32, i32}, []api.ValueType{i32}, hostEnvironSizes)
	def(impNormalize, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, hostNormalize)
	def(impLoadModule, []api.ValueType{i32, i32, i32}, []api.ValueType{i32}, hostLoadModule)
	def(impInterrupt, []api.ValueType{i32}, []api.ValueType{i32}, hostInterrupt)
	def(impSetitimer, []api.ValueType{i32, f64}, []api.ValueType{i32}, constErrno(0))
	def(impResizeHeap, []api.ValueType{i32}, []api.ValueType{i32}, hostResizeHeap)
	def(impKeepaliveClear, nil, nil, func(context.Context, api.Module, []uint64) {})
	def(impLocaltime, []api.ValueType{i64, i32}, nil, hostLocaltime)
	def(impTzset, []api.ValueType{i32, i32, i32, i32}, nil, hostTzset)
	def(impFdSeek, []api.ValueType{i32, i64, i32, i32}, []api.ValueType{i32}, constErrno(70))
	def(impDateNow, nil, []api.ValueType{f64}, hostDateNow)
	def(impClockTimeGet, []api.ValueType{i32, i64, i32}, []api.ValueType{i32}, hostClockTimeGet)
	def(impAbort, nil, nil, hostAbort)
	def(impExit, []api.ValueType{i32}, nil, hostExit)
	def(impCallFunction, []api.ValueType{i32, i32, i32, i32, i32}, []api.ValueType{i32}, hostCallFunction)
	def(impHostRefFree, []api.ValueType{i32, i32}, nil, func(context.Context, api.Module, []uint64) {})
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("instantiating quickjs host module: %w", err)
	}
	return nil
}

func instanceOf(ctx context.Context) *instance {
	in, _ := ctx.Value(instKey{}).(*instance)
	if in == nil {
		panic(&trapError{errors.New("quickjs engine called outside a Kiln instance")})
	}
	return in
}

func constErrno(v uint64) api.GoModuleFunc {
	return func(_ context.Context, _ api.Module, stack []uint64) { stack[0] = v }
}

func hostAssertFail(ctx context.Context, _ api.Module, stack []uint64) {
	in := instanceOf(ctx)
	in.broken = true
	panic(&trapError{fmt.Errorf("engine assertion failed: %s at %s:%d (%s)",
		in.readCString(uint32(stack[0])), in.readCString(uint32(stack[1])), uint32(stack[2]), in.readCString(uint32(stack[3])))})
}

func hostAbort(ctx context.Context, _ api.Module, _ []uint64) {
	instanceOf(ctx).broken = true
	panic(&trapError{errors.New("engine aborted")})
}

func hostExit(ctx context.Context, _ api.Module, stack []uint64) {
	instanceOf(ctx).broken = true
	panic(&trapError{fmt.Errorf("engine exited with code %d", int32(stack[0]))})
}

// hostFdWrite captures the engine's own stdout/stderr (QuickJS prints
// little, but what it prints belongs in the invocation's logs).
func hostFdWrite(ctx context.Context, mod api.Module, stack []uint64) {
	in := instanceOf(ctx)
	fd, iovs, n, pnum := uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), uint32(stack[3])
	total := uint32(0)
	for i := uint32(0); i < n; i++ {
		ptr, ok1 := in.mem.ReadUint32Le(iovs + 8*i)
		l, ok2 := in.mem.ReadUint32Le(iovs + 8*i + 4)
		if !ok1 || !ok2 {
			stack[0] = 21 // EFAULT
			return
		}
		b, ok := in.mem.Read(ptr, l)
		if !ok {
			stack[0] = 21
			return
		}
		in.writeFD(fd, b)
		total += l
	}
	in.mem.WriteUint32Le(pnum, total)
	stack[0] = 0
}

func hostEnvironSizes(ctx context.Context, _ api.Module, stack []uint64) {
	in := instanceOf(ctx)
	in.mem.WriteUint32Le(uint32(stack[0]), 0)
	in.mem.WriteUint32Le(uint32(stack[1]), 0)
	stack[0] = 0
}

// hostNormalize is only reached if the custom normaliser is enabled (it is
// not); it returns a malloc'd copy of the name as emscripten's glue would.
func hostNormalize(ctx context.Context, _ api.Module, stack []uint64) {
	in := instanceOf(ctx)
	in.depth++
	defer func() { in.depth-- }()
	stack[0] = uint64(in.cstring(in.readCString(uint32(stack[3]))))
}

// hostLoadModule is asked for every module a bundle imports, statically or
// with import(). A worker is one bundled module, so there is none to give:
// it throws the error the importer sees (QuickJS expects the loader to
// throw; returning nothing alone leaves an empty exception).
func hostLoadModule(ctx context.Context, _ api.Module, stack []uint64) {
	in := instanceOf(ctx)
	in.depth++
	defer func() { in.depth-- }()
	name := in.readCString(uint32(stack[2]))
	in.throw(&jsNamedError{name: "ReferenceError", msg: fmt.Sprintf(
		"cannot load module %q: a function is one ES module with its imports bundled into it", name)})
	stack[0] = 0
}

func hostInterrupt(ctx context.Context, _ api.Module, stack []uint64) {
	if instanceOf(ctx).interrupt.Load() {
		stack[0] = 1
	} else {
		stack[0] = 0
	}
}

// hostResizeHeap grows memory to at least the requested size, refusing
// beyond the invocation's cap. A refusal makes malloc fail (QuickJS throws
// "out of memory") and interrupts the script so the invocation ends.
func hostResizeHeap(ctx context.Context, _ api.Module, stack []uint64) {
	in := instanceOf(ctx)
	want := uint64(uint32(stack[0]))
	pages := uint32((want + wasmPage - 1) / wasmPage)
	cur := in.mem.Size() / wasmPage
	if pages <= cur {
		stack[0] = 1
		return
	}
	if pages > in.memCap {
		in.memRefused = true
		in.interrupt.Store(true)
		stack[0] = 0
		return
	}
	if _, ok := in.mem.Grow(pages - cur); !ok {
		in.memRefused = true
		in.interrupt.Store(true)
		stack[0] = 0
		return
	}
	stack[0] = 1
}

// hostLocaltime fills a struct tm for UTC: workers run in UTC.
func hostLocaltime(ctx context.Context, _ api.Module, stack []uint64) {
	in := instanceOf(ctx)
	t := time.Unix(int64(stack[0]), 0).UTC()
	p := uint32(stack[1])
	fields := []int32{int32(t.Second()), int32(t.Minute()), int32(t.Hour()), int32(t.Day()), int32(t.Month()) - 1,
		int32(t.Year() - 1900), int32(t.Weekday()), int32(t.YearDay() - 1), 0, 0}
	for i, f := range fields {
		in.mem.WriteUint32Le(p+4*uint32(i), uint32(f))
	}
}

func hostTzset(ctx context.Context, _ api.Module, stack []uint64) {
	in := instanceOf(ctx)
	in.mem.WriteUint32Le(uint32(stack[0]), 0)
	in.mem.WriteUint32Le(uint32(stack[1]), 0)
	in.mem.Write(uint32(stack[2]), []byte("UTC\x00"))
	in.mem.Write(uint32(stack[3]), []byte("UTC\x00"))
}

func hostDateNow(ctx context.Context, _ api.Module, stack []uint64) {
	stack[0] = api.EncodeF64(float64(time.Now().UnixMilli()))
}

var monoStart = time.Now()

func hostClockTimeGet(ctx context.Context, _ api.Module, stack []uint64) {
	in := instanceOf(ctx)
	var ns int64
	switch uint32(stack[0]) {
	case 0:
		ns = time.Now().UnixNano()
	case 1, 2, 3:
		ns = int64(time.Since(monoStart))
	default:
		stack[0] = 28 // EINVAL
		return
	}
	in.mem.WriteUint64Le(uint32(stack[2]), uint64(ns))
	stack[0] = 0
}

// hostCallFunction runs a Kiln host function (hostfuncs.go) for JS.
func hostCallFunction(ctx context.Context, _ api.Module, stack []uint64) {
	in := instanceOf(ctx)
	argc, argv, ref := uint32(stack[2]), uint32(stack[3]), uint32(stack[4])
	in.depth++
	defer func() { in.depth-- }()
	stack[0] = uint64(in.runHostFunc(ref, argc, argv))
}
