package fuel

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
)

// GlobalName is the exported mutable i64 global that holds remaining fuel.
const GlobalName = "kiln_fuel"

// Costs of operations charged by the work they do, in fuel.
const (
	// MemoryGrowPageCost is charged per 64 KiB page memory.grow asks for.
	MemoryGrowPageCost = 1024
	// BulkBytesShift: memory.copy, memory.fill and memory.init cost one
	// fuel per 2^BulkBytesShift (64) bytes, on top of the instruction.
	BulkBytesShift = 6
	// TableElementCost is charged per element table.grow, table.fill,
	// table.copy and table.init touch.
	TableElementCost = 1
)

const (
	secCustom = 0
	secType   = 1
	secImport = 2
	secFunc   = 3
	secGlobal = 6
	secExport = 7
	secStart  = 8
	secCode   = 10
)

type section struct {
	id   byte
	body []byte
}

// Instrument validates wasm and returns a copy that meters fuel. The same
// input always gives the same output.
func Instrument(wasm []byte) ([]byte, error) {
	return instrument(wasm, false)
}

// instrument rewrites the module; perInstruction charges one fuel before
// every instruction instead of per segment (the reference mode tests use).
func instrument(wasm []byte, perInstruction bool) ([]byte, error) {
	secs, err := splitSections(wasm)
	if err != nil {
		return nil, err
	}
	if err := precheck(secs); err != nil {
		return nil, err
	}
	if err := validate(wasm); err != nil {
		return nil, err
	}
	m := &moduleInfo{}
	for _, s := range secs {
		if err := m.read(s); err != nil {
			return nil, err
		}
	}
	fuelIdx := m.importedGlobals + m.definedGlobals

	out := append([]byte(nil), wasm[:8]...)
	wroteGlobal, wroteExport := false, false
	emit := func(id byte, body []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	// Sections after which a missing global/export section is placed.
	order := map[byte]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}
	for _, s := range secs {
		if s.id != secCustom {
			if !wroteGlobal && order[s.id] > order[secGlobal] {
				emit(secGlobal, globalSection(nil, 0))
				wroteGlobal = true
			}
			if !wroteExport && order[s.id] > order[secExport] {
				emit(secExport, exportSection(nil, 0, fuelIdx))
				wroteExport = true
			}
		}
		switch s.id {
		case secGlobal:
			emit(secGlobal, globalSection(m.globalBody, m.definedGlobals))
			wroteGlobal = true
		case secExport:
			emit(secExport, exportSection(m.exportBody, m.exports, fuelIdx))
			wroteExport = true
		case secCode:
			body, err := m.rewriteCode(s.body, fuelIdx, perInstruction)
			if err != nil {
				return nil, err
			}
			emit(secCode, body)
		default:
			emit(s.id, s.body)
		}
	}
	if !wroteGlobal {
		emit(secGlobal, globalSection(nil, 0))
	}
	if !wroteExport {
		emit(secExport, exportSection(nil, 0, fuelIdx))
	}
	if err := validate(out); err != nil {
		return nil, fmt.Errorf("instrumented module does not validate (a rewriter bug): %w", err)
	}
	return out, nil
}

// precheck refuses vectors that declare more entries than their section
// has bytes. wazero's decoder allocates by the declared count first, so a
// few bytes could otherwise ask for gigabytes.
func precheck(secs []section) error {
	for _, s := range secs {
		switch s.id {
		case 1, 2, 3, 4, 5, 6, 7, 9, 10, 11:
		default:
			continue
		}
		r := &reader{b: s.body}
		n, err := r.u32()
		if err != nil {
			return err
		}
		if int64(n) > int64(len(s.body)) {
			return fmt.Errorf("%w: section %d declares %d entries in %d bytes", ErrInvalidModule, s.id, n, len(s.body))
		}
		if s.id == secCode {
			if err := precheckLocals(r, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxLocals bounds a function's declared locals (wazero allocates them).
const maxLocals = 50000

func precheckLocals(r *reader, n uint32) error {
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return err
		}
		body, err := r.bytes(int(size))
		if err != nil {
			return err
		}
		br := &reader{b: body}
		groups, err := br.u32()
		if err != nil {
			return err
		}
		total := uint64(0)
		for g := uint32(0); g < groups; g++ {
			c, err := br.u32()
			if err != nil {
				return err
			}
			if _, err := br.byte(); err != nil {
				return err
			}
			total += uint64(c)
			if total > maxLocals {
				return fmt.Errorf("%w: function %d declares more than %d locals", ErrInvalidModule, i, maxLocals)
			}
		}
	}
	return nil
}

// validate compiles the module with wazero's validator.
func validate(wasm []byte) error {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	m, err := r.CompileModule(ctx, wasm)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidModule, err)
	}
	return m.Close(ctx)
}

func splitSections(wasm []byte) ([]section, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, fmt.Errorf("%w: not a WebAssembly module", ErrInvalidModule)
	}
	r := &reader{b: wasm, pos: 8}
	var secs []section
	for !r.eof() {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		n, err := r.u32()
		if err != nil {
			return nil, err
		}
		body, err := r.bytes(int(n))
		if err != nil {
			return nil, err
		}
		secs = append(secs, section{id: id, body: body})
	}
	return secs, nil
}

// moduleInfo is what the rewriter needs to know of the module.
type moduleInfo struct {
	typeParams      []uint32 // parameter count of each type
	funcTypes       []uint32 // type of each defined function
	importedGlobals uint32
	definedGlobals  uint32
	globalBody      []byte // entries after the count
	exports         uint32
	exportBody      []byte
}

func (m *moduleInfo) read(s section) error {
	r := &reader{b: s.body}
	switch s.id {
	case secType:
		n, err := r.u32()
		if err != nil {
			return err
		}
		for i := uint32(0); i < n; i++ {
			form, err := r.byte()
			if err != nil {
				return err
			}
			if form != 0x60 {
				return fmt.Errorf("%w: type form 0x%02x (GC proposal)", ErrUnsupported, form)
			}
			params, err := r.u32()
			if err != nil {
				return err
			}
			if _, err := r.bytes(int(params)); err != nil {
				return err
			}
			results, err := r.u32()
			if err != nil {
				return err
			}
			if _, err := r.bytes(int(results)); err != nil {
				return err
			}
			m.typeParams = append(m.typeParams, params)
		}
	case secImport:
		n, err := r.u32()
		if err != nil {
			return err
		}
		for i := uint32(0); i < n; i++ {
			for j := 0; j < 2; j++ { // module and field names
				l, err := r.u32()
				if err != nil {
					return err
				}
				if _, err := r.bytes(int(l)); err != nil {
					return err
				}
			}
			kind, err := r.byte()
			if err != nil {
				return err
			}
			switch kind {
			case 0: // func: type index
				if _, err := r.u32(); err != nil {
					return err
				}
			case 1: // table: reftype, limits
				if _, err := r.byte(); err != nil {
					return err
				}
				if err := skipLimits(r); err != nil {
					return err
				}
			case 2: // memory: limits
				if err := skipLimits(r); err != nil {
					return err
				}
			case 3: // global: valtype, mut
				if _, err := r.bytes(2); err != nil {
					return err
				}
				m.importedGlobals++
			default:
				return fmt.Errorf("%w: import kind 0x%02x", ErrUnsupported, kind)
			}
		}
	case secFunc:
		n, err := r.u32()
		if err != nil {
			return err
		}
		for i := uint32(0); i < n; i++ {
			t, err := r.u32()
			if err != nil {
				return err
			}
			m.funcTypes = append(m.funcTypes, t)
		}
	case secGlobal:
		n, err := r.u32()
		if err != nil {
			return err
		}
		m.definedGlobals, m.globalBody = n, s.body[r.pos:]
	case secExport:
		n, err := r.u32()
		if err != nil {
			return err
		}
		m.exports, m.exportBody = n, s.body[r.pos:]
		for i := uint32(0); i < n; i++ {
			l, err := r.u32()
			if err != nil {
				return err
			}
			name, err := r.bytes(int(l))
			if err != nil {
				return err
			}
			if string(name) == GlobalName {
				return fmt.Errorf("%w: the module already exports %q, the fuel global's name (a module must not reach its own fuel)", ErrUnsupported, GlobalName)
			}
			if _, err := r.byte(); err != nil {
				return err
			}
			if _, err := r.u32(); err != nil {
				return err
			}
		}
	case secStart:
		return fmt.Errorf("%w: start section (it would run before a fuel budget is set; export _start or _initialize instead)", ErrUnsupported)
	}
	return nil
}

func skipLimits(r *reader) error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if flags > 1 {
		return fmt.Errorf("%w: memory or table limits flags 0x%02x (shared memory, memory64)", ErrUnsupported, flags)
	}
	if _, err := r.u32(); err != nil {
		return err
	}
	if flags == 1 {
		_, err = r.u32()
	}
	return err
}

// globalSection is the module's globals plus the fuel global, initially 0.
func globalSection(entries []byte, n uint32) []byte {
	b := appendU32(nil, n+1)
	b = append(b, entries...)
	return append(b, 0x7e, 0x01, 0x42, 0x00, 0x0b) // mut i64 = i64.const 0
}

// exportSection is the module's exports plus the fuel global's.
func exportSection(entries []byte, n, fuelIdx uint32) []byte {
	b := appendU32(nil, n+1)
	b = append(b, entries...)
	b = appendU32(b, uint32(len(GlobalName)))
	b = append(b, GlobalName...)
	b = append(b, 0x03)
	return appendU32(b, fuelIdx)
}
