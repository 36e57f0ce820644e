package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kilnhq/kiln/builder/jsbundle"
	"github.com/kilnhq/kiln/runtime"
	"github.com/kilnhq/kiln/runtime/hostfn"
	"github.com/kilnhq/kiln/runtime/quickjs"
)

// Error kinds of JavaScript executions beside the runtime's (out_of_fuel,
// memory_limit, deadline, output_limit, input_limit, trap, invalid_module).
const (
	// KindJSError: the script threw, while loading or in its handler, or
	// its handler returned something that is not a Response.
	KindJSError = "js_error"
	// KindUnsettled: the handler's promise can never settle (nothing left
	// that could resolve it).
	KindUnsettled = "unsettled"
)

// ErrNoJSEngine: a JavaScript deployment was invoked on a runner without a
// QuickJS engine.
var ErrNoJSEngine = errors.New("this node runs no JavaScript")

// jsErrorKind names the kind of a QuickJS error for execution records.
func jsErrorKind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, quickjs.ErrOutOfFuel):
		return runtime.KindOutOfFuel
	case errors.Is(err, quickjs.ErrMemoryLimit):
		return runtime.KindMemoryLimit
	case errors.Is(err, quickjs.ErrDeadline), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return runtime.KindDeadline
	case errors.Is(err, quickjs.ErrOutputLimit):
		return runtime.KindOutputLimit
	case errors.Is(err, runtime.ErrInputLimit):
		return runtime.KindInputLimit
	case errors.Is(err, quickjs.ErrTrap):
		return runtime.KindTrap
	case errors.Is(err, quickjs.ErrNoHandler):
		return runtime.KindInvalidModule
	case errors.Is(err, quickjs.ErrUnsettled):
		return KindUnsettled
	case errors.Is(err, quickjs.ErrLoad), errors.Is(err, quickjs.ErrHandler):
		return KindJSError
	}
	return runtime.KindInternal
}

// loadFault reports whether a bundle failed to load because of itself, so
// that loading it again with the same variables and limits fails the same
// way.
func loadFault(err error) bool {
	return errors.Is(err, quickjs.ErrLoad) || errors.Is(err, quickjs.ErrNoHandler) ||
		errors.Is(err, quickjs.ErrOutOfFuel) || errors.Is(err, quickjs.ErrMemoryLimit)
}

// slowLoadRetry is how long a load that ran past the function's timeout
// is reported before it is tried again. Evaluating a module that loops at
// top level would otherwise burn a whole timeout of CPU on every call;
// a load that was merely slow on a busy node gets another chance.
const slowLoadRetry = time.Minute

// worker returns the QuickJS worker of t, loading the bundle on first use.
// A bundle that cannot load is an entry too: its fault is returned by
// every call until the deployment, its variables or its limits change.
func (r *EngineRunner) worker(ctx context.Context, t RunTarget) (*runnerEntry, error) {
	if r.JS == nil {
		return nil, ErrNoJSEngine
	}
	eng, err := r.JS(ctx)
	if err != nil {
		return nil, fmt.Errorf("starting the JavaScript engine: %w", err)
	}
	return r.entry(ctx, t, func() (*runnerEntry, error) {
		// The load is shared by every caller waiting for it: one caller
		// going away must not fail it for the others.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeoutOf(t))
		defer cancel()
		code, err := t.Load(lctx)
		if err != nil {
			return nil, fmt.Errorf("loading artifact: %w", err)
		}
		w, err := eng.Load(lctx, code, jsbundle.OutputName, quickjs.LoadOptions{Env: t.Env, MemoryPages: t.MemoryPages})
		switch {
		case err == nil:
			return &runnerEntry{worker: w}, nil
		case loadFault(err):
			return &runnerEntry{loadErr: err}, nil
		case errors.Is(err, quickjs.ErrDeadline) && lctx.Err() != nil:
			return &runnerEntry{loadErr: err, expires: time.Now().Add(slowLoadRetry)}, nil
		}
		return nil, err
	})
}

func timeoutOf(t RunTarget) time.Duration {
	if t.Timeout > 0 {
		return t.Timeout
	}
	return runtime.DefaultTimeout
}

// runJS serves one request with a JavaScript deployment under the same
// limits as a wasm guest: fuel (QuickJS's own instructions, counted by the
// same instrumentation), memory pages, the function's timeout, and caps on
// input, output and logs.
func (r *EngineRunner) runJS(ctx context.Context, t RunTarget, req RunRequest) (RunResult, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeoutOf(t))
	defer cancel()
	e, err := r.worker(ctx, t)
	if err != nil {
		if ctx.Err() != nil {
			// Waiting for the engine or the load took the whole timeout.
			return RunResult{Wall: time.Since(start), ErrorKind: runtime.KindDeadline,
				Errors: fmt.Sprintf("%v: %v", quickjs.ErrDeadline, err)}, nil
		}
		return RunResult{}, err
	}
	if e.loadErr != nil {
		return RunResult{Wall: time.Since(start), ErrorKind: jsErrorKind(e.loadErr), Errors: e.loadErr.Error()}, nil
	}
	if len(req.Body) > runtime.DefaultMaxInputBytes {
		err := fmt.Errorf("%w: the request body is %d bytes, over %d", runtime.ErrInputLimit, len(req.Body), runtime.DefaultMaxInputBytes)
		return RunResult{Wall: time.Since(start), ErrorKind: runtime.KindInputLimit, Errors: err.Error()}, nil
	}
	hreq, err := jsRequest(ctx, req)
	if err != nil {
		return RunResult{}, err
	}
	var egressBytes atomic.Int64
	inv := quickjs.Invocation{Fuel: t.Fuel, MemoryPages: t.MemoryPages,
		OutputLimit: runtime.DefaultMaxOutputBytes, LogLimit: runtime.DefaultMaxLogBytes}
	if inv.Fuel == 0 {
		inv.Fuel = quickjs.DefaultFuel
	}
	if r.Egress != nil {
		inv.Fetch = jsFetch(r.Egress, &egressBytes)
	}
	resp, stats, err := e.worker.Fetch(ctx, hreq, inv)
	out := RunResult{Fuel: stats.Fuel, PeakMemory: stats.PeakMemory, Wall: time.Since(start), Egress: egressBytes.Load()}
	var logs, errs strings.Builder
	for _, l := range stats.Logs {
		// Appwrite keeps error() apart from log(); console.error is the same.
		if l.Level == "error" {
			fmt.Fprintf(&errs, "%s\n", l.Message)
		} else {
			fmt.Fprintf(&logs, "%s\n", l.Message)
		}
	}
	if stats.LogsTruncated {
		logs.WriteString("[logs truncated]\n")
	}
	if err != nil {
		errs.WriteString(err.Error())
		out.ErrorKind = jsErrorKind(err)
	}
	out.Logs, out.Errors = logs.String(), errs.String()
	if resp != nil {
		out.Status, out.Header, out.Body = resp.Status, resp.Header, resp.Body
	}
	return out, nil
}

// jsRequest makes the request a script sees: an absolute URL on the
// host the caller used.
func jsRequest(ctx context.Context, req RunRequest) (*http.Request, error) {
	host := req.Host
	if host == "" {
		host = "localhost"
	}
	u := req.URL
	if !strings.HasPrefix(u, "/") {
		u = "/" + u
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	hreq, err := http.NewRequestWithContext(ctx, method, "http://"+host+u, bytes.NewReader(req.Body))
	if err != nil {
		return nil, fmt.Errorf("making the request for javascript: %w", err)
	}
	hreq.Header = req.Header.Clone()
	if hreq.Header == nil {
		hreq.Header = http.Header{}
	}
	hreq.RemoteAddr = req.RemoteAddr
	return hreq, nil
}

// jsFetch carries a script's fetch() calls through the node's egress
// policy, counting the bytes they move.
func jsFetch(eg hostfn.Egress, moved *atomic.Int64) quickjs.FetchFunc {
	return func(ctx context.Context, req *http.Request) (*quickjs.FetchResponse, error) {
		resp, err := eg.Do(ctx, req)
		if resp != nil {
			moved.Add(resp.BytesSent + resp.BytesReceived)
		}
		if err != nil {
			return nil, err
		}
		return &quickjs.FetchResponse{Status: resp.Status, Header: resp.Header, Body: resp.Body}, nil
	}
}
