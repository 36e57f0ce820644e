package quickjs

import (
	"bytes"
	"fmt"
)

// snapshot is an instance's state after initialisation: linear memory and
// the mutable globals (the fuel global is not part of it). An instance
// restored from it is indistinguishable from the one it was taken from.
type snapshot struct {
	mem     []byte
	globals []uint64
	// stackLow is the bottom of the restored stack window; the shadow
	// stack below it is zero in the snapshot and, as long as QuickJS's
	// recursion limit holds, in every instance.
	stackLow uint32
	// full is set when the region below the window was not zero, so every
	// restore copies all of memory.
	full bool
}

// staticEnd is where the engine's static data and .bss end and the shadow
// stack begins.
func (e *Engine) staticEnd() uint32 { return e.layout.stackTop - engineStackSize }

func (in *instance) takeSnapshot() *snapshot {
	size := in.mem.Size()
	buf, _ := in.mem.Read(0, size)
	s := &snapshot{mem: append([]byte(nil), buf...)}
	for _, g := range in.globals {
		s.globals = append(s.globals, g.Get())
	}
	lay := in.eng.layout
	s.stackLow = lay.stackTop - stackWindow
	if !allZero(s.mem[in.eng.staticEnd():s.stackLow]) {
		s.full = true
	}
	return s
}

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

// restore brings in back to s. A fresh instance (memory no larger than the
// snapshot's) takes everything; a reused one copies only the regions an
// invocation can write: static data, the stack window and the heap. It
// reports false when the instance cannot be restored (memory grew past the
// snapshot, or the stack reached below the window) and must be discarded.
func (in *instance) restore(s *snapshot, fresh bool) (bool, error) {
	size := in.mem.Size()
	want := uint32(len(s.mem))
	if size > want {
		return false, nil
	}
	if size < want {
		if _, ok := in.mem.Grow((want - size) / wasmPage); !ok {
			return false, fmt.Errorf("growing instance memory to %d bytes", want)
		}
	}
	mem, _ := in.mem.Read(0, want)
	if s.full {
		copy(mem, s.mem)
	} else {
		if !fresh && !allZero(mem[s.stackLow-stackGuard:s.stackLow]) {
			return false, nil
		}
		static := in.eng.staticEnd()
		copy(mem[:static], s.mem[:static])
		copy(mem[s.stackLow:], s.mem[s.stackLow:])
	}
	for i, g := range in.globals {
		g.Set(s.globals[i])
	}
	in.interrupt.Store(false)
	in.deadline.Store(false)
	in.memRefused = false
	in.outputExceeded = false
	in.depth = 0
	return true, nil
}
