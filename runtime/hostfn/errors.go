package hostfn

import "errors"

// Abort reasons: a host function panics with one of these to end the
// guest's call.
var (
	// ErrOutOfFuel: the host call cost more fuel than the guest had left.
	ErrOutOfFuel = errors.New("out of fuel in host call")
	// ErrDeadline: the invocation's deadline passed or its caller went away
	// while the guest was in (or entering) a host call.
	ErrDeadline = errors.New("deadline passed in host call")
	// ErrOutputLimit: the guest wrote more output than its limit allows.
	ErrOutputLimit = errors.New("output limit reached in host call")
)

// Outcomes of an Egress request a guest is told about.
var (
	// ErrEgressDenied: the deployment's egress policy refused the
	// destination.
	ErrEgressDenied = errors.New("denied by egress policy")
	// ErrEgressTooLarge: the request or response exceeded the policy's
	// size limits.
	ErrEgressTooLarge = errors.New("over the egress size limit")
)
