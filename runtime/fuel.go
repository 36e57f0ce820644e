package runtime

import "github.com/kilnhq/kiln/runtime/fuel"

// fuelGlobal is the exported global instrumented modules count fuel in.
const fuelGlobal = fuel.GlobalName

// instrument rewrites a module for fuel metering.
var instrument = fuel.Instrument
