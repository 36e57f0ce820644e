package fuel

import "fmt"

// decode reads one instruction and its immediates.
func decode(r *reader) (instr, error) {
	in := instr{start: r.pos, kind: kPlain}
	op, err := r.byte()
	if err != nil {
		return in, err
	}
	switch {
	case op == 0x00: // unreachable
		in.kind = kJump
	case op == 0x01: // nop
	case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
		if err := skipBlockType(r); err != nil {
			return in, err
		}
		in.kind = map[byte]int{0x02: kBlock, 0x03: kLoop, 0x04: kIf}[op]
	case op == 0x05:
		in.kind = kElse
	case op == 0x0b:
		in.kind = kEnd
	case op == 0x0c: // br
		_, err = r.u32()
		in.kind = kJump
	case op == 0x0d: // br_if
		_, err = r.u32()
		in.kind = kBranch
	case op == 0x0e: // br_table
		var n uint32
		if n, err = r.u32(); err == nil {
			for k := uint32(0); k <= n && err == nil; k++ {
				_, err = r.u32()
			}
		}
		in.kind = kJump
	case op == 0x0f: // return
		in.kind = kJump
	case op == 0x10: // call
		_, err = r.u32()
		in.kind = kCall
	case op == 0x11: // call_indirect type table
		if _, err = r.u32(); err == nil {
			_, err = r.u32()
		}
		in.kind = kCall
	case op == 0x1a || op == 0x1b: // drop, select
	case op == 0x1c: // select t*
		var n uint32
		if n, err = r.u32(); err == nil {
			_, err = r.bytes(int(n))
		}
	case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
		_, err = r.u32()
	case op >= 0x28 && op <= 0x3e: // loads and stores
		err = skipMemarg(r)
	case op == 0x3f: // memory.size
		err = skipMemIndex(r)
	case op == 0x40: // memory.grow
		err = skipMemIndex(r)
		in.kind, in.charge = kCountOnTop, dyn{mult: MemoryGrowPageCost}
	case op == 0x41: // i32.const
		err = r.skipSigned(32)
	case op == 0x42: // i64.const
		err = r.skipSigned(64)
	case op == 0x43:
		_, err = r.bytes(4)
	case op == 0x44:
		_, err = r.bytes(8)
	case op >= 0x45 && op <= 0xc4: // numeric, sign extension
	case op == 0xd0: // ref.null t
		_, err = r.byte()
	case op == 0xd1: // ref.is_null
	case op == 0xd2: // ref.func
		_, err = r.u32()
	case op == 0xfc:
		err = decodeFC(r, &in)
	case op == 0xfd:
		err = decodeSIMD(r)
	case op == 0xfe:
		return in, fmt.Errorf("%w: threads proposal (atomic opcode 0xfe)", ErrUnsupported)
	case op >= 0x06 && op <= 0x0a, op == 0x18, op == 0x19, op == 0x1f:
		return in, fmt.Errorf("%w: exception handling proposal (opcode 0x%02x)", ErrUnsupported, op)
	case op == 0x12 || op == 0x13:
		return in, fmt.Errorf("%w: tail call proposal (opcode 0x%02x)", ErrUnsupported, op)
	default:
		return in, fmt.Errorf("%w: opcode 0x%02x", ErrUnsupported, op)
	}
	if err != nil {
		return in, err
	}
	in.end = r.pos
	return in, nil
}

func skipBlockType(r *reader) error {
	c, err := r.byte()
	if err != nil {
		return err
	}
	switch c {
	case 0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
		return nil
	}
	r.pos-- // a type index, as s33
	return r.skipSigned(33)
}

func skipMemarg(r *reader) error {
	align, err := r.u32()
	if err != nil {
		return err
	}
	if align&0x40 != 0 {
		return fmt.Errorf("%w: multi-memory proposal", ErrUnsupported)
	}
	_, err = r.u32()
	return err
}

func skipMemIndex(r *reader) error {
	c, err := r.byte()
	if err == nil && c != 0 {
		return fmt.Errorf("%w: multi-memory proposal", ErrUnsupported)
	}
	return err
}

// decodeFC handles the 0xfc prefix: saturating truncation, bulk memory, tables.
func decodeFC(r *reader, in *instr) error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // trunc_sat
		return nil
	case sub == 8: // memory.init data mem
		if _, err := r.u32(); err != nil {
			return err
		}
		in.kind, in.charge = kCountOnTop, dyn{shift: BulkBytesShift}
		return skipMemIndex(r)
	case sub == 9: // data.drop
		_, err = r.u32()
	case sub == 10: // memory.copy mem mem
		if err := skipMemIndex(r); err != nil {
			return err
		}
		in.kind, in.charge = kCountOnTop, dyn{shift: BulkBytesShift}
		return skipMemIndex(r)
	case sub == 11: // memory.fill mem
		in.kind, in.charge = kCountOnTop, dyn{shift: BulkBytesShift}
		return skipMemIndex(r)
	case sub == 12 || sub == 14: // table.init elem table, table.copy t t
		if _, err := r.u32(); err != nil {
			return err
		}
		_, err = r.u32()
		in.kind, in.charge = kCountOnTop, dyn{mult: TableElementCost}
	case sub == 13: // elem.drop
		_, err = r.u32()
	case sub == 15 || sub == 17: // table.grow, table.fill
		_, err = r.u32()
		in.kind, in.charge = kCountOnTop, dyn{mult: TableElementCost}
	case sub == 16: // table.size
		_, err = r.u32()
	default:
		return fmt.Errorf("%w: opcode 0xfc %d", ErrUnsupported, sub)
	}
	return err
}

// decodeSIMD skips the immediates of 0xfd (fixed-width SIMD) instructions.
func decodeSIMD(r *reader) error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11 || sub == 92 || sub == 93: // loads, store, load_zero
		return skipMemarg(r)
	case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
		_, err = r.bytes(16)
	case sub >= 21 && sub <= 34: // extract/replace lane
		_, err = r.byte()
	case sub >= 84 && sub <= 91: // load/store lane
		if err := skipMemarg(r); err != nil {
			return err
		}
		_, err = r.byte()
	case sub > 0xff:
		return fmt.Errorf("%w: opcode 0xfd %d (relaxed SIMD)", ErrUnsupported, sub)
	}
	return err
}
