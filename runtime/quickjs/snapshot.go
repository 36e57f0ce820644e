package quickjs

import (
	"bytes"
	"fmt"
)

// snapshot is an instance's state after initialisation: linear memory and
// the mutable globals (the fuel global is not part of it). An instance
// restored from it is indistinguishable from the one it was taken from.
//
// Only two regions of memory are kept: static data [0, staticEnd) and
// everything from the bottom of the stack window up (the used top of the
// stack, then the heap). The shadow stack below the window is zero in a
// snapshot and, as long as QuickJS's recursion limit holds, in every
// instance; restore checks a guard band to be sure.
type snapshot struct {
	size    uint32 // memory size in bytes
	static  []byte // [0, staticEnd)
	upper   []byte // [stackLow, size)
	globals []uint64
	// stackLow is the bottom of the stack window.
	stackLow uint32
	// full holds all of memory when the region below the window was not
	// zero (never seen with the pinned engine), so restores copy it all.
	full []byte
}

// staticEnd is where the engine's static data and .bss end and the shadow
// stack begins.
func (e *Engine) staticEnd() uint32 { return e.layout.stackTop - engineStackSize }

func (in *instance) takeSnapshot() *snapshot {
	size := in.mem.Size()
	mem, _ := in.mem.Read(0, size)
	static := in.eng.staticEnd()
	s := &snapshot{size: size, stackLow: in.eng.layout.stackTop - stackWindow}
	for _, g := range in.globals {
		s.globals = append(s.globals, g.Get())
	}
	if !allZero(mem[static:s.stackLow]) {
		s.full = append([]byte(nil), mem...)
		return s
	}
	s.static = append([]byte(nil), mem[:static]...)
	s.upper = append([]byte(nil), mem[s.stackLow:]...)
	return s
}

// bytes is the memory a snapshot holds.
func (s *snapshot) bytes() int { return len(s.static) + len(s.upper) + len(s.full) }

var zeroPage [wasmPage]byte

func allZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(zeroPage))
		if !bytes.Equal(b[:n], zeroPage[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

// restore brings in back to s. It reports false when the instance cannot be
// restored (its memory grew past the snapshot's, or the stack reached below
// the window) and must be discarded instead. fresh says in was just
// instantiated, so the region below the window is known to be zero.
func (in *instance) restore(s *snapshot, fresh bool) (bool, error) {
	size := in.mem.Size()
	if size > s.size {
		return false, nil
	}
	if size < s.size {
		if _, ok := in.mem.Grow((s.size - size) / wasmPage); !ok {
			return false, fmt.Errorf("growing instance memory to %d bytes", s.size)
		}
	}
	mem, _ := in.mem.Read(0, s.size)
	if s.full != nil {
		copy(mem, s.full)
	} else {
		if !fresh && !allZero(mem[s.stackLow-stackGuard:s.stackLow]) {
			return false, nil
		}
		copy(mem, s.static)
		copy(mem[s.stackLow:], s.upper)
	}
	for i, g := range in.globals {
		g.Set(s.globals[i])
	}
	in.resetFlags()
	return true, nil
}

// resetFlags clears what one request left in the host's view of the
// instance (not its memory).
func (in *instance) resetFlags() {
	in.interrupt.Store(false)
	in.deadline.Store(false)
	in.memRefused = false
	in.outputErr = nil
	in.depth = 0
}
