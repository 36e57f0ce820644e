package platform

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/kilnhq/kiln/builder"
	"github.com/kilnhq/kiln/store/db"
	"github.com/kilnhq/kiln/store/objects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config wires the domain layer to its stores.
type Config struct {
	DB *db.DB
	// SecretKey (32 bytes) encrypts secret variables at rest. Required.
	SecretKey []byte
	// Objects stores deployment sources and build outputs.
	Objects objects.Store
	// NATS and JetStream carry build jobs and build logs.
	NATS      *nats.Conn
	JetStream jetstream.JetStream
	// Builder builds deployments; nil means this node runs no build worker.
	Builder *builder.Builder
	// Runner runs functions; nil means this node serves no executions.
	Runner Runner
	// MaxSourceBytes caps an uploaded deployment archive. Default 100 MiB.
	MaxSourceBytes int64
	// Logger receives operational records. Default: discard.
	Logger *slog.Logger
}

// Platform is the domain layer of one node.
type Platform struct {
	cfg    Config
	db     *db.DB
	sealer *sealer
	jwtKey []byte
	logger *slog.Logger

	cache   invokeCache
	records recordQueue
	bg      background

	workerMu   sync.Mutex
	workerStop func()
}

// New returns the domain layer.
func New(cfg Config) (*Platform, error) {
	if cfg.DB == nil {
		return nil, errors.New("platform: DB is required")
	}
	s, err := newSealer(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.MaxSourceBytes == 0 {
		cfg.MaxSourceBytes = 100 << 20
	}
	p := &Platform{cfg: cfg, db: cfg.DB, sealer: s, jwtKey: deriveJWTKey(cfg.SecretKey), logger: logger}
	if err := p.listenForChanges(); err != nil {
		return nil, fmt.Errorf("subscribing to function changes: %w", err)
	}
	return p, nil
}
