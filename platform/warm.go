package platform

import (
	"context"
	"sync"
	"time"
)

// Preparer is a Runner that can make a deployment ready before its first
// call: fetch and compile its artifact, or load a JavaScript bundle.
type Preparer interface {
	Prepare(ctx context.Context, t RunTarget) error
}

// warmTimeout bounds one warm-up; a request arriving meanwhile waits for
// the same compile rather than starting another.
const warmTimeout = 2 * time.Minute

// background tracks warm-ups so Close can stop them.
type background struct {
	mu     sync.Mutex
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
	closed bool
}

// warm prepares a function's active deployment on this node, so the first
// request after a deploy, a rollback or a change of settings does not wait
// for compilation. A function that is disabled or has no deployment needs
// nothing.
func (p *Platform) warm(ctx context.Context, projectID, functionID string) error {
	pr, ok := p.cfg.Runner.(Preparer)
	if !ok {
		return nil
	}
	e, err := p.invocable(ctx, projectID, functionID)
	if err != nil {
		return err
	}
	if !e.fn.Enabled || e.fn.DeploymentID == "" {
		return nil
	}
	return pr.Prepare(ctx, p.runTarget(projectID, e))
}

// warmLater runs warm in the background; failures are logged (the first
// request will meet them again and report them).
func (p *Platform) warmLater(projectID, functionID string) {
	if _, ok := p.cfg.Runner.(Preparer); !ok {
		return
	}
	b := &p.bg
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	if b.ctx == nil {
		b.ctx, b.cancel = context.WithCancel(context.Background())
	}
	b.wg.Add(1)
	ctx := b.ctx
	b.mu.Unlock()
	go func() {
		defer b.wg.Done()
		ctx, cancel := context.WithTimeout(ctx, warmTimeout)
		defer cancel()
		if err := p.warm(ctx, projectID, functionID); err != nil && ctx.Err() == nil {
			p.logger.Warn("preparing a function", "project", projectID, "function", functionID, "err", err)
		}
	}()
}

// Close stops background work (warm-ups in progress) and waits for it.
// The Platform must not be used afterwards.
func (p *Platform) Close() {
	b := &p.bg
	b.mu.Lock()
	b.closed = true
	if b.cancel != nil {
		b.cancel()
	}
	b.mu.Unlock()
	b.wg.Wait()
}
