// Package egress sends guests' outbound HTTP requests under their
// deployment's policy: an optional allow-list of host names, and no
// loopback, private, link-local, cloud-metadata, carrier-grade-NAT or
// otherwise non-public address unless the policy names its range.
//
// Addresses are checked when a connection is dialled, on the address
// actually dialled, so a name that resolves to a private address (or is
// re-pointed at one between two lookups, DNS rebinding) is refused like
// the address itself; each redirect is checked like the first request.
// Environment proxies are ignored, since a proxy would dial on the
// guest's behalf. Bodies are capped both ways and every request has a
// time limit on top of the invocation's deadline.
package egress
