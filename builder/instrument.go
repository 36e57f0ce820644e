package builder

import "github.com/kilnhq/kiln/runtime/fuel"

// instrument validates a module and rewrites it for fuel metering.
var instrument = fuel.Instrument
