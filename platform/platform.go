package platform

import (
	"errors"
	"io"
	"log/slog"

	"github.com/kilnhq/kiln/store/db"
)

// Config wires the domain layer to its stores.
type Config struct {
	DB *db.DB
	// SecretKey (32 bytes) encrypts secret variables at rest. Required.
	SecretKey []byte
	// Logger receives operational records. Default: discard.
	Logger *slog.Logger
}

// Platform is the domain layer of one node.
type Platform struct {
	db     *db.DB
	sealer *sealer
	logger *slog.Logger
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
	return &Platform{db: cfg.DB, sealer: s, logger: logger}, nil
}
