package runtime

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kilnhq/kiln/runtime/hostfn"
	"github.com/tetratelabs/wazero/sys"
)

// errInputLimit is panicked by a WAGI guest's stdin past MaxInputBytes.
var errInputLimit = errors.New("input limit reached in host call")

// failure turns the error of a guest call into the engine's typed error.
// The order matters: a guest that ran out of memory usually fails with a
// trap or exit of its own, so the allocator's account comes before the
// trap; an abort from a host function names its own reason.
func (in *instance) failure(err error, left int64, lim Limits) error {
	var exit *sys.ExitError
	switch {
	case errors.Is(err, hostfn.ErrDeadline):
		return fmt.Errorf("%w: the guest was stopped at the deadline", ErrDeadline)
	case errors.Is(err, hostfn.ErrOutputLimit):
		return fmt.Errorf("%w: the guest wrote more than %d bytes", ErrOutputLimit, lim.MaxOutputBytes)
	case errors.Is(err, errInputLimit):
		return fmt.Errorf("%w: the request body is over %d bytes", ErrInputLimit, lim.MaxInputBytes)
	case left < 0 || errors.Is(err, hostfn.ErrOutOfFuel):
		return fmt.Errorf("%w: the budget of %d was spent", ErrOutOfFuel, lim.Fuel)
	case in.mem.refused:
		return fmt.Errorf("%w: the guest needed more than %d pages (%d MiB): %s", ErrMemoryLimit, lim.MemoryPages, lim.MemoryPages/16, firstLine(in.trap(err).Message))
	case errors.As(err, &exit):
		return in.trap(err)
	}
	return in.trap(err)
}

// trap describes a guest failure: a wasm trap with wazero's stack trace,
// or an exit, explained by the panic a Go guest printed to stderr.
func (in *instance) trap(err error) *TrapError {
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		t := &TrapError{Message: fmt.Sprintf("exit status %d", exit.ExitCode()), ExitCode: int(exit.ExitCode())}
		if msg, stack, ok := goPanic(in.logs.Lines()); ok {
			t.Message, t.Stack = msg, stack
		}
		return t
	}
	msg, stack := parseWasmError(err.Error())
	return &TrapError{Message: msg, Stack: stack, ExitCode: -1}
}

// parseWasmError splits wazero's "message\nwasm stack trace:\n\tframe…"
// into the message and the frames.
func parseWasmError(s string) (string, []string) {
	msg, rest, ok := strings.Cut(s, "\nwasm stack trace:\n")
	if !ok {
		return s, nil
	}
	msg = strings.TrimSuffix(msg, " (recovered by wazero)")
	rest, _, _ = strings.Cut(rest, "\n\n") // Go stack of a host panic follows
	var stack []string
	for _, l := range strings.Split(rest, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			stack = append(stack, l)
		}
	}
	return msg, stack
}

// maxStack bounds the frames kept from a Go panic.
const maxStack = 64

// goPanic finds the panic or fatal error a Go program printed to stderr
// before exiting, with the goroutine trace after it.
func goPanic(lines []LogLine) (string, []string, bool) {
	for i, l := range lines {
		if l.Stream != hostfn.StreamStderr {
			continue
		}
		if !strings.HasPrefix(l.Message, "panic: ") && !strings.HasPrefix(l.Message, "fatal error: ") {
			continue
		}
		var stack []string
		for _, s := range lines[i+1:] {
			if s.Stream != hostfn.StreamStderr {
				continue
			}
			if m := strings.TrimSpace(s.Message); m != "" && len(stack) < maxStack {
				stack = append(stack, m)
			}
		}
		return l.Message, stack, true
	}
	return "", nil, false
}

// panicFrame splits the body of a response frame with FlagPanic:
// "panic: value\n\nstack".
func panicFrame(body []byte) *TrapError {
	msg, rest, _ := strings.Cut(string(body), "\n\n")
	var stack []string
	for _, l := range strings.Split(rest, "\n") {
		if l = strings.TrimSpace(l); l != "" && len(stack) < maxStack {
			stack = append(stack, l)
		}
	}
	return &TrapError{Message: msg, Stack: stack, ExitCode: -1}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
