package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kilnhq/kiln/builder"
	"github.com/kilnhq/kiln/gateway"
	"github.com/kilnhq/kiln/platform"
	"github.com/kilnhq/kiln/runtime"
	"github.com/kilnhq/kiln/runtime/egress"
	"github.com/kilnhq/kiln/store/bus"
	"github.com/kilnhq/kiln/store/db"
	"github.com/kilnhq/kiln/store/objects"
	"github.com/kilnhq/kiln/store/pgcluster"
)

// Node is one running Kiln process.
type Node struct {
	cfg    Config
	logger *slog.Logger

	lock     *dirLock
	cluster  *pgcluster.Cluster
	db       *db.DB
	bus      *bus.Bus
	objects  objects.Store
	platform *platform.Platform
	app      *gateway.App
	ln       net.Listener

	// stops undo the started parts, in start order; run in reverse.
	stops    []func()
	serveErr chan error
	done     chan struct{}
	shutdown atomic.Bool
	wg       sync.WaitGroup
	// stopCtx bounds the drain of a Shutdown; stopErr is its outcome.
	stopCtx context.Context
	stopErr error

	// AdminKey is the admin API key secret; AdminKeyCreated is true on first run.
	AdminKey        string
	AdminKeyCreated bool
	SchemaVersion   int
}

// New checks cfg and returns a node ready to Start.
func New(cfg Config, logger *slog.Logger) (*Node, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg = cfg.withDefaults()
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("bad listen address %q: %w", cfg.Addr, err)
	}
	return &Node{cfg: cfg, logger: logger, done: make(chan struct{})}, nil
}

// Start starts every part in order. On failure it stops what it started.
func (n *Node) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			n.stopAll()
		}
	}()
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"preparing data dir", n.startDataDir},
		{"opening HTTP port", n.startListener},
		{"opening database", n.startDatabase},
		{"starting nats", n.startBus},
		{"opening object storage", n.startObjects},
		{"bootstrapping default project", n.startPlatform},
		{"starting gateway", n.startGateway},
	}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

func (n *Node) startDataDir(context.Context) error {
	dir, err := filepath.Abs(n.cfg.DataDir)
	if err != nil {
		return err
	}
	n.cfg.DataDir = dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("data dir %s is not usable: %w", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".write-test-")
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	lock, err := lockDataDir(dir)
	if err != nil {
		return err
	}
	n.lock = lock
	n.stops = append(n.stops, lock.release)
	return nil
}

func (n *Node) startDatabase(ctx context.Context) error {
	dsn := n.cfg.DatabaseURL
	if dsn == "" {
		n.cluster = &pgcluster.Cluster{Dir: filepath.Join(n.cfg.DataDir, "pg"), BinDir: n.cfg.PostgresBinDir, Logger: n.logger}
		if err := n.cluster.Start(ctx); err != nil {
			return err
		}
		n.stops = append(n.stops, func() {
			if err := n.cluster.Stop(); err != nil {
				n.logger.Error("stopping postgres", "err", err)
			}
		})
		dsn = n.cluster.DSN()
	}
	d, err := db.Open(ctx, dsn, n.logger)
	if err != nil {
		return err
	}
	n.db = d
	n.stops = append(n.stops, d.Close)
	v, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	n.SchemaVersion = v
	return nil
}

func (n *Node) startBus(ctx context.Context) error {
	b, err := bus.Start(ctx, bus.Config{
		Dir:         filepath.Join(n.cfg.DataDir, "nats"),
		Port:        n.cfg.NATSPort,
		ClusterName: n.cfg.NATSClusterName,
		ClusterPort: n.cfg.NATSClusterPort,
		Routes:      n.cfg.NATSRoutes,
		Logger:      n.logger,
	})
	if err != nil {
		return err
	}
	n.bus = b
	n.stops = append(n.stops, b.Shutdown)
	return nil
}

func (n *Node) startObjects(ctx context.Context) error {
	if n.cfg.S3.Endpoint != "" {
		s, err := objects.NewS3(ctx, n.cfg.S3)
		if err != nil {
			return err
		}
		n.objects = s
		// A store that holds connections releases them on shutdown.
		if c, ok := n.objects.(io.Closer); ok {
			n.stops = append(n.stops, func() { _ = c.Close() })
		}
		return nil
	}
	s, err := objects.NewLocal(filepath.Join(n.cfg.DataDir, "objects"))
	if err != nil {
		return err
	}
	n.objects = s
	return nil
}

func (n *Node) startPlatform(ctx context.Context) error {
	secret, created, err := platform.Bootstrap(ctx, n.db, n.cfg.DataDir)
	if err != nil {
		return err
	}
	n.AdminKey, n.AdminKeyCreated = secret, created
	key, err := platform.LoadSecretKey(n.cfg.DataDir)
	if err != nil {
		return err
	}
	// The build cache is per machine (the user cache dir), not per data
	// dir: Go's compiled standard library for wasip1 is worth sharing.
	bld, err := builder.New(builder.Config{Logger: n.logger})
	if err != nil {
		return err
	}
	eng, err := runtime.New(ctx, runtime.Config{CacheDir: filepath.Join(n.cfg.DataDir, "cache", "wasm"), Logger: n.logger})
	if err != nil {
		return err
	}
	eg := egress.New(n.cfg.Egress)
	js := newJSEngine(filepath.Join(n.cfg.DataDir, "cache", "wasm"), n.logger)
	runner := &platform.EngineRunner{Engine: eng, Egress: eg, JS: js.get}
	n.stops = append(n.stops, func() {
		runner.Close()
		js.close()
		eg.Close()
		_ = eng.Close(context.Background())
	})
	p, err := platform.New(platform.Config{DB: n.db, SecretKey: key, Objects: n.objects, NATS: n.bus.Conn(),
		JetStream: n.bus.JetStream(), Builder: bld, Runner: runner, Logger: n.logger})
	if err != nil {
		return err
	}
	n.platform = p
	// Every node builds and records: JetStream hands each job to one of them.
	if err := p.StartBuildWorker(ctx); err != nil {
		return err
	}
	n.stops = append(n.stops, p.StopBuildWorker, p.Close)
	rec, err := p.StartRecorder(ctx)
	if err != nil {
		return err
	}
	n.stops = append(n.stops, rec.Stop)
	stopAsync, err := p.StartAsyncWorker(ctx)
	if err != nil {
		return err
	}
	n.stops = append(n.stops, stopAsync)
	n.stops = append(n.stops, p.StartRetention(platform.DefaultExecutionRetention, time.Hour))
	return nil
}

func (n *Node) startGateway(ctx context.Context) error {
	n.app = gateway.New(gateway.Config{
		BodyLimit:       n.cfg.BodyLimit,
		ShutdownTimeout: n.cfg.ShutdownTimeout,
		Logger:          n.logger,
		Checks:          n.checks(),
		HealthInfo:      map[string]any{"schemaVersion": n.SchemaVersion},
	})
	n.app.MountTriggers(n.platform, n.cfg.FunctionsDomain)
	n.app.MountFunctions(n.platform)
	n.serveErr = make(chan error, 1)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.serveErr <- n.app.Serve(n.ln)
	}()
	n.stops = append(n.stops, func() {
		if err := n.app.Shutdown(n.stopContext()); err != nil {
			n.stopErr = fmt.Errorf("draining requests: %w", err)
		}
		_ = n.ln.Close()
		n.wg.Wait()
	})
	return nil
}

// startListener binds the HTTP port before anything else starts, so a port
// already in use fails the start before any state is made.
func (n *Node) startListener(context.Context) error {
	ln, err := net.Listen("tcp", n.cfg.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w (another process listens there: stop it or choose another address with --addr / KILN_ADDR)", err)
	}
	if err != nil {
		return err
	}
	n.ln = ln
	n.stops = append(n.stops, func() { _ = ln.Close() })
	return nil
}

func (n *Node) checks() []gateway.Check {
	return []gateway.Check{
		{Name: "database", Run: func(ctx context.Context) (string, error) { return n.db.Ping(ctx) }},
		{Name: "nats", Run: func(ctx context.Context) (string, error) { return n.bus.Version(), n.bus.Healthy() }},
		{Name: "storage", Run: func(ctx context.Context) (string, error) { return n.objects.Name(), n.objects.Ping(ctx) }},
	}
}

// Addr is the address the gateway listens on (useful with port 0).
func (n *Node) Addr() string {
	if n.ln == nil {
		return ""
	}
	return n.ln.Addr().String()
}

// DataDir is the absolute data directory.
func (n *Node) DataDir() string { return n.cfg.DataDir }
