package runtime

import (
	w "github.com/kilnhq/kiln/runtime/internal/wasmtestmod"
)

// Hand-assembled guests: the smallest modules showing one behaviour each.

var (
	voidType  = w.FuncType{}
	fdWriteTy = w.FuncType{Params: []byte{w.I32, w.I32, w.I32, w.I32}, Results: []byte{w.I32}}
)

// wagiHelloWasm is a WASI command writing a CGI response with one
// fd_write of a static iovec.
func wagiHelloWasm() []byte {
	msg := "Content-Type: text/plain\n\nhello from wat\n"
	iov := []byte{16, 0, 0, 0, byte(len(msg)), 0, 0, 0}
	m := w.Module{
		Types:   []w.FuncType{fdWriteTy, voidType},
		Imports: []w.Import{{Module: "wasi_snapshot_preview1", Name: "fd_write", Type: 0}},
		Funcs: []w.Func{{Type: 1, Body: w.Seq(
			w.I32Const(1), w.I32Const(0), w.I32Const(1), w.I32Const(8), w.Op(w.Call, 0), []byte{w.Drop},
		)}},
		Memory:  &w.Memory{Min: 1},
		Exports: []w.Export{{Name: "memory", Kind: w.KindMemory}, {Name: "_start", Kind: w.KindFunc, Index: 1}},
		Data:    []w.Data{{Offset: 0, Bytes: iov}, {Offset: 16, Bytes: []byte(msg)}},
	}
	return m.Bytes()
}

// command wraps a body as the _start of a WASI command with one page of
// exported memory.
func command(body []byte, extra ...w.Func) []byte {
	m := w.Module{
		Types:   []w.FuncType{voidType},
		Funcs:   append([]w.Func{{Type: 0, Body: body}}, extra...),
		Memory:  &w.Memory{Min: 1},
		Exports: []w.Export{{Name: "memory", Kind: w.KindMemory}, {Name: "_start", Kind: w.KindFunc, Index: 0}},
	}
	return m.Bytes()
}

// loopForeverWasm spins in an empty loop.
func loopForeverWasm() []byte {
	return command(w.Seq([]byte{w.Loop, w.BlockVoid}, w.Op(w.Br, 0), []byte{w.End}))
}

// recursionWasm calls itself without end.
func recursionWasm() []byte { return command(w.Op(w.Call, 0)) }

// memoryBombWasm grows memory a page at a time until refused, then traps.
func memoryBombWasm() []byte {
	return command(w.Seq(
		[]byte{w.Loop, w.BlockVoid},
		w.I32Const(1), []byte{w.MemoryGrow, 0}, w.I32Const(-1), []byte{w.I32Ne}, w.Op(w.BrIf, 0),
		[]byte{w.End, w.Unreachable},
	))
}

// unknownImportWasm imports a function no host provides.
func unknownImportWasm() []byte {
	m := w.Module{
		Types:   []w.FuncType{voidType},
		Imports: []w.Import{{Module: "env", Name: "steal_secrets", Type: 0}},
		Funcs:   []w.Func{{Type: 0, Body: w.Op(w.Call, 0)}},
		Exports: []w.Export{{Name: "_start", Kind: w.KindFunc, Index: 1}},
	}
	return m.Bytes()
}

// wrongSignatureWasm imports a WASI function with the wrong type.
func wrongSignatureWasm() []byte {
	m := w.Module{
		Types:   []w.FuncType{voidType},
		Imports: []w.Import{{Module: "wasi_snapshot_preview1", Name: "fd_write", Type: 0}},
		Funcs:   []w.Func{{Type: 0, Body: w.Op(w.Call, 0)}},
		Exports: []w.Export{{Name: "_start", Kind: w.KindFunc, Index: 1}},
	}
	return m.Bytes()
}

// fuelExportWasm exports a mutable i64 global under the fuel global's name
// and sets it high: a guest refilling its own fuel.
func fuelExportWasm() []byte {
	m := w.Module{
		Types:   []w.FuncType{voidType},
		Funcs:   []w.Func{{Type: 0, Body: w.Seq(w.I64Const(1<<62), w.Op(w.GlobalSet, 0))}},
		Globals: []w.Global{{Type: w.I64, Mutable: true, Init: 1 << 62}},
		Exports: []w.Export{{Name: "_start", Kind: w.KindFunc, Index: 0}, {Name: fuelGlobal, Kind: w.KindGlobal, Index: 0}},
	}
	return m.Bytes()
}

// startSectionWasm has a start function that loops forever: it must not
// run outside fuel.
func startSectionWasm() []byte {
	start := uint32(1)
	m := w.Module{
		Types:   []w.FuncType{voidType},
		Funcs:   []w.Func{{Type: 0, Body: nil}, {Type: 0, Body: w.Seq([]byte{w.Loop, w.BlockVoid}, w.Op(w.Br, 0), []byte{w.End})}},
		Exports: []w.Export{{Name: "_start", Kind: w.KindFunc, Index: 0}},
		Start:   &start,
	}
	return m.Bytes()
}
