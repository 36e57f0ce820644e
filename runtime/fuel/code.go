package fuel

import "fmt"

// instruction kinds that matter to metering.
const (
	kPlain      = iota
	kBlock      // block: the segment continues inside
	kLoop       // loop: a new segment (the loop header) starts inside
	kIf         // if: the then-arm starts a new segment
	kElse       // else: ends the then-arm; the else-arm starts a new segment
	kEnd        // end: a branch target; a new segment starts after it
	kBranch     // br_if: a new segment starts on fall-through
	kJump       // br, br_table, return, unreachable: nothing after runs
	kCountOnTop // a dynamically charged op whose count is the i32 on top
	kCall       // call, call_indirect: the callee may not return (exit, trap)
)

// dyn says how a dynamically charged op turns its count into fuel.
type dyn struct {
	shift int64 // count >> shift (bytes)
	mult  int64 // count * mult (pages, elements)
}

// instr is one decoded instruction: its bytes in the body and kind.
type instr struct {
	start, end int
	kind       int
	charge     dyn
}

func (m *moduleInfo) rewriteCode(sec []byte, fuelIdx uint32, perInstruction bool) ([]byte, error) {
	r := &reader{b: sec}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if int(n) != len(m.funcTypes) {
		return nil, fmt.Errorf("%w: %d function bodies for %d functions", ErrInvalidModule, n, len(m.funcTypes))
	}
	out := appendU32(nil, n)
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		body, err := r.bytes(int(size))
		if err != nil {
			return nil, err
		}
		params := uint32(0)
		if t := m.funcTypes[i]; int(t) < len(m.typeParams) {
			params = m.typeParams[t]
		}
		nb, err := rewriteBody(body, params, fuelIdx, perInstruction)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		out = appendU32(out, uint32(len(nb)))
		out = append(out, nb...)
	}
	return out, nil
}

// rewriteBody instruments one function body.
func rewriteBody(body []byte, params, fuelIdx uint32, perInstruction bool) ([]byte, error) {
	r := &reader{b: body}
	groups, err := r.u32()
	if err != nil {
		return nil, err
	}
	localsStart := r.pos
	locals := params
	for g := uint32(0); g < groups; g++ {
		c, err := r.u32()
		if err != nil {
			return nil, err
		}
		if _, err := r.byte(); err != nil {
			return nil, err
		}
		locals += c
	}
	localsEnd := r.pos
	var code []instr
	needTmp := false
	for !r.eof() {
		in, err := decode(r)
		if err != nil {
			return nil, err
		}
		needTmp = needTmp || in.kind == kCountOnTop
		code = append(code, in)
	}
	tmp := locals // the extra i32 local for dynamic charges, appended last

	var out []byte
	if needTmp {
		out = appendU32(out, groups+1)
		out = append(out, body[localsStart:localsEnd]...)
		out = append(out, 0x01, 0x7f)
	} else {
		out = append(out, body[:localsEnd]...)
	}
	charge := func(n int64) {
		if n > 0 {
			out = append(out, 0x23)
			out = appendU32(out, fuelIdx)
			out = append(out, 0x42)
			out = appendS64(out, n)
			out = append(out, 0x7d, 0x24) // i64.sub; global.set
			out = appendU32(out, fuelIdx)
		}
	}
	check := func() {
		out = append(out, 0x23)
		out = appendU32(out, fuelIdx)
		out = append(out, 0x42, 0x00, 0x53, 0x04, 0x40, 0x00, 0x0b) // i64.const 0; i64.lt_s; if; unreachable; end
	}
	dynCharge := func(d dyn) {
		out = append(out, 0x22) // local.tee tmp: the count stays on the stack
		out = appendU32(out, tmp)
		out = append(out, 0x23)
		out = appendU32(out, fuelIdx)
		out = append(out, 0x20)
		out = appendU32(out, tmp)
		out = append(out, 0xad) // i64.extend_i32_u
		if d.shift > 0 {
			out = append(out, 0x42)
			out = appendS64(out, d.shift)
			out = append(out, 0x88) // i64.shr_u
		}
		if d.mult > 1 {
			out = append(out, 0x42)
			out = appendS64(out, d.mult)
			out = append(out, 0x7e) // i64.mul
		}
		out = append(out, 0x7d, 0x24) // i64.sub; global.set
		out = appendU32(out, fuelIdx)
		check()
	}

	if perInstruction {
		check()
		for _, in := range code {
			if in.kind == kCountOnTop {
				dynCharge(in.charge)
			}
			charge(1)
			out = append(out, body[in.start:in.end]...)
			if in.kind == kLoop {
				check()
			}
		}
		return out, nil
	}

	// Segments: each starts at the function entry or right after an
	// instruction that ends one; its charge is its instruction count. The
	// function entry and every loop header check the remaining fuel.
	header := true
	for i := 0; i < len(code); {
		j := i
		for j < len(code) {
			j++
			if endsSegment(code[j-1].kind) {
				break
			}
		}
		charge(int64(j - i))
		if header {
			check()
		}
		for _, in := range code[i:j] {
			if in.kind == kCountOnTop {
				dynCharge(in.charge)
			}
			out = append(out, body[in.start:in.end]...)
		}
		header = code[j-1].kind == kLoop
		i = j
	}
	return out, nil
}

func endsSegment(k int) bool {
	switch k {
	case kLoop, kIf, kElse, kEnd, kBranch, kJump, kCall:
		return true
	}
	return false
}
