//go:build !kiln_embed_quickjs

package quickjs

// embeddedEngine is nil unless the binary is built with the
// kiln_embed_quickjs tag (see embed_on.go).
var embeddedEngine []byte

// EngineLicense is the embedded engine's license text; "" when the binary
// does not embed the engine.
func EngineLicense() string { return "" }
