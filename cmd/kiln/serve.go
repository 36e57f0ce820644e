package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kilnhq/kiln/cmd/kiln/internal/node"
	"github.com/kilnhq/kiln/platform"
)

// serveOptions are the settings of `kiln serve` that are not node.Config fields.
type serveOptions struct {
	routes    string
	logLevel  string
	bodyLimit byteSize
	pprofAddr string
	// egressHosts and egressNets are comma-separated lists.
	egressHosts, egressNets string
}

// serveFlags declares every setting of `kiln serve`. The defaults shown are
// the node's own zero-value defaults, spelled out for the help text.
func serveFlags(cfg *node.Config, o *serveOptions) *flag.FlagSet {
	fs := newFlagSet("serve")
	fs.StringVar(&cfg.DataDir, "data", "./kiln_data", "data directory: database, NATS, objects and the admin key")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "HTTP listen address; port 0 picks a free port")
	fs.StringVar(&cfg.DatabaseURL, "database-url", "", "Postgres URL of an existing server; empty runs a managed cluster in <data>/pg")
	fs.StringVar(&cfg.PostgresBinDir, "postgres-bin", "", "directory of initdb and postgres for the managed cluster; empty searches PATH, then /usr/lib/postgresql/*/bin")
	fs.StringVar(&cfg.S3.Endpoint, "s3-endpoint", "", "S3-compatible endpoint host:port; empty stores objects in <data>/objects")
	fs.StringVar(&cfg.S3.Bucket, "s3-bucket", "kiln", "S3 bucket, created if missing")
	fs.StringVar(&cfg.S3.AccessKey, "s3-access-key", "", "S3 access key")
	fs.StringVar(&cfg.S3.SecretKey, "s3-secret-key", "", "S3 secret key")
	fs.StringVar(&cfg.S3.Region, "s3-region", "us-east-1", "S3 region")
	fs.BoolVar(&cfg.S3.UseSSL, "s3-ssl", false, "use https for S3")
	fs.BoolVar(&cfg.S3.PathStyle, "s3-path-style", false, "force path-style S3 addressing; false picks it from the endpoint (path style for MinIO and other non-AWS stores)")
	fs.IntVar(&cfg.NATSPort, "nats-port", 0, "NATS client port: 0 none (in-process only), -1 a free port")
	fs.StringVar(&cfg.NATSClusterName, "nats-cluster-name", "", "NATS cluster name, to join nodes (scale-out)")
	fs.IntVar(&cfg.NATSClusterPort, "nats-cluster-port", 0, "NATS cluster port for routes from other nodes; 0 none")
	fs.StringVar(&o.routes, "nats-routes", "", "comma-separated routes to other nodes, nats-route://host:port")
	fs.StringVar(&cfg.FunctionsDomain, "functions-domain", "fn.localhost", "domain functions are served under by host name")
	o.bodyLimit = 30 << 20
	fs.Var(&o.bodyLimit, "body-limit", "request body limit: bytes, or a size such as 30MiB or 50MB")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&o.egressHosts, "egress-allow-hosts", "", "comma-separated hosts functions may fetch from (api.example.com, *.example.com); empty: any public host")
	fs.StringVar(&o.egressNets, "egress-allow-nets", "", "comma-separated address ranges functions may fetch from although not public (10.0.0.0/8, 127.0.0.1/32); default none")
	fs.StringVar(&o.pprofAddr, "pprof-addr", "", "serve Go's profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060; empty: off")
	return fs
}

func runServe(args []string) error {
	cfg, o, err := parseServe(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("bad log level %q: want debug, info, warn or error", o.logLevel)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	if o.pprofAddr != "" {
		stopProfiler, err := serveProfiler(o.pprofAddr, logger)
		if err != nil {
			return err
		}
		defer stopProfiler()
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	n, err := node.New(cfg, logger)
	if err != nil {
		return err
	}
	if err := n.Start(ctx); err != nil {
		return err
	}
	printBanner(n, time.Since(started))

	waitErr := make(chan error, 1)
	go func() { waitErr <- n.Wait() }()
	select {
	case <-ctx.Done():
		// A second Ctrl+C now kills the process the default way.
		stop()
		logger.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := n.Shutdown(sctx); err != nil {
			return err
		}
		return <-waitErr
	case err := <-waitErr:
		return err
	}
}

func printBanner(n *node.Node, took time.Duration) {
	keyPath := filepath.Join(n.DataDir(), platform.AdminKeyFile)
	note := "existing"
	if n.AdminKeyCreated {
		note = "new"
	}
	fmt.Fprintf(os.Stderr, `
  Kiln is running (ready in %s)
    API        http://%s/v1
    Health     http://%s/v1/health
    Metrics    http://%s/metrics
    Data dir   %s
    Admin key  %s (%s; send it as X-Appwrite-Key with X-Appwrite-Project: %s)
  Press Ctrl+C to stop.

`, took.Round(time.Millisecond), n.Addr(), n.Addr(), n.Addr(), n.DataDir(), keyPath, note, platform.DefaultProjectID)
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parsePrefix reads a CIDR range or a single address (a range of one).
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseServe reads serve's flags (and their KILN_* variables) into a node
// configuration.
func parseServe(args []string) (node.Config, serveOptions, error) {
	var cfg node.Config
	var o serveOptions
	fs := serveFlags(&cfg, &o)
	if err := parseWithEnv(fs, args); err != nil {
		return cfg, o, err
	}
	if fs.NArg() > 0 {
		return cfg, o, fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	cfg.NATSRoutes = splitList(o.routes)
	cfg.BodyLimit = int(o.bodyLimit)
	cfg.Egress.AllowHosts = splitList(o.egressHosts)
	for _, n := range splitList(o.egressNets) {
		prefix, err := parsePrefix(n)
		if err != nil {
			return cfg, o, fmt.Errorf("bad --egress-allow-nets entry %q: want an address or a CIDR range such as 10.0.0.0/8", n)
		}
		cfg.Egress.AllowNets = append(cfg.Egress.AllowNets, prefix)
	}
	return cfg, o, nil
}
