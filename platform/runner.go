package platform

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kilnhq/kiln/builder"
	"github.com/kilnhq/kiln/runtime"
	"github.com/kilnhq/kiln/runtime/hostfn"
	"github.com/kilnhq/kiln/runtime/quickjs"
	"golang.org/x/sync/singleflight"
)

// EngineRunner runs deployments on the node's runtime engine, and
// JavaScript deployments on its QuickJS engine. It keeps one runtime
// deployment (with its instance pool) or one QuickJS worker per Kiln
// deployment, made on first use and closed after IdleTimeout without calls.
type EngineRunner struct {
	Engine *runtime.Engine
	// JS returns the node's QuickJS engine; it is called on every
	// JavaScript invocation, so it must be cheap once the engine exists.
	// nil: JavaScript deployments fail with ErrNoJSEngine.
	JS func(ctx context.Context) (*quickjs.Engine, error)
	// Egress is the guests' outbound HTTP; nil gives them none.
	Egress hostfn.Egress
	// IdleTimeout closes deployments not called for this long. Default 10 min.
	IdleTimeout time.Duration

	mu    sync.Mutex
	deps  map[string]*runnerEntry
	group singleflight.Group
}

// runnerEntry is one Kiln deployment made ready to run: a runtime
// deployment, or a QuickJS worker, or the fault of a bundle that cannot
// load (kept so that every call does not evaluate it again).
type runnerEntry struct {
	dep      *runtime.Deployment
	worker   *quickjs.Worker
	loadErr  error
	fp       string // what the deployment was made from; a change makes a new one
	lastUsed time.Time
	// expires, if set, is when the entry is made again even if nothing
	// changed (a load that ran out of time may succeed on a calmer node).
	expires time.Time
}

func (e *runnerEntry) close() {
	if e.dep != nil {
		e.dep.Close()
	}
	if e.worker != nil {
		e.worker.Close()
	}
}

// fingerprint identifies everything a runtime deployment is made from:
// the artifact, the variables and the limits. Changing a variable or a
// limit therefore takes effect on the next call.
func fingerprint(t RunTarget) string {
	sum := t.EnvSum
	if sum == "" {
		sum = envSum(t.Env)
	}
	return fmt.Sprintf("%s|%s|%d|%d|%s", sum, t.SHA256, t.Fuel, t.MemoryPages, t.Timeout)
}

// envSum is a digest of a set of variables, independent of map order.
func envSum(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\x00", k, env[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Run implements Runner.
func (r *EngineRunner) Run(ctx context.Context, t RunTarget, req RunRequest) (RunResult, error) {
	if t.ABI == builder.ABIJS {
		return r.runJS(ctx, t, req)
	}
	dep, err := r.deployment(ctx, t)
	if err != nil {
		return RunResult{}, err
	}
	res, err := dep.Invoke(ctx, &runtime.Request{Method: req.Method, URL: req.URL, Host: req.Host, Header: req.Header,
		Body: bytes.NewReader(req.Body), RemoteAddr: req.RemoteAddr})
	if res == nil {
		return RunResult{}, err
	}
	out := RunResult{Status: res.Status, Header: res.Header, Body: res.Body, Fuel: res.Fuel, Wall: res.Wall,
		PeakMemory: res.PeakMemory, Egress: res.EgressSent + res.EgressReceived, ErrorKind: res.ErrorKind}
	var logs strings.Builder
	for _, l := range res.Logs {
		fmt.Fprintf(&logs, "%s\n", l.Message)
	}
	out.Logs = logs.String()
	if err != nil {
		out.Errors = err.Error()
		if out.ErrorKind == "" {
			out.ErrorKind = runtime.ErrorKind(err)
		}
	}
	return out, nil
}

// Prepare implements Preparer: the deployment is compiled and deployed (or
// the JavaScript bundle loaded) as its first call would, and kept.
func (r *EngineRunner) Prepare(ctx context.Context, t RunTarget) error {
	if t.ABI == builder.ABIJS {
		_, err := r.worker(ctx, t)
		return err
	}
	_, err := r.deployment(ctx, t)
	return err
}

func (r *EngineRunner) deployment(ctx context.Context, t RunTarget) (*runtime.Deployment, error) {
	e, err := r.entry(ctx, t, func() (*runnerEntry, error) {
		wasm, err := t.Load(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading artifact: %w", err)
		}
		m, err := r.Engine.CompileInstrumented(ctx, wasm)
		if err != nil {
			return nil, err
		}
		dep, err := r.Engine.Deploy(t.Key, m, runtime.DeploymentConfig{Env: t.Env, Egress: r.Egress,
			Limits: runtime.Limits{Fuel: t.Fuel, MemoryPages: t.MemoryPages, Timeout: t.Timeout}})
		if err != nil {
			return nil, err
		}
		return &runnerEntry{dep: dep}, nil
	})
	if err != nil {
		return nil, err
	}
	return e.dep, nil
}

// entry returns the cached entry of t.Key if it was made from the same
// fingerprint, else makes one with make (once, however many callers wait)
// and replaces the old one.
func (r *EngineRunner) entry(ctx context.Context, t RunTarget, make func() (*runnerEntry, error)) (*runnerEntry, error) {
	r.mu.Lock()
	if r.deps == nil {
		r.deps = map[string]*runnerEntry{}
	}
	fp := fingerprint(t)
	if e, ok := r.deps[t.Key]; ok && e.fp == fp && (e.expires.IsZero() || time.Now().Before(e.expires)) {
		e.lastUsed = time.Now()
		r.mu.Unlock()
		return e, nil
	}
	r.mu.Unlock()
	v, err, _ := r.group.Do(t.Key+"|"+fp, func() (any, error) {
		e, err := make()
		if err != nil {
			return nil, err
		}
		e.fp, e.lastUsed = fp, time.Now()
		r.mu.Lock()
		if r.deps == nil {
			// Closed meanwhile.
			r.mu.Unlock()
			e.close()
			return nil, runtime.ErrClosed
		}
		if old, ok := r.deps[t.Key]; ok {
			go old.close()
		}
		r.deps[t.Key] = e
		r.evictLocked()
		r.mu.Unlock()
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*runnerEntry), nil
}

// evictLocked closes deployments idle longer than IdleTimeout.
func (r *EngineRunner) evictLocked() {
	idle := r.IdleTimeout
	if idle == 0 {
		idle = 10 * time.Minute
	}
	for k, e := range r.deps {
		if time.Since(e.lastUsed) > idle {
			delete(r.deps, k)
			go e.close()
		}
	}
}

// Forget closes the runtime deployment of a Kiln deployment, e.g. when its
// variables change so the next call starts instances with the new ones.
func (r *EngineRunner) Forget(key string) {
	r.mu.Lock()
	e, ok := r.deps[key]
	delete(r.deps, key)
	r.mu.Unlock()
	if ok {
		e.close()
	}
}

// Close closes every deployment.
func (r *EngineRunner) Close() {
	r.mu.Lock()
	deps := r.deps
	r.deps = nil
	r.mu.Unlock()
	for _, e := range deps {
		e.close()
	}
}
