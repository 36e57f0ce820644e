package builder

import (
	"errors"

	"github.com/kilnhq/kiln/builder/diag"
	"github.com/kilnhq/kiln/builder/golang"
)

// Message is a diagnostic with a location relative to the source root.
type Message = diag.Message

// BuildError is a build that failed because of the deployment; its
// Messages say what to fix and it wraps one of the sentinels below.
type BuildError = diag.BuildError

// Sentinel errors. A deployment's own faults come wrapped in a *BuildError;
// callers branch on them with errors.Is.
var (
	// ErrUnknownRuntime: Spec.Runtime names no runtime this builder knows.
	ErrUnknownRuntime = errors.New("unknown runtime")
	// ErrNoEntrypoint: a prebuilt deployment holds no .wasm file, or the
	// named entrypoint does not exist.
	ErrNoEntrypoint = errors.New("no wasm entrypoint")
	// ErrAmbiguousEntrypoint: several .wasm files and no Spec.Entrypoint.
	ErrAmbiguousEntrypoint = errors.New("several wasm files and no entrypoint")
	// ErrInvalidModule: the module is not valid WebAssembly.
	ErrInvalidModule = errors.New("invalid wasm module")
	// ErrUnsupportedModule: valid WebAssembly using something Kiln cannot
	// meter or run (see the message).
	ErrUnsupportedModule = errors.New("unsupported wasm module")
	// ErrABI: the module does not implement the contract of its runtime
	// (a Go build without the SDK's handler, a WASI program without
	// _start, an Extism plugin without functions).
	ErrABI = errors.New("module does not match its runtime's contract")
	// ErrTooLarge: the module exceeds Config.MaxArtifactBytes.
	ErrTooLarge = errors.New("artifact too large")
	// ErrNoToolchain: a Go build was asked of a node without a Go toolchain.
	ErrNoToolchain = errors.New("no Go toolchain on this node")

	// ErrCompile is the Go compiler rejecting the source.
	ErrCompile = golang.ErrCompile
	// ErrTimeout is a build stopped at Config.Timeout.
	ErrTimeout = golang.ErrTimeout
	// ErrBadSource is source that cannot be built as given (a package
	// outside the source folder, a symlink leaving it).
	ErrBadSource = golang.ErrBadSource
)
