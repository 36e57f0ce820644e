package main

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestServeEgressFlags(t *testing.T) {
	t.Setenv("KILN_EGRESS_ALLOW_HOSTS", "api.example.com")
	cfg, _, err := parseServe([]string{"--egress-allow-nets", "10.0.0.0/8, 127.0.0.1,fd00::/8", "--nats-routes", "nats-route://a:1,,nats-route://b:2"})
	if err != nil {
		t.Fatal(err)
	}
	wantNets := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("fd00::/8")}
	if !slices.Equal(cfg.Egress.AllowNets, wantNets) || !slices.Equal(cfg.Egress.AllowHosts, []string{"api.example.com"}) {
		t.Fatalf("egress policy %+v", cfg.Egress)
	}
	if !slices.Equal(cfg.NATSRoutes, []string{"nats-route://a:1", "nats-route://b:2"}) {
		t.Fatalf("routes %q", cfg.NATSRoutes)
	}
	_, _, err = parseServe([]string{"--egress-allow-nets", "10.0.0.0/33"})
	if err == nil || !strings.Contains(err.Error(), `"10.0.0.0/33"`) {
		t.Fatalf("bad range: %v", err)
	}
}
