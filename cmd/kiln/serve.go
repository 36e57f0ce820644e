package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kilnhq/kiln/cmd/kiln/internal/node"
	"github.com/kilnhq/kiln/platform"
)

func runServe(args []string) error {
	var cfg node.Config
	var routes, logLevel string
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	f := &envFlags{fs: fs}
	f.String(&cfg.DataDir, "data", "./kiln_data", "data directory")
	f.String(&cfg.Addr, "addr", "127.0.0.1:8080", "HTTP listen address")
	f.String(&cfg.DatabaseURL, "database-url", "", "Postgres URL; empty runs a managed cluster in <data>/pg")
	f.String(&cfg.PostgresBinDir, "postgres-bin", "", "directory of initdb/postgres for the managed cluster; empty searches PATH and /usr/lib/postgresql/*/bin")
	f.String(&cfg.S3.Endpoint, "s3-endpoint", "", "S3-compatible endpoint host:port; empty stores objects in <data>/objects")
	f.String(&cfg.S3.Bucket, "s3-bucket", "kiln", "S3 bucket (created if missing)")
	f.String(&cfg.S3.AccessKey, "s3-access-key", "", "S3 access key")
	f.String(&cfg.S3.SecretKey, "s3-secret-key", "", "S3 secret key")
	f.String(&cfg.S3.Region, "s3-region", "us-east-1", "S3 region")
	f.Bool(&cfg.S3.UseSSL, "s3-ssl", false, "use https for S3")
	f.Bool(&cfg.S3.PathStyle, "s3-path-style", true, "path-style S3 addressing (MinIO and most self-hosted stores)")
	f.Int(&cfg.NATSPort, "nats-port", 0, "NATS client port: 0 none (in-process only), -1 a free port")
	f.String(&cfg.NATSClusterName, "nats-cluster-name", "", "NATS cluster name (scale-out)")
	f.Int(&cfg.NATSClusterPort, "nats-cluster-port", 0, "NATS cluster port (scale-out); 0 none")
	f.String(&routes, "nats-routes", "", "comma-separated NATS routes, nats-route://host:port")
	f.String(&cfg.FunctionsDomain, "functions-domain", "fn.localhost", "domain functions are served under by host")
	f.Int(&cfg.BodyLimit, "body-limit", 30<<20, "request body limit in bytes")
	f.String(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	if err := f.parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	if routes != "" {
		cfg.NATSRoutes = strings.Split(routes, ",")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("bad log level %q", logLevel)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

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
		logger.Info("shutting down")
		stop()
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return n.Shutdown(sctx)
	case err := <-waitErr:
		_ = n.Shutdown(context.Background())
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
    Data dir   %s
    Admin key  %s (%s; send it as X-Appwrite-Key with X-Appwrite-Project: %s)
  Press Ctrl+C to stop.

`, took.Round(time.Millisecond), n.Addr(), n.Addr(), n.DataDir(), keyPath, note, platform.DefaultProjectID)
}
