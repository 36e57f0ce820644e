package quickjs

import (
	"errors"
	"strings"
)

// Sentinel errors. Invocation limits map one to one onto the runtime's
// typed errors; script faults come as a *JSError wrapped with ErrLoad or
// ErrHandler, so callers can branch with errors.Is and read the JavaScript
// details with errors.As.
var (
	// ErrEngineUnavailable: the engine wasm is not cached and could not be
	// fetched (offline, registry error). Run once with network access or
	// set KILN_QUICKJS_WASM to a copy of the file.
	ErrEngineUnavailable = errors.New("quickjs engine not available")
	// ErrEngineMismatch: the engine bytes (or the package's ABI table) are
	// not the pinned ones.
	ErrEngineMismatch = errors.New("quickjs engine does not match the pinned build")

	// ErrLoad: evaluating the bundle failed (syntax error, top-level throw).
	ErrLoad = errors.New("loading javascript module")
	// ErrNoHandler: the bundle's default export is neither a function
	// (Appwrite style) nor an object with a fetch method (Workers style).
	ErrNoHandler = errors.New("module has no usable default export")
	// ErrHandler: the handler threw, rejected, or returned something that
	// is not a Response.
	ErrHandler = errors.New("javascript handler failed")
	// ErrUnsettled: the handler's promise is still pending with no timer
	// and no outbound fetch left that could settle it.
	ErrUnsettled = errors.New("handler promise can never settle")

	// ErrOutOfFuel: the invocation used its whole fuel budget.
	ErrOutOfFuel = errors.New("out of fuel")
	// ErrMemoryLimit: the invocation needed more linear memory than its cap.
	ErrMemoryLimit = errors.New("memory limit exceeded")
	// ErrDeadline: the context's deadline passed before the handler settled.
	ErrDeadline = errors.New("deadline exceeded")
	// ErrOutputLimit: the response body exceeded Invocation.OutputLimit.
	ErrOutputLimit = errors.New("output limit exceeded")
	// ErrTrap: the engine trapped for a reason other than fuel (a bug in
	// the engine or the host); the instance is discarded.
	ErrTrap = errors.New("quickjs engine trapped")
)

// JSError is a JavaScript exception seen from Go.
type JSError struct {
	// Name is the error's constructor name ("TypeError", "SyntaxError", …)
	// or empty for thrown non-errors.
	Name string
	// Message is the error's message, or the thrown value as a string.
	Message string
	// Stack is QuickJS's stack trace: lines of "    at fn (file:line:col)".
	Stack string
}

func (e *JSError) Error() string {
	var b strings.Builder
	if e.Name != "" {
		b.WriteString(e.Name)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if s := strings.TrimRight(e.Stack, "\n"); s != "" {
		b.WriteString("\n")
		b.WriteString(s)
	}
	return b.String()
}

// scriptError is ErrLoad or ErrHandler wrapping a script's fault. Its text
// is formatted when read, not when wrapped, so it shows the stack after the
// source map has rewritten it.
type scriptError struct{ kind, err error }

func scriptErr(kind, err error) error { return &scriptError{kind: kind, err: err} }

func (e *scriptError) Error() string   { return e.kind.Error() + ": " + e.err.Error() }
func (e *scriptError) Unwrap() []error { return []error{e.kind, e.err} }
