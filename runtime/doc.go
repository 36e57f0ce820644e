// Package runtime runs Kiln's guests: WebAssembly modules compiled once per
// node with wazero in compiler mode, metered by fuel, capped in memory,
// output and time, and pooled per deployment.
//
// The surface is small: New makes an Engine (one per node); Compile turns
// wasm into a shared *Module; Deploy binds a module to its variables,
// egress and Limits as a *Deployment with its own instance pool; Invoke
// serves one Request and returns a Result with the response and what the
// invocation used (fuel, wall time, peak memory, bytes, logs), even when it
// fails with one of the typed errors in errors.go.
//
// Guests follow one of three contracts (ABI): the reactor ABI of the Go
// SDK (sdk/go; initialised once, many requests per instance), WAGI (any
// WASI command; a fresh instance per request, CGI over env, stdin and
// stdout) and Extism plugins.
//
// Isolation. Fuel is counted by instrumented code (runtime/fuel) and set
// and read around every guest call; host calls are charged by size.
// Memory is capped per instance by a wazero memory allocator (memory.go).
// The deadline is enforced at host calls (watchdog.go), never with
// WithCloseOnContextDone. An instance that trapped or hit a limit is
// closed, never reused; the engine and every other deployment carry on.
package runtime
