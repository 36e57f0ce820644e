package runtime

import "github.com/tetratelabs/wazero/experimental"

// pluginMemory caps the linear memories of one Extism plugin instance
// together. A plugin instance has two: its own, and the Extism kernel's,
// which holds every block the plugin allocates through the kernel (input,
// output, log lines, variables). Both count against Limits.MemoryPages, so
// a plugin cannot double its share by allocating in the kernel.
//
// Unlike linearMemory, a memory whose initial size is already over the
// limit is given its bytes (wazero cannot be refused at that point, and a
// panic would escape the Extism SDK with the kernel instance left open);
// the instance is marked over and closed right after it is created.
type pluginMemory struct {
	limit   uint64
	used    uint64 // sum of the memories' sizes
	refused bool   // a growth past the limit was refused
	over    bool   // an initial size was past the limit
}

func newPluginMemory(pages uint32) *pluginMemory {
	return &pluginMemory{limit: uint64(pages) << 16}
}

// Allocate implements experimental.MemoryAllocator.
func (p *pluginMemory) Allocate(capBytes, maxBytes uint64) experimental.LinearMemory {
	return &pluginLinearMemory{p: p, buf: make([]byte, 0, min(capBytes, maxBytes, p.limit))}
}

// size is the memories' current (and, as wasm memories never shrink, peak)
// size in bytes.
func (p *pluginMemory) size() uint64 { return p.used }

// pluginLinearMemory is one memory of a plugin instance.
type pluginLinearMemory struct {
	p       *pluginMemory
	buf     []byte
	started bool
}

// Reallocate implements experimental.LinearMemory.
func (m *pluginLinearMemory) Reallocate(size uint64) []byte {
	p := m.p
	grow := size - uint64(len(m.buf))
	if size < uint64(len(m.buf)) {
		grow = 0
	}
	if p.used+grow > p.limit {
		if m.started {
			p.refused = true
			return nil
		}
		p.over = true
	}
	m.started = true
	p.used += grow
	if size > uint64(cap(m.buf)) {
		// Grow by half again, so a guest growing a page at a time does not
		// copy its memory each time.
		c := max(size, min(uint64(cap(m.buf))*3/2, p.limit))
		nb := make([]byte, size, c)
		copy(nb, m.buf)
		m.buf = nb
	} else {
		m.buf = m.buf[:size]
	}
	return m.buf
}

// Free implements experimental.LinearMemory.
func (m *pluginLinearMemory) Free() {
	m.p.used -= uint64(len(m.buf))
	m.buf = nil
}
