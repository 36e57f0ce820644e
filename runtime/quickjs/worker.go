package quickjs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
)

// LoadOptions configures a Worker.
type LoadOptions struct {
	// Env holds the function's variables: the Workers-style env argument
	// and process.env.
	Env map[string]string
	// Fuel is the budget for evaluating the bundle. Default
	// DefaultLoadFuel.
	Fuel uint64
	// MemoryPages caps linear memory in 64 KiB pages while loading and is
	// the default cap of every invocation. Default DefaultMemoryPages.
	MemoryPages uint32
	// MaxInstances bounds the requests the Worker runs at once; more wait
	// for an instance (until their context ends). Default
	// DefaultMaxInstances.
	MaxInstances int
	// MaxIdle is how many restored instances the Worker keeps ready for
	// the next requests. Default MaxInstances, so a steady load reuses
	// instances instead of making (and collecting) new ones.
	MaxIdle int
}

// DefaultMaxInstances is the default LoadOptions.MaxInstances: enough to
// keep every core busy while requests wait on I/O, few enough that a burst
// queues instead of creating an instance (megabytes of linear memory) per
// connection.
var DefaultMaxInstances = min(16, 4*runtime.GOMAXPROCS(0))

// Worker is a loaded bundle: a snapshot of the engine after evaluating the
// module, from which every request starts. It is safe for concurrent use;
// each concurrent request gets its own instance.
type Worker struct {
	eng      *Engine
	snap     *snapshot
	name     string
	srcMap   *sourceMap
	style    string
	warm     bool
	memPages uint32
	idle     chan *instance
	slots    chan struct{} // one per running request, up to MaxInstances
	loadStat Stats

	mu     sync.Mutex
	closed bool
}

// Load evaluates bundle (one ES module; name is its file name in stack
// traces) on a fresh instance of the base snapshot, checks its default
// export, and snapshots the result. Script errors wrap ErrLoad or
// ErrNoHandler and carry a *JSError. When the bundle carries an inline
// source map (builder/jsbundle's default), stack traces of this Worker's
// errors name the original files and lines instead of the bundle's.
func (e *Engine) Load(ctx context.Context, bundle []byte, name string, opts LoadOptions) (w *Worker, err error) {
	if opts.MemoryPages == 0 {
		opts.MemoryPages = DefaultMemoryPages
	}
	if opts.Fuel == 0 {
		opts.Fuel = DefaultLoadFuel
	}
	if opts.MaxInstances <= 0 {
		opts.MaxInstances = DefaultMaxInstances
	}
	if opts.MaxIdle <= 0 || opts.MaxIdle > opts.MaxInstances {
		opts.MaxIdle = opts.MaxInstances
	}
	in, err := e.newInstance(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if w == nil {
			in.close()
		}
	}()
	if _, err := in.restore(e.base, true); err != nil {
		return nil, err
	}
	in.memCap = opts.MemoryPages
	in.inv = newInvocation(ctx, nil)
	defer func() { in.inv = nil }()
	stop := in.watch(ctx)
	defer stop()
	in.setFuel(opts.Fuel)

	srcMap, _ := parseSourceMapIfAny(bundle)
	style, err := in.load(bundle, name, opts.Env)
	srcMap.mapError(err, name)
	stats := in.inv.stats()
	stats.Fuel = fuelUsed(opts.Fuel, in.fuelLeft())
	stats.PeakMemory = uint64(in.mem.Size())
	in.inv.finish()
	if err != nil {
		return nil, in.classify(err)
	}
	style, warm := strings.CutSuffix(style, "+warm")
	w = &Worker{
		eng:      e,
		snap:     in.takeSnapshot(),
		name:     name,
		srcMap:   srcMap,
		style:    style,
		warm:     warm,
		memPages: opts.MemoryPages,
		idle:     make(chan *instance, opts.MaxIdle),
		slots:    make(chan struct{}, opts.MaxInstances),
		loadStat: stats,
	}
	in.inv = nil
	w.idle <- in
	return w, nil
}

func (in *instance) load(bundle []byte, name string, env map[string]string) (style string, err error) {
	defer guard(&err)
	if env == nil {
		env = map[string]string{}
	}
	cfg, _ := json.Marshal(map[string]any{"env": env})
	c := in.newString(string(cfg))
	err = in.callInternal(jsSetup, c)
	in.freeValue(c)
	if err != nil {
		return "", fmt.Errorf("setting up worker: %w", err)
	}
	ns, err := in.eval(string(bundle), name, true)
	if err != nil {
		return "", scriptErr(ErrLoad, err)
	}
	p, err := in.callValue(in.base.fns[jsSetHandler], ns)
	in.freeValue(ns)
	if err != nil {
		return "", scriptErr(ErrLoad, err)
	}
	defer in.freeValue(p)
	st, err := in.await(p)
	if err != nil {
		return "", scriptErr(ErrLoad, err)
	}
	if st == promiseRejected {
		return "", scriptErr(ErrLoad, in.promiseError(p))
	}
	style = in.promiseString(p)
	if msg, ok := strings.CutPrefix(style, "none:"); ok {
		return "", fmt.Errorf("%w: %s", ErrNoHandler, msg)
	}
	return style, nil
}

// Style is "workers" or "appwrite": the handler shape the default export
// has.
func (w *Worker) Style() string { return w.style }

// Warm reports that the module opted into warm reuse with
// `export const config = { warm: true }`: an instance that served a
// request successfully serves the next one as it was left (globals,
// caches, pending timers), without going back to the snapshot. A request
// that fails still sends its instance back to the snapshot.
func (w *Worker) Warm() bool { return w.warm }

// LoadStats is what evaluating the bundle used, including its console
// output.
func (w *Worker) LoadStats() Stats { return w.loadStat }

// SnapshotSize is the memory in bytes the Worker's snapshot holds.
func (w *Worker) SnapshotSize() int { return w.snap.bytes() }

// Close releases the Worker's idle instances. Requests still running finish
// normally and their instances are closed.
func (w *Worker) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	for {
		select {
		case in := <-w.idle:
			in.close()
		default:
			return
		}
	}
}

// acquire takes a running slot, then an idle instance or a new one made
// from the snapshot; release gives both back.
func (w *Worker) acquire(ctx context.Context) (*instance, error) {
	select {
	case w.slots <- struct{}{}:
	default:
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("%w: waiting for a free instance", ErrDeadline)
			}
			return nil, ctx.Err()
		}
	}
	select {
	case in := <-w.idle:
		return in, nil
	default:
	}
	in, err := w.eng.newInstance(ctx)
	if err != nil {
		<-w.slots
		return nil, err
	}
	if _, err := in.restore(w.snap, true); err != nil {
		in.close()
		<-w.slots
		return nil, err
	}
	return in, nil
}

// release restores in to the snapshot and keeps it for the next request,
// or closes it when it trapped, grew, or there are enough idle instances.
func (w *Worker) release(in *instance, served bool) {
	defer func() { <-w.slots }()
	if in.broken {
		in.close()
		return
	}
	if w.warm && served {
		in.resetFlags()
	} else if ok, err := in.restore(w.snap, false); err != nil || !ok {
		in.close()
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		in.close()
		return
	}
	select {
	case w.idle <- in:
	default:
		in.close()
	}
}

// Fetch runs the Worker's handler for r, starting from the Worker's
// snapshot. r.Body is read whole: callers bound it (http.MaxBytesReader).
// A relative r.URL is made absolute from r.Host (https when r.TLS is set). The returned Stats are valid even when err is not nil. Errors:
// ErrOutOfFuel, ErrMemoryLimit, ErrDeadline (ctx's deadline),
// ErrOutputLimit, ErrUnsettled, ErrHandler wrapping a *JSError, ErrTrap, or
// context.Canceled.
func (w *Worker) Fetch(ctx context.Context, r *http.Request, inv Invocation) (*Response, Stats, error) {
	in, err := w.acquire(ctx)
	if err != nil {
		return nil, Stats{}, err
	}
	served := false
	defer func() { w.release(in, served) }()
	if inv.Fuel == 0 {
		inv.Fuel = DefaultFuel
	}
	iv := newInvocation(ctx, inv.Fetch)
	if inv.OutputLimit > 0 {
		iv.outputLimit = inv.OutputLimit
	}
	if inv.LogLimit > 0 {
		iv.logLimit = inv.LogLimit
	}
	if inv.FetchConcurrency > 0 {
		iv.maxRun = inv.FetchConcurrency
	}
	if err := iv.setRequest(r); err != nil {
		return nil, Stats{}, err
	}
	in.inv = iv
	in.memCap = w.memPages
	if inv.MemoryPages != 0 {
		in.memCap = inv.MemoryPages
	}
	stop := in.watch(ctx)
	in.setFuel(inv.Fuel)

	err = in.serve()
	stop()
	iv.finish()
	stats := iv.stats()
	if in.fuel != nil {
		stats.Fuel = fuelUsed(inv.Fuel, in.fuelLeft())
	}
	stats.PeakMemory = uint64(in.mem.Size())
	err = in.classify(err)
	w.srcMap.mapError(err, w.name)
	in.inv = nil
	if err != nil {
		return nil, stats, err
	}
	served = true
	return &Response{Status: iv.status, Header: iv.header, Body: iv.body.Bytes()}, stats, nil
}

// serve dispatches the request and runs the loop until the response is
// sent, then until every ctx.waitUntil promise settles.
func (in *instance) serve() (err error) {
	defer guard(&err)
	p, err := in.callValue(in.base.fns[jsDispatch])
	if err != nil {
		return scriptErr(ErrHandler, err)
	}
	defer in.freeValue(p)
	st, err := in.await(p)
	if err != nil {
		return err
	}
	if st == promiseRejected {
		return scriptErr(ErrHandler, in.promiseError(p))
	}
	if !in.inv.responded {
		return fmt.Errorf("%w: handler finished without a response", ErrHandler)
	}
	wu, err := in.callValue(in.base.fns[jsWaitUntil])
	if err != nil {
		return nil
	}
	defer in.freeValue(wu)
	if _, err := in.await(wu); err != nil {
		if l := in.limitErr(); l != nil && in.outputErr == nil {
			in.inv.addLog("error", "waitUntil: "+l.Error())
			return nil
		}
		in.inv.addLog("error", "waitUntil: "+err.Error())
	}
	return nil
}
