package quickjs

import "github.com/kilnhq/kiln/runtime/fuel"

// meterEngine rewrites the engine for fuel metering and returns the name of
// the exported mutable i64 fuel global. The engine is metered like every
// guest, so JavaScript is billed in the same unit. nil would leave the
// engine unmetered (Stats.Fuel 0, Invocation.Fuel not enforced).
var meterEngine = func(wasm []byte) ([]byte, string, error) {
	out, err := fuel.Instrument(wasm)
	return out, fuel.GlobalName, err
}
