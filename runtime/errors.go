package runtime

import (
	"errors"
	"strings"
)

// Errors an invocation or a compile ends with. Invoke wraps them with
// detail; test with errors.Is, or name them with ErrorKind.
var (
	// ErrOutOfFuel: the guest used its whole fuel budget (Limits.Fuel).
	ErrOutOfFuel = errors.New("out of fuel")
	// ErrMemoryLimit: the guest needed more linear memory than
	// Limits.MemoryPages.
	ErrMemoryLimit = errors.New("memory limit reached")
	// ErrDeadline: the invocation's deadline (Limits.Timeout or the caller's
	// context) passed, or its caller went away, before it finished.
	ErrDeadline = errors.New("deadline exceeded")
	// ErrOutputLimit: the guest wrote a response larger than
	// Limits.MaxOutputBytes.
	ErrOutputLimit = errors.New("output limit reached")
	// ErrInputLimit: the request body was larger than Limits.MaxInputBytes.
	ErrInputLimit = errors.New("input limit reached")
	// ErrInvalidModule: the bytes are not a valid WebAssembly module Kiln
	// can run (malformed, truncated, refused by fuel instrumentation, or
	// missing the exports of its ABI).
	ErrInvalidModule = errors.New("invalid module")
	// ErrUnknownImport: the module imports something Kiln does not provide;
	// the wrapping error names it. It is also an ErrInvalidModule.
	ErrUnknownImport = unknownImportError{}
	// ErrBadResponse: the guest's output is not a response of its ABI (a
	// WAGI program that wrote no CGI header block, a malformed frame).
	ErrBadResponse = errors.New("bad response from guest")
	// ErrClosed: the engine or deployment is closed.
	ErrClosed = errors.New("closed")
)

type unknownImportError struct{}

func (unknownImportError) Error() string        { return "unknown import" }
func (unknownImportError) Is(target error) bool { return target == ErrInvalidModule }

// TrapError is a guest that failed on its own: a WebAssembly trap
// (unreachable, out-of-bounds access, stack exhaustion, …), a panic the Go
// SDK caught, or a program exiting with a non-zero status.
type TrapError struct {
	// Message is the trap or panic message ("wasm error: unreachable",
	// "panic: boom", "exit status 3").
	Message string
	// Stack is the guest's stack at the failure, innermost first: wasm
	// frames for traps, goroutine frames for Go panics. May be empty.
	Stack []string
	// ExitCode is the status a program exited with; -1 for a trap.
	ExitCode int
}

func (e *TrapError) Error() string {
	if len(e.Stack) == 0 {
		return "guest trapped: " + e.Message
	}
	return "guest trapped: " + e.Message + "\n\t" + strings.Join(e.Stack, "\n\t")
}

// Error kinds returned by ErrorKind.
const (
	KindOutOfFuel     = "out_of_fuel"
	KindMemoryLimit   = "memory_limit"
	KindDeadline      = "deadline"
	KindOutputLimit   = "output_limit"
	KindInputLimit    = "input_limit"
	KindTrap          = "trap"
	KindInvalidModule = "invalid_module"
	KindUnknownImport = "unknown_import"
	KindBadResponse   = "bad_response"
	KindClosed        = "closed"
	KindInternal      = "internal"
)

// ErrorKind names the kind of an error from this package in snake case,
// for execution records and API responses: "" for nil, KindInternal for an
// error of no known kind.
func ErrorKind(err error) string {
	var trap *TrapError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrOutOfFuel):
		return KindOutOfFuel
	case errors.Is(err, ErrMemoryLimit):
		return KindMemoryLimit
	case errors.Is(err, ErrDeadline):
		return KindDeadline
	case errors.Is(err, ErrOutputLimit):
		return KindOutputLimit
	case errors.Is(err, ErrInputLimit):
		return KindInputLimit
	case errors.As(err, &trap):
		return KindTrap
	case errors.Is(err, ErrUnknownImport):
		return KindUnknownImport
	case errors.Is(err, ErrInvalidModule):
		return KindInvalidModule
	case errors.Is(err, ErrBadResponse):
		return KindBadResponse
	case errors.Is(err, ErrClosed):
		return KindClosed
	}
	return KindInternal
}
