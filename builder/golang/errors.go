package golang

import "errors"

// Sentinel errors, wrapped in a *diag.BuildError whose messages tell the
// user what happened.
var (
	// ErrCompile: the go command rejected the source (syntax, types,
	// go.mod, missing dependencies).
	ErrCompile = errors.New("go build failed")
	// ErrTimeout: the build ran past Config.Timeout and was killed.
	ErrTimeout = errors.New("go build timed out")
	// ErrTooLarge: the compiled module exceeds Config.MaxOutputBytes.
	ErrTooLarge = errors.New("compiled module too large")
	// ErrBadSource: the source folder cannot be built as given (a package
	// path outside it, a symlink leaving it).
	ErrBadSource = errors.New("unusable Go source")
)
