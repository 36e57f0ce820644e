package quickjs

import (
	"errors"
	"fmt"
)

// hostModuleName is the import module the rewritten engine imports from.
// It differs from emscripten's "a" so it cannot collide with another guest's
// host module in a shared wazero.Runtime.
const hostModuleName = "kiln:quickjs"

// Exports the rewrite adds.
const (
	exportMemory = "kiln_memory"
	exportStart  = "kiln_start"
	// exportGlobalPrefix + index names each mutable global of the engine
	// (only __stack_pointer in the pinned build) so snapshots can save and
	// restore them.
	exportGlobalPrefix = "kiln_global_"
)

const wasmPage = 65536

var errMalformed = errors.New("malformed engine module")

// engineLayout is what the rewrite learned about the engine's memory.
type engineLayout struct {
	// stackTop is __stack_pointer's initial value: the shadow stack grows
	// down from here, the heap grows up from here.
	stackTop uint32
	// minPages is the declared initial memory: just enough for static data
	// and the stack; the heap grows through emscripten_resize_heap.
	minPages uint32
	// maxPages is the engine's own ceiling (its imported memory's maximum).
	maxPages uint32
	// mutableGlobals are the exported names of every mutable global.
	mutableGlobals []string
}

// rewriteEngine turns emscripten's imported memory into a defined one,
// renames the import module, exports the mutable globals and the memory, and
// replaces the start section (a .bss zero-fill) by an export, so that the
// host can set a fuel budget before any engine code runs.
func rewriteEngine(in []byte) ([]byte, *engineLayout, error) {
	if len(in) < 8 || string(in[:4]) != "\x00asm" || in[4] != 1 {
		return nil, nil, fmt.Errorf("%w: not a wasm v1 binary", errMalformed)
	}
	var (
		layout        engineLayout
		importedGlobs uint32
		startFunc     = int64(-1)
		extra         [][]byte
	)
	// First pass: learn the memory limits, the globals and the start
	// function. The second pass (assemble) writes the module.
	r := &reader{b: in, off: 8}
	for r.off < len(r.b) {
		id := r.byte()
		size := r.uleb()
		if r.err != nil || r.off+int(size) > len(r.b) {
			return nil, nil, fmt.Errorf("%w: truncated section", errMalformed)
		}
		body := r.b[r.off : r.off+int(size)]
		r.off += int(size)
		switch id {
		case 2:
			_, lim, globs, err := rewriteImports(body)
			if err != nil {
				return nil, nil, err
			}
			if lim == nil {
				return nil, nil, fmt.Errorf("%w: engine imports no memory", errMalformed)
			}
			importedGlobs = globs
			if _, layout.maxPages, err = parseLimits(lim); err != nil {
				return nil, nil, err
			}
		case 5:
			return nil, nil, fmt.Errorf("%w: engine defines its own memory", errMalformed)
		case 6:
			sr := &reader{b: body}
			n := sr.uleb()
			for i := uint32(0); i < n && sr.err == nil; i++ {
				sr.byte() // value type
				mut := sr.byte()
				op := sr.byte()
				var v int64
				switch op {
				case 0x41, 0x42:
					v = sr.sleb()
				case 0x43:
					sr.skip(4)
				case 0x44:
					sr.skip(8)
				case 0x23, 0xd2:
					sr.uleb()
				case 0xd0:
					sr.byte()
				default:
					return nil, nil, fmt.Errorf("%w: global init opcode %#x", errMalformed, op)
				}
				if sr.byte() != 0x0b {
					return nil, nil, fmt.Errorf("%w: global init not constant", errMalformed)
				}
				if mut != 1 {
					continue
				}
				idx := importedGlobs + i
				name := fmt.Sprintf("%s%d", exportGlobalPrefix, idx)
				// The first mutable global is emscripten's __stack_pointer.
				if len(layout.mutableGlobals) == 0 && op == 0x41 {
					layout.stackTop = uint32(v)
				}
				layout.mutableGlobals = append(layout.mutableGlobals, name)
				extra = append(extra, exportEntry(name, 3, idx))
			}
			if sr.err != nil {
				return nil, nil, fmt.Errorf("%w: global section", errMalformed)
			}
		case 8:
			sr := &reader{b: body}
			startFunc = int64(sr.uleb())
			if sr.err != nil {
				return nil, nil, fmt.Errorf("%w: start section", errMalformed)
			}
		}
	}
	if layout.stackTop == 0 {
		return nil, nil, fmt.Errorf("%w: no __stack_pointer", errMalformed)
	}
	layout.minPages = (layout.stackTop + wasmPage - 1) / wasmPage
	if layout.maxPages < layout.minPages {
		return nil, nil, fmt.Errorf("%w: memory maximum %d pages", errMalformed, layout.maxPages)
	}
	extra = append(extra, exportEntry(exportMemory, 2, 0))
	if startFunc >= 0 {
		extra = append(extra, exportEntry(exportStart, 0, uint32(startFunc)))
	}
	out, err := assemble(in, appendLimits(nil, layout.minPages, layout.maxPages), extra)
	if err != nil {
		return nil, nil, err
	}
	return out, &layout, nil
}

// assemble writes the final module from the original one.
func assemble(in, memLimits []byte, extra [][]byte) ([]byte, error) {
	out := make([]byte, 0, len(in)+256)
	out = append(out, in[:8]...)
	memWritten := false
	writeMemory := func() {
		if memWritten {
			return
		}
		memWritten = true
		body := appendULEB(nil, 1)
		body = append(body, memLimits...)
		out = appendSection(out, 5, body)
	}
	r := &reader{b: in, off: 8}
	for r.off < len(r.b) {
		id := r.byte()
		size := r.uleb()
		body := r.b[r.off : r.off+int(size)]
		r.off += int(size)
		if id != 0 && sectionOrder(id) > sectionOrder(5) {
			writeMemory()
		}
		switch id {
		case 2:
			nb, _, _, err := rewriteImports(body)
			if err != nil {
				return nil, err
			}
			out = appendSection(out, 2, nb)
		case 7:
			sr := &reader{b: body}
			n := sr.uleb()
			nb := appendULEB(nil, n+uint32(len(extra)))
			nb = append(nb, sr.b[sr.off:]...)
			for _, e := range extra {
				nb = append(nb, e...)
			}
			out = appendSection(out, 7, nb)
		case 8:
			// dropped: exported as kiln_start instead
		default:
			out = appendSection(out, id, body)
		}
	}
	writeMemory()
	return out, nil
}

// rewriteImports renames module "a" to hostModuleName and drops the memory
// import, returning its limits and the number of imported globals.
func rewriteImports(body []byte) (out, memLimits []byte, globals uint32, err error) {
	r := &reader{b: body}
	n := r.uleb()
	var entries []byte
	kept := uint32(0)
	for i := uint32(0); i < n && r.err == nil; i++ {
		mod := r.name()
		field := r.name()
		kind := r.byte()
		descStart := r.off
		switch kind {
		case 0:
			r.uleb()
		case 1:
			r.byte()
			r.limits()
		case 2:
			r.limits()
		case 3:
			r.byte()
			r.byte()
			globals++
		default:
			return nil, nil, 0, fmt.Errorf("%w: import kind %d", errMalformed, kind)
		}
		desc := r.b[descStart:r.off]
		if kind == 2 {
			if mod != "a" || field != impMemory {
				return nil, nil, 0, fmt.Errorf("%w: unexpected memory import %s.%s", errMalformed, mod, field)
			}
			memLimits = desc
			continue
		}
		if mod == "a" {
			mod = hostModuleName
		}
		entries = appendName(entries, mod)
		entries = appendName(entries, field)
		entries = append(entries, kind)
		entries = append(entries, desc...)
		kept++
	}
	if r.err != nil {
		return nil, nil, 0, fmt.Errorf("%w: import section", errMalformed)
	}
	return append(appendULEB(nil, kept), entries...), memLimits, globals, nil
}

func parseLimits(b []byte) (min, max uint32, err error) {
	r := &reader{b: b}
	flag := r.byte()
	min = r.uleb()
	if flag&1 != 0 {
		max = r.uleb()
	}
	if r.err != nil || flag > 1 {
		return 0, 0, fmt.Errorf("%w: memory limits", errMalformed)
	}
	return min, max, nil
}

func appendLimits(b []byte, min, max uint32) []byte {
	b = append(b, 1)
	b = appendULEB(b, min)
	return appendULEB(b, max)
}

func exportEntry(name string, kind byte, idx uint32) []byte {
	b := appendName(nil, name)
	b = append(b, kind)
	return appendULEB(b, idx)
}

// sectionOrder gives the position a known section must take; datacount (12)
// sits between start/elem and code.
func sectionOrder(id byte) int {
	switch id {
	case 12:
		return 10 // after elem (9), before code (10→11)
	case 10:
		return 11
	case 11:
		return 12
	}
	return int(id)
}

func appendSection(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = appendULEB(out, uint32(len(body)))
	return append(out, body...)
}

func appendULEB(b []byte, v uint32) []byte {
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

func appendName(b []byte, s string) []byte {
	b = appendULEB(b, uint32(len(s)))
	return append(b, s...)
}

type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) byte() byte {
	if r.off >= len(r.b) {
		r.err = errMalformed
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) skip(n int) {
	if r.off+n > len(r.b) {
		r.err = errMalformed
		return
	}
	r.off += n
}

func (r *reader) uleb() uint32 {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.err = errMalformed
	return 0
}

func (r *reader) sleb() int64 {
	var v int64
	var shift uint
	for shift < 64 {
		c := r.byte()
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
	r.err = errMalformed
	return 0
}

func (r *reader) name() string {
	n := r.uleb()
	if r.err != nil || r.off+int(n) > len(r.b) {
		r.err = errMalformed
		return ""
	}
	s := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	return s
}

func (r *reader) limits() {
	flag := r.byte()
	r.uleb()
	if flag&1 != 0 {
		r.uleb()
	}
}
