package runtime

import "time"

// Defaults for zero Limits fields.
const (
	// DefaultFuel is one billion instructions: a few hundred milliseconds
	// to a second of compute.
	DefaultFuel = 1_000_000_000
	// DefaultMemoryPages is 2048 pages of 64 KiB: 128 MiB.
	DefaultMemoryPages = 2048
	// DefaultTimeout is the wall-clock bound of one invocation.
	DefaultTimeout = 15 * time.Second
	// DefaultMaxOutputBytes bounds a response body: 8 MiB.
	DefaultMaxOutputBytes = 8 << 20
	// DefaultMaxInputBytes bounds a request body: 8 MiB.
	DefaultMaxInputBytes = 8 << 20
	// DefaultMaxLogBytes bounds the log text kept per invocation: 256 KiB.
	DefaultMaxLogBytes = 256 << 10
)

// Limits bound one invocation. A zero field takes its Default* value.
type Limits struct {
	// Fuel is the budget of WebAssembly instructions (and host work
	// charged as instructions) the invocation may use. A reactor's
	// one-time initialisation gets its own budget of the same size.
	Fuel uint64
	// MemoryPages caps the guest's linear memory in 64 KiB pages; growing
	// past it fails, and a guest that fails because of it ends with
	// ErrMemoryLimit. At most Config.MaxMemoryPages.
	MemoryPages uint32
	// Timeout is the wall-clock bound of the invocation, from Invoke until
	// the response is decoded, including waiting for an instance. The
	// caller's context deadline applies too when earlier. Time inside host
	// calls is cut at the deadline; pure computation is bounded by Fuel.
	Timeout time.Duration
	// MaxOutputBytes caps the response body (for WAGI: all of stdout,
	// headers included).
	MaxOutputBytes int
	// MaxInputBytes caps the request body.
	MaxInputBytes int
	// MaxLogBytes caps the log text kept; past it lines are dropped and
	// Result.LogsTruncated is set, without failing the invocation.
	MaxLogBytes int
}

// withDefaults fills zero fields.
func (l Limits) withDefaults() Limits {
	if l.Fuel == 0 {
		l.Fuel = DefaultFuel
	}
	if l.MemoryPages == 0 {
		l.MemoryPages = DefaultMemoryPages
	}
	if l.Timeout == 0 {
		l.Timeout = DefaultTimeout
	}
	if l.MaxOutputBytes == 0 {
		l.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if l.MaxInputBytes == 0 {
		l.MaxInputBytes = DefaultMaxInputBytes
	}
	if l.MaxLogBytes == 0 {
		l.MaxLogBytes = DefaultMaxLogBytes
	}
	return l
}
