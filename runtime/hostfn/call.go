package hostfn

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// Fuel charged for host work, so a guest cannot do unbounded work for the
// price of one call instruction.
const (
	// CostCall is charged for every host call.
	CostCall = 100
	// BytesPerFuel: one unit of fuel is charged per this many bytes a host
	// call moves in or out of the guest.
	BytesPerFuel = 8
	// CostFetch is charged for every outbound HTTP request on top of its
	// bytes: a request occupies sockets and the network for far longer
	// than a memory copy.
	CostFetch = 100_000
)

// Cost is the fuel for a host call moving n bytes.
func Cost(n int) uint64 { return CostCall + uint64(n)/BytesPerFuel }

// Egress sends a guest's outbound HTTP requests under its deployment's
// policy; *egress.Client implements it through an adapter in the engine.
type Egress interface {
	Do(ctx context.Context, req *http.Request) (*EgressResponse, error)
}

// EgressResponse is a completed outbound response with the bytes it moved.
type EgressResponse struct {
	Status        int
	Header        http.Header
	Body          []byte
	BytesSent     int64
	BytesReceived int64
}

// Call is the state of one invocation as host functions see it. The engine
// resets and reuses it between invocations of the same instance; host
// functions run on the guest's goroutine, so only Expire may be called
// from another goroutine.
type Call struct {
	ctx      context.Context
	deadline time.Time
	fuel     api.MutableGlobal
	expired  atomic.Bool

	// Logs collects the invocation's log lines.
	Logs *Logs
	// Egress sends outbound HTTP; nil means the guest has none.
	Egress Egress
	// EgressSent and EgressReceived count outbound bytes.
	EgressSent, EgressReceived int64
	// Pending holds the result of a two-step host call (a fetch) until the
	// guest copies it in.
	Pending []byte
}

// NewCall returns a Call logging into logs.
func NewCall(logs *Logs) *Call {
	return &Call{Logs: logs, ctx: context.Background()}
}

// SetFuel sets the guest's fuel global that Charge takes from; nil for an
// unmetered guest.
func (c *Call) SetFuel(g api.MutableGlobal) { c.fuel = g }

// Reset prepares c for a new invocation bounded by ctx and deadline (zero:
// none).
func (c *Call) Reset(ctx context.Context, deadline time.Time) {
	c.ctx = ctx
	c.deadline = deadline
	c.expired.Store(false)
	c.Egress = nil
	c.EgressSent, c.EgressReceived = 0, 0
	c.Pending = nil
}

// Context is the invocation's caller context: host calls that wait pass it
// on, bounded by Deadline.
func (c *Call) Context() context.Context { return c.ctx }

// Deadline is when the invocation must end; zero means no deadline.
func (c *Call) Deadline() time.Time { return c.deadline }

// Expire marks the invocation as past its deadline; host calls check it.
// Safe from any goroutine.
func (c *Call) Expire() { c.expired.Store(true) }

// Expired reports whether the deadline passed or the caller went away.
func (c *Call) Expired() bool {
	if c.expired.Load() {
		return true
	}
	if !c.deadline.IsZero() && !time.Now().Before(c.deadline) {
		return true
	}
	return c.ctx.Err() != nil
}

// CheckDeadline aborts the guest call if the invocation expired.
func (c *Call) CheckDeadline() {
	if c.Expired() {
		panic(ErrDeadline)
	}
}

// Charge takes n fuel from the guest, aborting its call with ErrOutOfFuel
// when that leaves it negative (the global then shows the deficit, as a
// metered instruction would).
func (c *Call) Charge(n uint64) {
	if c.fuel == nil {
		return
	}
	left := int64(c.fuel.Get()) - int64(n)
	c.fuel.Set(uint64(left))
	if left < 0 {
		panic(ErrOutOfFuel)
	}
}
