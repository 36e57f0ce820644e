package runtime

import (
	"context"
	"fmt"
	"time"
)

// extismPlugin is a compiled Extism plugin.
type extismPlugin interface {
	Close(ctx context.Context) error
}

func (d *Deployment) invokeExtism(ctx context.Context, req *Request, res *Result, deadline time.Time) error {
	return fmt.Errorf("%w: Extism plugins are not supported by this engine", ErrInvalidModule)
}
