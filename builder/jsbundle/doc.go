// Package jsbundle turns a JavaScript or TypeScript project into the one ES
// module the QuickJS runtime loads: esbuild bundles the entry point with
// its imports and node_modules (JS, TS, JSX, TSX, JSON, text), for a
// neutral, browser-like platform, targeting ES2023, with a source map.
// Build errors come back as a *diag.BuildError whose messages carry
// file:line:column relative to the project root.
package jsbundle
