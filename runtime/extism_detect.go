package runtime

import (
	"errors"
	"unicode/utf8"
)

// extismHost is the module Extism plugins import the kernel from.
const extismHost = "extism:host/env"

// importsExtism reports whether a module imports anything from the Extism
// host, reading only the import section. Compile needs to know before it
// compiles: a plugin is compiled once, in the runtime of its plugin, with
// the fuel hooks attached. Malformed bytes answer false and are refused by
// the compiler afterwards.
func importsExtism(wasm []byte) bool {
	r := &wasmReader{b: wasm}
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return false
	}
	r.pos = 8
	for !r.eof() {
		id, err := r.byte()
		if err != nil {
			return false
		}
		size, err := r.u32()
		if err != nil || uint64(r.pos)+uint64(size) > uint64(len(r.b)) {
			return false
		}
		end := r.pos + int(size)
		if id != 2 { // not the import section
			r.pos = end
			continue
		}
		found, err := scanImports(&wasmReader{b: r.b[:end], pos: r.pos})
		return err == nil && found
	}
	return false
}

// scanImports reads an import section's entries.
func scanImports(r *wasmReader) (bool, error) {
	n, err := r.u32()
	if err != nil {
		return false, err
	}
	for range n {
		mod, err := r.name()
		if err != nil {
			return false, err
		}
		if mod == extismHost {
			return true, nil
		}
		if _, err := r.name(); err != nil {
			return false, err
		}
		if err := r.skipImportDesc(); err != nil {
			return false, err
		}
	}
	return false, nil
}

var errMalformed = errors.New("malformed import section")

// wasmReader reads the binary format's LEB128 integers and names.
type wasmReader struct {
	b   []byte
	pos int
}

func (r *wasmReader) eof() bool { return r.pos >= len(r.b) }

func (r *wasmReader) byte() (byte, error) {
	if r.eof() {
		return 0, errMalformed
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *wasmReader) u64() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errMalformed
}

func (r *wasmReader) u32() (uint32, error) {
	v, err := r.u64()
	if err != nil || v > 1<<32-1 {
		return 0, errMalformed
	}
	return uint32(v), nil
}

func (r *wasmReader) name() (string, error) {
	n, err := r.u32()
	if err != nil || uint64(r.pos)+uint64(n) > uint64(len(r.b)) {
		return "", errMalformed
	}
	s := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	if !utf8.Valid(s) {
		return "", errMalformed
	}
	return string(s), nil
}

// skipImportDesc skips a function, table, memory or global import.
func (r *wasmReader) skipImportDesc() error {
	kind, err := r.byte()
	if err != nil {
		return err
	}
	switch kind {
	case 0: // function: type index
		_, err = r.u32()
		return err
	case 1: // table: reference type, limits
		if _, err := r.byte(); err != nil {
			return err
		}
		return r.skipLimits()
	case 2: // memory: limits
		return r.skipLimits()
	case 3: // global: value type, mutability
		if _, err := r.byte(); err != nil {
			return err
		}
		_, err = r.byte()
		return err
	case 4: // tag (exception handling): attribute, type index
		if _, err := r.byte(); err != nil {
			return err
		}
		_, err = r.u32()
		return err
	}
	return errMalformed
}

func (r *wasmReader) skipLimits() error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if _, err := r.u64(); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err = r.u64()
	}
	return err
}
