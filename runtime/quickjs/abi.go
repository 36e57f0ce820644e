package quickjs

import (
	"fmt"
	"regexp"

	"github.com/tetratelabs/wazero/api"
)

// Export names of the pinned engine. quickjs-emscripten minifies them; the
// glue file dist/emscripten-module.cjs maps them (c._QTS_Eval=b.qa), and
// verifyABIAgainstGlue re-derives this table from it whenever the package is
// fetched, so a mismatch fails loudly instead of calling the wrong function.
var engineExports = []struct {
	name, min string
	params    []api.ValueType
	results   []api.ValueType
}{
	{"malloc", "w", i32s(1), i32s(1)},
	{"free", "N", i32s(1), nil},
	{"QTS_NewRuntime", "L", nil, i32s(1)},
	{"QTS_NewContext", "O", i32s(2), i32s(1)},
	{"QTS_RuntimeSetMaxStackSize", "E", i32s(2), nil},
	{"QTS_RuntimeEnableInterruptHandler", "Ga", i32s(1), nil},
	{"QTS_RuntimeEnableModuleLoader", "Ia", i32s(2), nil},
	{"QTS_Eval", "qa", i32s(6), i32s(1)},
	{"QTS_ResolveException", "oa", i32s(2), i32s(1)},
	{"QTS_GetString", "aa", i32s(2), i32s(1)},
	{"QTS_FreeCString", "T", i32s(2), nil},
	{"QTS_NewString", "$", i32s(2), i32s(1)},
	{"QTS_FreeValuePointer", "Q", i32s(2), nil},
	{"QTS_GetGlobalObject", "va", i32s(1), i32s(1)},
	{"QTS_GetProp", "ia", i32s(3), i32s(1)},
	{"QTS_SetProp", "ka", i32s(4), nil},
	{"QTS_Call", "na", i32s(5), i32s(1)},
	{"QTS_NewFunction", "Ea", i32s(5), i32s(1)},
	{"QTS_ExecutePendingJob", "ha", i32s(3), i32s(1)},
	{"QTS_PromiseState", "xa", i32s(2), i32s(1)},
	{"QTS_PromiseResult", "ya", i32s(2), i32s(1)},
	{"QTS_Typeof", "sa", i32s(2), i32s(1)},
	{"QTS_GetFloat64", "_", i32s(2), []api.ValueType{api.ValueTypeF64}},
	{"QTS_NewFloat64", "Z", []api.ValueType{api.ValueTypeI32, api.ValueTypeF64}, i32s(1)},
	{"QTS_NewObject", "V", i32s(1), i32s(1)},
	{"QTS_NewError", "y", i32s(1), i32s(1)},
	{"QTS_Throw", "x", i32s(2), i32s(1)},
	{"QTS_NewArrayBuffer", "Y", i32s(3), i32s(1)},
	{"QTS_GetArrayBuffer", "ba", i32s(2), i32s(1)},
	{"QTS_GetArrayBufferLength", "ca", i32s(2), i32s(1)},
	{"QTS_ArgvGetJSValueConstPointer", "Fa", i32s(2), i32s(1)},
}

// Indices into engineExports, in the same order.
const (
	fnMalloc = iota
	fnFree
	fnNewRuntime
	fnNewContext
	fnSetMaxStackSize
	fnEnableInterruptHandler
	fnEnableModuleLoader
	fnEval
	fnResolveException
	fnGetString
	fnFreeCString
	fnNewString
	fnFreeValue
	fnGetGlobalObject
	fnGetProp
	fnSetProp
	fnCall
	fnNewFunction
	fnExecutePendingJob
	fnPromiseState
	fnPromiseResult
	fnTypeof
	fnGetFloat64
	fnNewFloat64
	fnNewObject
	fnNewError
	fnThrow
	fnNewArrayBuffer
	fnGetArrayBuffer
	fnGetArrayBufferLength
	fnArgvPointer
	numEngineExports
)

// ctorsExport is __wasm_call_ctors (the glue calls Z.v() once after
// instantiation).
const ctorsExport = "v"

// Imports of the pinned engine (module "a"), keyed by minified name. The
// memory import "a" is turned into a defined memory by rewriteEngine.
const (
	impAssertFail     = "b" // __assert_fail(cond, file, line, func)
	impFdWrite        = "c" // fd_write(fd, iovs, iovcnt, pnum) errno
	impFdClose        = "d" // fd_close(fd) errno
	impEnvironGet     = "e" // environ_get(environ, buf) errno
	impEnvironSizes   = "f" // environ_sizes_get(pcount, psize) errno
	impNormalize      = "g" // qts_host_normalize_module(rt, ctx, base, name) char*
	impLoadModule     = "h" // qts_host_load_module_source(rt, ctx, name) char*
	impInterrupt      = "i" // qts_host_interrupt_handler(rt) int
	impSetitimer      = "j" // _setitimer_js(which, ms) int
	impResizeHeap     = "k" // emscripten_resize_heap(size) bool
	impKeepaliveClear = "l" // _emscripten_runtime_keepalive_clear()
	impLocaltime      = "m" // _localtime_js(time, tm)
	impTzset          = "n" // _tzset_js(timezone, daylight, std, dst)
	impFdSeek         = "o" // fd_seek(fd, offset, whence, newoffset) errno
	impDateNow        = "p" // emscripten_date_now() ms
	impClockTimeGet   = "q" // clock_time_get(id, precision, ptime) errno
	impAbort          = "r" // _abort_js()
	impExit           = "s" // _exit(code)
	impCallFunction   = "t" // qts_host_call_function(ctx, this, argc, argv, ref) JSValue*
	impHostRefFree    = "u" // qts_host_ref_free(rt, ref)
	impMemory         = "a"
)

// Build facts of the pinned engine, read from its binary: the shadow stack
// is 5 MiB and sits between static data and the heap; __stack_pointer
// starts at its top.
const engineStackSize = 5 << 20

func i32s(n int) []api.ValueType {
	t := make([]api.ValueType, n)
	for i := range t {
		t[i] = api.ValueTypeI32
	}
	return t
}

var (
	glueExportRe   = regexp.MustCompile(`c\._(\w+)=b\.([\w$]+)[;,}]`)
	glueCallbackRe = regexp.MustCompile(`([\w$]+):function\([\w,]*\)\{[^{}]*?c\.callbacks\.(\w+)\(`)
)

// verifyABIAgainstGlue checks the tables above against the package's
// JavaScript glue, the only authority on the minified names.
func verifyABIAgainstGlue(cjs []byte) error {
	exports := map[string]string{}
	for _, m := range glueExportRe.FindAllSubmatch(cjs, -1) {
		exports[string(m[1])] = string(m[2])
	}
	for _, e := range engineExports {
		if got, ok := exports[e.name]; !ok || got != e.min {
			return fmt.Errorf("%w: glue maps %s to %q, table says %q", ErrEngineMismatch, e.name, got, e.min)
		}
	}
	callbacks := map[string]string{}
	for _, m := range glueCallbackRe.FindAllSubmatch(cjs, -1) {
		callbacks[string(m[2])] = string(m[1])
	}
	for cb, want := range map[string]string{
		"callFunction":     impCallFunction,
		"shouldInterrupt":  impInterrupt,
		"loadModuleSource": impLoadModule,
		"normalizeModule":  impNormalize,
		"freeHostRef":      impHostRefFree,
	} {
		if got := callbacks[cb]; got != want {
			return fmt.Errorf("%w: glue imports %s as %q, table says %q", ErrEngineMismatch, cb, got, want)
		}
	}
	for marker, what := range map[string]string{
		"a:q,":                    "memory import",
		"Z.v();":                  "__wasm_call_ctors",
		"d:()=>52":                "fd_close",
		"o:function(){return 70}": "fd_seek",
		"p:()=>Date.now()":        "emscripten_date_now",
	} {
		if !regexp.MustCompile(regexp.QuoteMeta(marker)).Match(cjs) {
			return fmt.Errorf("%w: glue lacks %s (%s)", ErrEngineMismatch, what, marker)
		}
	}
	return nil
}
