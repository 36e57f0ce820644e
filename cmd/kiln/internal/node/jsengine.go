package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kilnhq/kiln/runtime/quickjs"
	"github.com/tetratelabs/wazero"
)

// jsEngineRetry is how long a failed engine start is reported before the
// next call tries again (the registry may be back, or the file copied in).
const jsEngineRetry = 30 * time.Second

// jsEngineTimeout bounds one engine start, the npm fetch included.
const jsEngineTimeout = 2 * time.Minute

// jsEngine is the node's QuickJS engine, started on the first JavaScript
// call: a node that never runs JavaScript never fetches or compiles it.
// The start runs on its own goroutine, so a caller giving up does not
// abort it for the next.
type jsEngine struct {
	cacheDir string // compiled machine code across restarts
	logger   *slog.Logger
	base     context.Context // canceled by close, ending a running start
	cancel   context.CancelFunc

	mu       sync.Mutex
	rt       wazero.Runtime
	eng      *quickjs.Engine
	starting chan struct{} // closed when the running start ends
	err      error         // the last start's failure
	failedAt time.Time
	closed   bool
	wg       sync.WaitGroup
}

func newJSEngine(cacheDir string, logger *slog.Logger) *jsEngine {
	base, cancel := context.WithCancel(context.Background())
	return &jsEngine{cacheDir: cacheDir, logger: logger, base: base, cancel: cancel}
}

// get returns the engine, starting it if needed.
func (j *jsEngine) get(ctx context.Context) (*quickjs.Engine, error) {
	j.mu.Lock()
	switch {
	case j.eng != nil:
		j.mu.Unlock()
		return j.eng, nil
	case j.closed:
		j.mu.Unlock()
		return nil, errors.New("node is stopping")
	case j.starting == nil && j.err != nil && time.Since(j.failedAt) < jsEngineRetry:
		err := j.err
		j.mu.Unlock()
		return nil, err
	case j.starting == nil:
		j.starting = make(chan struct{})
		j.wg.Add(1)
		go j.start(j.starting)
	}
	starting := j.starting
	j.mu.Unlock()
	select {
	case <-starting:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.eng != nil {
		return j.eng, nil
	}
	return nil, j.err
}

func (j *jsEngine) start(done chan struct{}) {
	defer j.wg.Done()
	ctx, cancel := context.WithTimeout(j.base, jsEngineTimeout)
	defer cancel()
	started := time.Now()
	rt, eng, err := newQuickJS(ctx, j.cacheDir, j.logger)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.starting = nil
	close(done)
	if err != nil {
		j.err, j.failedAt = err, time.Now()
		j.logger.Error("starting the JavaScript engine", "err", err)
		return
	}
	j.rt, j.eng, j.err = rt, eng, nil
	j.logger.Info("JavaScript engine ready", "took", time.Since(started).Round(time.Millisecond), "quickjs", quickjs.EngineVersion)
}

// newQuickJS compiles the engine in a wazero runtime of its own: QuickJS
// needs the compiler without WithCloseOnContextDone.
func newQuickJS(ctx context.Context, cacheDir string, logger *slog.Logger) (wazero.Runtime, *quickjs.Engine, error) {
	cfg := wazero.NewRuntimeConfigCompiler()
	if cacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cacheDir)
		if err != nil {
			return nil, nil, fmt.Errorf("opening compilation cache: %w", err)
		}
		cfg = cfg.WithCompilationCache(cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, cfg)
	eng, err := quickjs.NewEngine(ctx, rt, quickjs.Config{Logger: logger})
	if err != nil {
		_ = rt.Close(context.Background())
		return nil, nil, err
	}
	return rt, eng, nil
}

// close ends a running start and releases the engine. Workers made from
// it must be closed first.
func (j *jsEngine) close() {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	j.cancel()
	j.wg.Wait()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.eng != nil {
		_ = j.eng.Close(context.Background())
		_ = j.rt.Close(context.Background())
		j.eng, j.rt = nil, nil
	}
}
