package egress

import (
	"net/netip"
	"strings"
	"time"
)

// Policy is what a deployment's guests may reach. The zero value allows
// any host with a public address, with the documented caps.
type Policy struct {
	// AllowHosts, when not empty, are the only hosts guests may name:
	// exact names ("api.example.com") or a leading wildcard for the
	// subdomains of a name ("*.example.com"). Matching ignores case and a
	// trailing dot. Empty: every host.
	AllowHosts []string
	// AllowNets are address ranges guests may reach although they are
	// not public (a service on the private network, or loopback in a
	// test). Everything else in the ranges Classify names is refused.
	AllowNets []netip.Prefix
	// MaxRequestBytes caps a request body. Default 10 MiB.
	MaxRequestBytes int64
	// MaxResponseBytes caps a response body. Default 10 MiB.
	MaxResponseBytes int64
	// Timeout bounds one request, redirects and body included, on top of
	// the invocation's own deadline. Default 30 s.
	Timeout time.Duration
	// MaxRedirects is how many redirects are followed, each checked like
	// the first request. Default 5; negative: none (the 3xx response is
	// returned to the guest).
	MaxRedirects int
}

const (
	defaultMaxBody      = 10 << 20
	defaultTimeout      = 30 * time.Second
	defaultMaxRedirects = 5
	maxHeaderBytes      = 64 << 10
)

func (p Policy) withDefaults() Policy {
	if p.MaxRequestBytes <= 0 {
		p.MaxRequestBytes = defaultMaxBody
	}
	if p.MaxResponseBytes <= 0 {
		p.MaxResponseBytes = defaultMaxBody
	}
	if p.Timeout <= 0 {
		p.Timeout = defaultTimeout
	}
	if p.MaxRedirects == 0 {
		p.MaxRedirects = defaultMaxRedirects
	}
	return p
}

// hostAllowed reports whether the allow-list admits host.
func (p Policy) hostAllowed(host string) bool {
	if len(p.AllowHosts) == 0 {
		return true
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, a := range p.AllowHosts {
		a = strings.TrimSuffix(strings.ToLower(a), ".")
		if suffix, ok := strings.CutPrefix(a, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == a {
			return true
		}
	}
	return false
}

// checkAddr refuses an address that is not public unless AllowNets
// holds it.
func (p Policy) checkAddr(a netip.Addr) error {
	a = a.Unmap()
	class := Classify(a)
	if class == "" {
		return nil
	}
	for _, n := range p.AllowNets {
		if n.Contains(a) {
			return nil
		}
	}
	return &DeniedError{Host: a.String(), Addr: a, Reason: class + " address"}
}

// Special-purpose ranges netip has no predicate for.
var (
	cgnat     = netip.MustParsePrefix("100.64.0.0/10")
	thisNet   = netip.MustParsePrefix("0.0.0.0/8")
	reserved  = netip.MustParsePrefix("240.0.0.0/4")
	benchmark = netip.MustParsePrefix("198.18.0.0/15")
	ietf      = netip.MustParsePrefix("192.0.0.0/24")
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	metadata  = netip.MustParseAddr("169.254.169.254")
	awsV6Meta = netip.MustParseAddr("fd00:ec2::254")
)

// Classify names the kind of a non-public address ("loopback",
// "private", "link-local", "cloud metadata", …), or returns "" for an
// address on the public internet. IPv4 addresses embedded in IPv6 (mapped,
// NAT64, 6to4) are judged by the IPv4 address they carry.
func Classify(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return Classify(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return Classify(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	switch {
	case !a.IsValid():
		return "invalid"
	case a == metadata || a == awsV6Meta:
		return "cloud metadata"
	case a.IsLoopback():
		return "loopback"
	case a.IsUnspecified(), thisNet.Contains(a):
		return "unspecified"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast(), a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "multicast or broadcast"
	case cgnat.Contains(a):
		return "carrier-grade NAT"
	case reserved.Contains(a), benchmark.Contains(a), ietf.Contains(a):
		return "reserved"
	}
	return ""
}
