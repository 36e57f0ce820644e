package wasmtestmod

// Opcodes used by Kiln's hand-written test guests.
const (
	Unreachable byte = 0x00
	Nop         byte = 0x01
	Block       byte = 0x02
	Loop        byte = 0x03
	If          byte = 0x04
	Else        byte = 0x05
	End         byte = 0x0b
	Br          byte = 0x0c
	BrIf        byte = 0x0d
	Return      byte = 0x0f
	Call        byte = 0x10
	Drop        byte = 0x1a
	LocalGet    byte = 0x20
	LocalSet    byte = 0x21
	LocalTee    byte = 0x22
	GlobalGet   byte = 0x23
	GlobalSet   byte = 0x24
	I32Load     byte = 0x28
	I32Store    byte = 0x36
	MemoryGrow  byte = 0x40
	I32Eqz      byte = 0x45
	I32Eq       byte = 0x46
	I32Ne       byte = 0x47
	I32Add      byte = 0x6a
	I32Sub      byte = 0x6b
	I64Add      byte = 0x7c
	I64Sub      byte = 0x7d
	BlockVoid   byte = 0x40 // block type: no results
)

// I32Const is `i32.const v`.
func I32Const(v int32) []byte { return S64([]byte{0x41}, int64(v)) }

// I64Const is `i64.const v`.
func I64Const(v int64) []byte { return S64([]byte{0x42}, v) }

// Op is an opcode followed by unsigned LEB128 immediates, e.g.
// Op(Call, 3) or Op(LocalGet, 0).
func Op(code byte, imm ...uint32) []byte {
	b := []byte{code}
	for _, v := range imm {
		b = U32(b, v)
	}
	return b
}

// Mem is a memory instruction with its alignment and offset immediates.
func Mem(code byte, align, offset uint32) []byte {
	return U32(U32([]byte{code}, align), offset)
}

// Seq concatenates instruction sequences.
func Seq(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
