package node

import (
	"context"
	"errors"
	"fmt"
)

// ErrGatewayStopped means the HTTP server stopped without a Shutdown.
var ErrGatewayStopped = errors.New("gateway stopped unexpectedly")

// Shutdown stops accepting requests, drains those in flight (bounded by ctx
// and Config.ShutdownTimeout, whichever ends first), then stops NATS, the
// database pool and the managed Postgres: the reverse of the start order.
// Every part is stopped even when the drain times out; the timeout is then
// the returned error. Shutdown is idempotent: later calls wait for the first
// to finish (or for their own ctx) and return its result.
func (n *Node) Shutdown(ctx context.Context) error {
	if !n.shutdown.CompareAndSwap(false, true) {
		select {
		case <-n.done:
			return n.stopErr
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	n.stopCtx = ctx
	n.stopAll()
	return n.stopErr
}

// stopContext is the context the stopping parts may wait on: the one given
// to Shutdown, or none when a failed Start unwinds.
func (n *Node) stopContext() context.Context {
	if n.stopCtx != nil {
		return n.stopCtx
	}
	return context.Background()
}

func (n *Node) stopAll() {
	for i := len(n.stops) - 1; i >= 0; i-- {
		n.stops[i]()
	}
	n.stops = nil
	select {
	case <-n.done:
	default:
		close(n.done)
	}
}

// Wait blocks until the node has stopped. If the HTTP server fails on its
// own, Wait shuts the node down and returns the reason (wrapping
// ErrGatewayStopped); after a Shutdown it returns nil.
func (n *Node) Wait() error {
	select {
	case <-n.done:
		return nil
	case err := <-n.serveErr:
		if n.shutdown.Load() {
			<-n.done
			return nil
		}
		_ = n.Shutdown(context.Background())
		if err != nil {
			return fmt.Errorf("%w: %w", ErrGatewayStopped, err)
		}
		return ErrGatewayStopped
	}
}
