package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures the gateway. Zero values are the defaults.
type Config struct {
	// BodyLimit caps request bodies in bytes. Default 30 MiB.
	BodyLimit int
	// Checks are the parts /v1/health reports on.
	Checks []Check
	// HealthInfo adds fields to the health body (e.g. the schema version).
	HealthInfo map[string]any
	// ShutdownTimeout bounds the drain of in-flight requests. Default 10s.
	ShutdownTimeout time.Duration
	// Logger receives server errors. Default: discard.
	Logger *slog.Logger
}

// DefaultBodyLimit is the request body cap when Config.BodyLimit is 0.
const DefaultBodyLimit = 30 << 20

// App is the HTTP server.
type App struct {
	cfg     Config
	fiber   *fiber.App
	logger  *slog.Logger
	metrics *metrics
	mappers []ErrorMapper
	// baseCtx is cancelled on shutdown so long-lived streams end.
	baseCtx context.Context
	cancel  context.CancelFunc
}

// New builds the app with the core routes; modules add theirs with Router.
func New(cfg Config) *App {
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a := &App{cfg: cfg, logger: logger, metrics: newMetrics()}
	a.baseCtx, a.cancel = context.WithCancel(context.Background())
	a.fiber = fiber.New(fiber.Config{
		BodyLimit:             cfg.BodyLimit,
		DisableStartupMessage: true,
		ErrorHandler:          a.errorHandler,
		ReadTimeout:           60 * time.Second,
		IdleTimeout:           120 * time.Second,
	})
	// Idle workers are reaped by a goroutine that sleeps this long between
	// sweeps; keep it short so it ends soon after Shutdown.
	a.fiber.Server().MaxIdleWorkerDuration = 2 * time.Second
	// Order matters: the request id comes first so every response has one;
	// metrics runs the error handler itself so it records the final status;
	// recovery sits inside metrics so a panic is counted as the 500 it becomes.
	a.fiber.Use(requestIDMiddleware)
	a.fiber.Use(a.metrics.middleware(a.errorHandler))
	a.fiber.Use(a.recoverPanics)
	a.fiber.Use(func(c *fiber.Ctx) error {
		c.SetUserContext(a.baseCtx)
		return c.Next()
	})
	a.fiber.Get("/v1/health", a.health)
	a.fiber.Get("/metrics", a.metrics.render)
	return a
}

// Router is where modules register their routes.
func (a *App) Router() fiber.Router { return a.fiber }

// Fiber exposes the underlying app (for tests and modules that need it).
func (a *App) Fiber() *fiber.App { return a.fiber }

// MapErrors registers a mapper from domain errors to API errors.
func (a *App) MapErrors(m ErrorMapper) { a.mappers = append(a.mappers, m) }

// Metrics is the app's Prometheus registry, served at /metrics; other parts
// of the node register their collectors here.
func (a *App) Metrics() prometheus.Registerer { return a.metrics.registry }

// Serve serves on ln until Shutdown. The caller closes ln after Shutdown
// (Shutdown cannot stop a Serve that had not started yet).
func (a *App) Serve(ln net.Listener) error {
	return a.fiber.Listener(ln)
}

// Listen binds addr ("host:port"; port 0 picks a free one) and serves on it
// until Shutdown.
func (a *App) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	defer ln.Close()
	return a.Serve(ln)
}

// Shutdown stops accepting connections and waits for requests in flight to
// finish, up to ctx or Config.ShutdownTimeout, whichever ends first. Then it
// cancels the context of any request still running (long streams), and
// returns the timeout as its error if it was reached.
func (a *App) Shutdown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.ShutdownTimeout)
	defer cancel()
	err := a.fiber.ShutdownWithContext(ctx)
	a.cancel()
	return err
}
