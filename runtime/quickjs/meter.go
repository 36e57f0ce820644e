package quickjs

// meterEngine rewrites the engine for fuel metering and returns the name of
// the exported mutable i64 fuel global. nil leaves the engine unmetered:
// Stats.Fuel stays 0 and Invocation.Fuel is not enforced.
var meterEngine func(wasm []byte) ([]byte, string, error)
