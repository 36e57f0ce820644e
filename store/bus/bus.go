package bus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	// Port is the client port: 0 opens none (in-process only, the default;
	// in a cluster a free port on Host, which nats-server needs to route),
	// -1 picks a free port, >0 uses that port.
	Port int
	// ServerName names this node in a cluster. Default "kiln-" + random.
	ServerName string
	// ClusterName, ClusterHost, ClusterPort and Routes join a NATS cluster
	// (routes as nats-route://host:port; ClusterHost defaults to Host,
	// ClusterPort -1 picks a free port). Default: no cluster.
	ClusterName string
	ClusterHost string
	ClusterPort int
	Routes      []string
	// Replicas is the replica count of Kiln's streams. Default: 1 without a
	// cluster, else min(3, len(Routes)+1). An existing stream never has its
	// replicas lowered by a node that starts with a smaller count.
	Replicas int
	// ReadyTimeout bounds the wait for the server to accept connections. Default 10s.
	ReadyTimeout time.Duration
	// StreamTimeout bounds creating the streams, which in a cluster waits
	// for a JetStream meta leader, so for enough peers to be up. Default 60s.
	StreamTimeout time.Duration
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

// Start runs the server, connects to it in process and creates Kiln's streams.
func Start(ctx context.Context, cfg Config) (*Bus, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("%w: Dir is required", ErrConfig)
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
	srv.Start() // returns once the accept loops run

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
	replicas := cfg.Replicas
	if replicas <= 0 {
		replicas = 1
		if len(cfg.Routes) > 0 {
			replicas = min(3, len(cfg.Routes)+1)
		}
	}
	streamTimeout := cfg.StreamTimeout
	if streamTimeout == 0 {
		streamTimeout = 60 * time.Second
	}
	sctx, cancel := context.WithTimeout(ctx, streamTimeout)
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
	clustered := cfg.ClusterName != "" || cfg.ClusterPort != 0 || len(cfg.Routes) > 0
	switch {
	case cfg.Port == 0 && clustered:
		// nats-server starts routing only once a client listener is up; with
		// none (DontListen) the route listener never opens.
		opts.Port = server.RANDOM_PORT
	case cfg.Port == 0:
		opts.DontListen = true
	case cfg.Port < 0:
		opts.Port = server.RANDOM_PORT
	default:
		opts.Port = cfg.Port
	}
	if clustered {
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
				return nil, fmt.Errorf("%w: route %q: want nats-route://host:port", ErrConfig, r)
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

// ClusterURL is the route listen URL (nats-route://host:port) other nodes
// list in Routes, or "" when the node is not in a cluster.
func (b *Bus) ClusterURL() string {
	a := b.srv.ClusterAddr()
	if a == nil {
		return ""
	}
	return "nats-route://" + a.String()
}

// Healthy reports whether the server, JetStream (and in a cluster, its meta
// group and Kiln's streams) and the in-process connection work. The error
// wraps ErrUnhealthy.
func (b *Bus) Healthy() error {
	if b.closed.Load() {
		return fmt.Errorf("%w: shut down", ErrUnhealthy)
	}
	if !b.nc.IsConnected() {
		return fmt.Errorf("%w: in-process connection is %s", ErrUnhealthy, b.nc.Status())
	}
	if hs := b.srv.Healthz(nil); hs.Status != "ok" {
		return fmt.Errorf("%w: %s", ErrUnhealthy, hs.Error)
	}
	return nil
}

// Shutdown drains the connection (pending messages are delivered to
// subscribers for up to 5s), stops the server and waits until its
// goroutines end. Idempotent: later calls return at once.
func (b *Bus) Shutdown() {
	if !b.closed.CompareAndSwap(false, true) {
		return
	}
	if err := b.nc.Drain(); err == nil {
		deadline := time.Now().Add(5 * time.Second)
		for !b.nc.IsClosed() && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	b.nc.Close()
	b.srv.Shutdown()
	b.srv.WaitForShutdown()
}
