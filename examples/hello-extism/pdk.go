package main

// A minimal Extism plug-in development kit for standard Go (wasip1): the
// imports of the Extism kernel (extism:host/env) and the few helpers a
// plugin needs. Every Extism host provides these functions; memory handed
// between plugin and host lives in the kernel's own memory, addressed by
// 64-bit offsets, and is copied in and out eight bytes at a time.

//go:wasmimport extism:host/env input_length
func extismInputLength() uint64

//go:wasmimport extism:host/env input_load_u8
func extismInputLoadU8(offset uint64) uint32

//go:wasmimport extism:host/env input_load_u64
func extismInputLoadU64(offset uint64) uint64

//go:wasmimport extism:host/env alloc
func extismAlloc(length uint64) uint64

//go:wasmimport extism:host/env store_u8
func extismStoreU8(offset uint64, v uint32)

//go:wasmimport extism:host/env store_u64
func extismStoreU64(offset uint64, v uint64)

//go:wasmimport extism:host/env output_set
func extismOutputSet(offset, length uint64)

//go:wasmimport extism:host/env error_set
func extismErrorSet(offset uint64)

//go:wasmimport extism:host/env length
func extismLength(offset uint64) uint64

//go:wasmimport extism:host/env load_u8
func extismLoadU8(offset uint64) uint32

//go:wasmimport extism:host/env load_u64
func extismLoadU64(offset uint64) uint64

//go:wasmimport extism:host/env free
func extismFree(offset uint64)

//go:wasmimport extism:host/env config_get
func extismConfigGet(keyOffset uint64) uint64

//go:wasmimport extism:host/env log_info
func extismLogInfo(offset uint64)

//go:wasmimport extism:host/env log_warn
func extismLogWarn(offset uint64)

//go:wasmimport extism:host/env log_error
func extismLogError(offset uint64)

// input returns the bytes the host called the plugin with.
func input() []byte {
	n := extismInputLength()
	buf := make([]byte, n)
	i := uint64(0)
	for ; i+8 <= n; i += 8 {
		v := extismInputLoadU64(i)
		for k := uint64(0); k < 8; k++ {
			buf[i+k] = byte(v >> (8 * k))
		}
	}
	for ; i < n; i++ {
		buf[i] = byte(extismInputLoadU8(i))
	}
	return buf
}

// store copies b into a new block of kernel memory and returns its offset.
func store(b []byte) uint64 {
	n := uint64(len(b))
	offset := extismAlloc(n)
	i := uint64(0)
	for ; i+8 <= n; i += 8 {
		var v uint64
		for k := uint64(0); k < 8; k++ {
			v |= uint64(b[i+k]) << (8 * k)
		}
		extismStoreU64(offset+i, v)
	}
	for ; i < n; i++ {
		extismStoreU8(offset+i, uint32(b[i]))
	}
	return offset
}

// output sets the bytes the call returns to the host.
func output(b []byte) {
	extismOutputSet(store(b), uint64(len(b)))
}

// setError makes the call fail with msg; return non-zero from the export
// too.
func setError(msg string) {
	extismErrorSet(store([]byte(msg)))
}

func logInfo(msg string)  { extismLogInfo(store([]byte(msg))) }
func logWarn(msg string)  { extismLogWarn(store([]byte(msg))) }
func logError(msg string) { extismLogError(store([]byte(msg))) }

// load copies a block of kernel memory out and frees it.
func load(offset uint64) []byte {
	n := extismLength(offset)
	buf := make([]byte, n)
	i := uint64(0)
	for ; i+8 <= n; i += 8 {
		v := extismLoadU64(offset + i)
		for k := uint64(0); k < 8; k++ {
			buf[i+k] = byte(v >> (8 * k))
		}
	}
	for ; i < n; i++ {
		buf[i] = byte(extismLoadU8(offset + i))
	}
	extismFree(offset)
	return buf
}

// config returns the host's configuration value for key (on Kiln, the
// function's variables), and whether it is set.
func config(key string) (string, bool) {
	k := store([]byte(key))
	v := extismConfigGet(k)
	extismFree(k)
	if v == 0 {
		return "", false
	}
	return string(load(v)), true
}
