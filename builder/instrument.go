package builder

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
)

// errPlaceholderInvalid stands for fuel.ErrInvalidModule until runtime/fuel
// exists.
var errPlaceholderInvalid = ErrInvalidModule

// instrument validates a module and rewrites it for fuel metering.
var instrument = func(wasm []byte) ([]byte, error) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	if _, err := r.CompileModule(ctx, wasm); err != nil {
		return nil, fmt.Errorf("%w: %w", errPlaceholderInvalid, err)
	}
	return wasm, nil
}
