// Package wasmtestmod assembles small WebAssembly modules in tests, so
// hand-written hostile guests (infinite loops, memory bombs, bad imports)
// need no external assembler. It writes the binary format directly: a
// module is described by its types, imports, functions (bodies as raw
// instruction bytes built with the opcode helpers), memory, globals,
// exports and data, and Bytes encodes it.
package wasmtestmod

import "bytes"

// Value types.
const (
	I32 byte = 0x7f
	I64 byte = 0x7e
	F32 byte = 0x7d
	F64 byte = 0x7c
)

// Export kinds.
const (
	KindFunc   byte = 0
	KindTable  byte = 1
	KindMemory byte = 2
	KindGlobal byte = 3
)

// FuncType is a function signature.
type FuncType struct{ Params, Results []byte }

// Import is an imported function of type Type (an index into Types).
type Import struct {
	Module, Name string
	Type         uint32
}

// Func is a defined function: its type index, extra locals and body
// (instructions without the final `end`, which Bytes appends).
type Func struct {
	Type   uint32
	Locals []byte // one value type per local
	Body   []byte
}

// Global is a defined global initialised by a constant.
type Global struct {
	Type    byte
	Mutable bool
	Init    int64
}

// Export names a function, memory or global by index.
type Export struct {
	Name  string
	Kind  byte
	Index uint32
}

// Data is an active data segment for memory 0.
type Data struct {
	Offset uint32
	Bytes  []byte
}

// Memory is the module's one memory, in 64 KiB pages; HasMax false means
// no maximum.
type Memory struct {
	Min, Max uint32
	HasMax   bool
}

// Module is a whole module. Function indices count imports first.
type Module struct {
	Types   []FuncType
	Imports []Import
	Funcs   []Func
	Memory  *Memory
	Globals []Global
	Exports []Export
	Start   *uint32
	Data    []Data
}

// Bytes encodes the module in the binary format.
func (m *Module) Bytes() []byte {
	var out bytes.Buffer
	out.WriteString("\x00asm\x01\x00\x00\x00")
	if len(m.Types) > 0 {
		var s []byte
		s = U32(s, uint32(len(m.Types)))
		for _, t := range m.Types {
			s = append(s, 0x60)
			s = U32(s, uint32(len(t.Params)))
			s = append(s, t.Params...)
			s = U32(s, uint32(len(t.Results)))
			s = append(s, t.Results...)
		}
		section(&out, 1, s)
	}
	if len(m.Imports) > 0 {
		var s []byte
		s = U32(s, uint32(len(m.Imports)))
		for _, im := range m.Imports {
			s = Name(s, im.Module)
			s = Name(s, im.Name)
			s = append(s, KindFunc)
			s = U32(s, im.Type)
		}
		section(&out, 2, s)
	}
	if len(m.Funcs) > 0 {
		var s []byte
		s = U32(s, uint32(len(m.Funcs)))
		for _, f := range m.Funcs {
			s = U32(s, f.Type)
		}
		section(&out, 3, s)
	}
	if m.Memory != nil {
		s := []byte{1}
		if m.Memory.HasMax {
			s = append(s, 1)
			s = U32(s, m.Memory.Min)
			s = U32(s, m.Memory.Max)
		} else {
			s = append(s, 0)
			s = U32(s, m.Memory.Min)
		}
		section(&out, 5, s)
	}
	if len(m.Globals) > 0 {
		var s []byte
		s = U32(s, uint32(len(m.Globals)))
		for _, g := range m.Globals {
			s = append(s, g.Type)
			if g.Mutable {
				s = append(s, 1)
			} else {
				s = append(s, 0)
			}
			if g.Type == I64 {
				s = append(s, I64Const(g.Init)...)
			} else {
				s = append(s, I32Const(int32(g.Init))...)
			}
			s = append(s, End)
		}
		section(&out, 6, s)
	}
	if len(m.Exports) > 0 {
		var s []byte
		s = U32(s, uint32(len(m.Exports)))
		for _, e := range m.Exports {
			s = Name(s, e.Name)
			s = append(s, e.Kind)
			s = U32(s, e.Index)
		}
		section(&out, 7, s)
	}
	if m.Start != nil {
		section(&out, 8, U32(nil, *m.Start))
	}
	if len(m.Funcs) > 0 {
		var s []byte
		s = U32(s, uint32(len(m.Funcs)))
		for _, f := range m.Funcs {
			var body []byte
			body = U32(body, uint32(len(f.Locals)))
			for _, l := range f.Locals {
				body = append(body, 1, l)
			}
			body = append(body, f.Body...)
			body = append(body, End)
			s = U32(s, uint32(len(body)))
			s = append(s, body...)
		}
		section(&out, 10, s)
	}
	if len(m.Data) > 0 {
		var s []byte
		s = U32(s, uint32(len(m.Data)))
		for _, d := range m.Data {
			s = append(s, 0)
			s = append(s, I32Const(int32(d.Offset))...)
			s = append(s, End)
			s = U32(s, uint32(len(d.Bytes)))
			s = append(s, d.Bytes...)
		}
		section(&out, 11, s)
	}
	return out.Bytes()
}

func section(out *bytes.Buffer, id byte, body []byte) {
	out.WriteByte(id)
	out.Write(U32(nil, uint32(len(body))))
	out.Write(body)
}

// U32 appends v as unsigned LEB128.
func U32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// S64 appends v as signed LEB128.
func S64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// Name appends a length-prefixed UTF-8 name.
func Name(b []byte, s string) []byte {
	b = U32(b, uint32(len(s)))
	return append(b, s...)
}
