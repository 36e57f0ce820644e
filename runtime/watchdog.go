package runtime

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/kilnhq/kiln/runtime/hostfn"
)

// The deadline is enforced from the host side without
// WithCloseOnContextDone, which would cost 4–15× on every call: fuel ends
// runaway computation, and every host call that can wait (sleep, fetch,
// reading a request body) waits no longer than the deadline and then
// aborts the guest call. What remains is a host call blocked in a reader
// the engine does not own (a slow client's body): the watchdog closes it
// at the deadline. Closing the wasm module from the watchdog would not
// help — with no context checks compiled in, running code does not notice
// — and would free resources under a running call.

// watchdog releases an invocation's blocked host calls at its deadline or
// when its caller goes away.
type watchdog struct {
	timer   *time.Timer
	stopCtx func() bool
	once    sync.Once
	call    *hostfn.Call // may be nil
	closer  io.Closer    // may be nil
}

// watch arms a watchdog that, at the deadline or when ctx ends, marks call
// expired and closes closer (either may be nil). Stop it when the
// invocation ends.
func watch(ctx context.Context, deadline time.Time, call *hostfn.Call, closer io.Closer) *watchdog {
	w := &watchdog{call: call, closer: closer}
	if !deadline.IsZero() {
		w.timer = time.AfterFunc(time.Until(deadline), w.fire)
	}
	if ctx.Done() != nil {
		w.stopCtx = context.AfterFunc(ctx, w.fire)
	}
	return w
}

func (w *watchdog) fire() {
	w.once.Do(func() {
		if w.call != nil {
			w.call.Expire()
		}
		if w.closer != nil {
			w.closer.Close()
		}
	})
}

// stop disarms the watchdog; a fire already running completes first, so
// nothing is closed after stop returns.
func (w *watchdog) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
	if w.stopCtx != nil {
		w.stopCtx()
	}
	// Wait out a concurrent fire.
	w.once.Do(func() {})
}
