//go:build kiln_embed_quickjs

package quickjs

import _ "embed"

// Built with -tags kiln_embed_quickjs, the binary carries the engine and its
// LICENSE; run `go generate ./runtime/quickjs` first to fetch them into
// engine/ (ignored by git).
//
//go:embed engine/emscripten-module.wasm
var embeddedEngine []byte

//go:embed engine/LICENSE
var embeddedLicense string

// EngineLicense is the license text of the embedded engine (MIT, for
// quickjs-emscripten and QuickJS-ng); a binary that embeds the engine must
// ship it.
func EngineLicense() string { return embeddedLicense }
