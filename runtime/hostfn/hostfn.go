// Package hostfn is how host capabilities reach guests. Each capability
// (hostfn/logs, hostfn/fetch, …) is a small package that lists the
// functions it adds to the "kiln" host module; the engine registers them all
// into one host module per node. Host functions are shared by every guest
// on the node, so everything they know about the invocation they serve —
// its log buffer, deadline, egress client and counters, and the guest's
// fuel — comes from the *Call found in the context wazero passes them.
//
// A host function ends the guest's call by panicking with one of the abort
// errors (ErrOutOfFuel, ErrDeadline, ErrOutputLimit): wazero recovers the
// panic and returns it, wrapped, from the guest call, and the engine maps
// it to its typed error.
package hostfn

import (
	"context"

	"github.com/tetratelabs/wazero/api"
)

// Capability is one group of host functions.
type Capability interface {
	// Functions lists the host functions the capability adds to the
	// "kiln" host module.
	Functions() []Function
}

// Function is one host function: its name in the host module, its wasm
// signature and its Go body.
type Function struct {
	Name    string
	Params  []api.ValueType
	Results []api.ValueType
	Fn      api.GoModuleFunction
}

type callKey struct{}

// NewContext returns a context carrying c, for the guest calls c governs.
func NewContext(parent context.Context, c *Call) context.Context {
	return context.WithValue(parent, callKey{}, c)
}

// FromContext returns the Call of a guest call's context, or nil when the
// guest is called outside an invocation.
func FromContext(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}
