package bus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config configures the embedded server. Zero values are the defaults.
type Config struct {
	// Dir holds JetStream's files. Required.
	Dir string
	// Host is the client listen host. Default 127.0.0.1.
	Host string
	// Port is the client port: 0 opens none (in-process only, the default),
	// -1 picks a free port, >0 uses that port.
	Port int
	// ServerName names this node in a cluster. Default "kiln-" + random.
	ServerName string
	// ClusterName, ClusterHost, ClusterPort and Routes join a NATS cluster
	// (routes as nats-route://host:port). Default: no cluster.
	ClusterName string
	ClusterHost string
	ClusterPort int
	Routes      []string
	// ReadyTimeout bounds the wait for the server to accept connections. Default 10s.
	ReadyTimeout time.Duration
	// Logger receives the server's log lines. Default: discard.
	Logger *slog.Logger
}

// Bus is a running embedded NATS server and a connection to it.
type Bus struct {
	srv    *server.Server
	nc     *nats.Conn
	js     jetstream.JetStream
	closed atomic.Bool
}

// ErrNotReady means the server did not become ready in time.
var ErrNotReady = errors.New("nats server not ready")

// Start runs the server, connects to it in process and creates Kiln's streams.
func Start(ctx context.Context, cfg Config) (*Bus, error) {
	if cfg.Dir == "" {
		return nil, errors.New("bus: Dir is required")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	opts, err := serverOptions(cfg)
	if err != nil {
		return nil, err
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("configuring nats server: %w", err)
	}
	srv.SetLoggerV2(natsLogger{logger}, false, false, false)
	go srv.Start()
	ready := cfg.ReadyTimeout
	if ready == 0 {
		ready = 10 * time.Second
	}
	if !srv.ReadyForConnections(ready) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("starting nats server on %s: %w", cfg.Dir, ErrNotReady)
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.Name("kiln"), nats.MaxReconnects(-1))
	if err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("connecting to nats in process: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("opening jetstream: %w", err)
	}
	b := &Bus{srv: srv, nc: nc, js: js}
	replicas := 1
	if len(cfg.Routes) > 0 {
		replicas = min(3, len(cfg.Routes)+1)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := ensureStreams(sctx, js, replicas); err != nil {
		b.Shutdown()
		return nil, err
	}
	return b, nil
}

func serverOptions(cfg Config) (*server.Options, error) {
	name := cfg.ServerName
	if name == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		name = "kiln-" + hex.EncodeToString(b[:])
	}
	opts := &server.Options{
		ServerName: name,
		JetStream:  true,
		StoreDir:   filepath.Clean(cfg.Dir),
		Host:       cfg.Host,
		NoSigs:     true,
		NoLog:      false,
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	switch {
	case cfg.Port == 0:
		opts.DontListen = true
	case cfg.Port < 0:
		opts.Port = server.RANDOM_PORT
	default:
		opts.Port = cfg.Port
	}
	if cfg.ClusterName != "" || cfg.ClusterPort != 0 || len(cfg.Routes) > 0 {
		opts.Cluster.Name = cfg.ClusterName
		if opts.Cluster.Name == "" {
			opts.Cluster.Name = "kiln"
		}
		opts.Cluster.Host = cfg.ClusterHost
		if opts.Cluster.Host == "" {
			opts.Cluster.Host = opts.Host
		}
		opts.Cluster.Port = cfg.ClusterPort
		if opts.Cluster.Port < 0 {
			opts.Cluster.Port = server.RANDOM_PORT
		}
		for _, r := range cfg.Routes {
			u, err := url.Parse(r)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("bad nats route %q: want nats-route://host:port", r)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	return opts, nil
}

// Conn is the in-process client connection.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// JetStream is the JetStream API on the in-process connection.
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// ClientURL is the client listen URL, or "" when no port is open.
func (b *Bus) ClientURL() string {
	if b.srv.Addr() == nil {
		return ""
	}
	return b.srv.ClientURL()
}

// Version is the nats-server version.
func (b *Bus) Version() string { return server.VERSION }

// Healthy reports whether the server, JetStream and the connection work.
func (b *Bus) Healthy() error {
	if b.closed.Load() {
		return errors.New("nats: shut down")
	}
	if !b.nc.IsConnected() {
		return errors.New("nats: in-process connection down")
	}
	if !b.srv.JetStreamEnabled() {
		return errors.New("nats: jetstream disabled")
	}
	return nil
}

// Shutdown drains the connection and stops the server. Idempotent.
func (b *Bus) Shutdown() {
	if !b.closed.CompareAndSwap(false, true) {
		return
	}
	_ = b.nc.Drain()
	deadline := time.Now().Add(5 * time.Second)
	for !b.nc.IsClosed() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	b.nc.Close()
	b.srv.Shutdown()
	b.srv.WaitForShutdown()
}
