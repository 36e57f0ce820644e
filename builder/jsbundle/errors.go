package jsbundle

import "errors"

// Sentinel errors, wrapped in a *diag.BuildError whose messages say what to
// fix.
var (
	// ErrNoEntry: no entry file was named and none of the usual ones
	// (src/index.ts, index.js, package.json "main", …) exists.
	ErrNoEntry = errors.New("no javascript entry point")
	// ErrBundle: esbuild rejected the sources (syntax or type-stripping
	// errors, unresolvable imports such as Node built-ins).
	ErrBundle = errors.New("bundling javascript failed")
)
