package runtime

import (
	"log/slog"
	"time"
)

// Defaults for zero Config fields.
const (
	// DefaultMaxInstances caps live instances on a node.
	DefaultMaxInstances = 128
	// DefaultIdleTimeout closes reactor instances idle this long.
	DefaultIdleTimeout = time.Minute
	// DefaultMaxMemoryPages is the most linear memory any invocation may
	// be given: 65536 pages, the whole 4 GiB of wasm32.
	DefaultMaxMemoryPages = 65536
	// DefaultMaxInstancesPerDeployment caps one deployment's live
	// instances when its DeploymentConfig leaves MaxInstances zero.
	DefaultMaxInstancesPerDeployment = 16
)

// Config configures an Engine. The zero value is usable.
type Config struct {
	// CacheDir is where compiled machine code is kept across restarts, so
	// a module compiles once per wazero version and not once per start.
	// Empty: compiled code is kept in memory only.
	CacheDir string
	// CompileWorkers is how many goroutines compile one module's
	// functions. Zero: GOMAXPROCS.
	CompileWorkers int
	// MaxInstances caps the node's live instances, idle or busy, across
	// all deployments; a WAGI request holds one while it runs. Zero:
	// DefaultMaxInstances.
	MaxInstances int
	// IdleTimeout is how long an idle reactor instance is kept. Zero:
	// DefaultIdleTimeout; negative: kept until evicted for room.
	IdleTimeout time.Duration
	// MaxMemoryPages caps Limits.MemoryPages of every deployment. Zero:
	// DefaultMaxMemoryPages.
	MaxMemoryPages uint32
	// Logger receives the engine's own events (failures closing
	// instances). Nil: discarded. Guests' logs never go here; they are
	// returned in each Result.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.MaxInstances <= 0 {
		c.MaxInstances = DefaultMaxInstances
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.IdleTimeout < 0 {
		c.IdleTimeout = 0
	}
	if c.MaxMemoryPages == 0 || c.MaxMemoryPages > DefaultMaxMemoryPages {
		c.MaxMemoryPages = DefaultMaxMemoryPages
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
