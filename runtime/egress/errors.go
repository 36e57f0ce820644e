package egress

import (
	"fmt"
	"net/netip"

	"github.com/kilnhq/kiln/runtime/hostfn"
)

// Sentinel errors of Do, the same values the host functions classify, so
// a guest learns why its fetch failed.
var (
	// ErrDenied: the policy refused the destination.
	ErrDenied = hostfn.ErrEgressDenied
	// ErrTooLarge: the request or response body is over its cap.
	ErrTooLarge = hostfn.ErrEgressTooLarge
)

// DeniedError says which destination the policy refused and why. It
// matches ErrDenied.
type DeniedError struct {
	// Host is the name or address the request named.
	Host string
	// Addr is the address refused; invalid when the name itself was.
	Addr netip.Addr
	// Reason: "loopback address", "not in the allow-list", …
	Reason string
}

func (e *DeniedError) Error() string {
	if e.Addr.IsValid() && e.Addr.String() != e.Host {
		return fmt.Sprintf("%v: %s resolves to %s, a %s", ErrDenied, e.Host, e.Addr, e.Reason)
	}
	return fmt.Sprintf("%v: %s is a %s", ErrDenied, e.Host, e.Reason)
}

// Is matches ErrDenied.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }
