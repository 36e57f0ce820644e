package runtime

import (
	"errors"

	"github.com/tetratelabs/wazero/experimental"
)

// Why an allocator: wazero's memory limit (WithMemoryLimitPages) belongs to
// the runtime, and a node has one runtime for all tenants and their
// different limits. wazero asks an experimental.MemoryAllocator, taken
// from the context of each instantiation, for the backing bytes of every
// memory and every memory.grow; refusing the growth past the instance's
// limit makes memory.grow return -1, exactly as a module-declared maximum
// would. The allocator also tells afterwards whether a failure followed a
// refusal (ErrMemoryLimit rather than a plain trap) and the peak size.

// errInitialMemory is panicked when a module's initial memory is already
// over the instance's limit: wazero cannot be told "no" at that point, so
// instantiate recovers it.
var errInitialMemory = errors.New("initial memory over the limit")

// linearMemory is the backing store of one instance's memory, capped at
// limit bytes.
type linearMemory struct {
	limit   uint64
	buf     []byte
	started bool
	refused bool // a growth past the limit was refused
}

func newLinearMemory(pages uint32) *linearMemory {
	return &linearMemory{limit: uint64(pages) << 16}
}

// Allocate implements experimental.MemoryAllocator; an instance has one
// memory.
func (m *linearMemory) Allocate(capBytes, maxBytes uint64) experimental.LinearMemory {
	c := min(capBytes, maxBytes, m.limit)
	m.buf = make([]byte, 0, c)
	return m
}

// Reallocate implements experimental.LinearMemory.
func (m *linearMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		if !m.started {
			panic(errInitialMemory)
		}
		m.refused = true
		return nil
	}
	m.started = true
	if size > uint64(cap(m.buf)) {
		// Grow by half again, so a guest growing a page at a time does not
		// copy its memory each time.
		c := max(size, uint64(cap(m.buf))*3/2)
		c = min(c, m.limit)
		nb := make([]byte, size, c)
		copy(nb, m.buf)
		m.buf = nb
	} else {
		m.buf = m.buf[:size]
	}
	return m.buf
}

// Free implements experimental.LinearMemory.
func (m *linearMemory) Free() { m.buf = nil }

// size is the current (and, since wasm memory never shrinks, the peak)
// size in bytes.
func (m *linearMemory) size() uint64 { return uint64(len(m.buf)) }
