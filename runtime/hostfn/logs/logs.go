// Package logs provides the kiln.log host function: a guest logs one line
// at a level, and it lands in the invocation's log lines beside its
// captured stdout and stderr.
package logs

import (
	"context"
	"errors"
	"log/slog"

	"github.com/kilnhq/kiln/runtime/hostfn"
	"github.com/kilnhq/kiln/runtime/internal/wire"
	"github.com/tetratelabs/wazero/api"
)

// ErrOutOfBounds is the trap when a guest points outside its memory.
var ErrOutOfBounds = errors.New("kiln.log: message outside guest memory")

// Capability is the logging capability.
type Capability struct{}

// Functions implements hostfn.Capability.
func (Capability) Functions() []hostfn.Function {
	i32 := api.ValueTypeI32
	return []hostfn.Function{{
		Name:   wire.ImportLog,
		Params: []api.ValueType{i32, i32, i32},
		Fn:     api.GoModuleFunc(logLine),
	}}
}

func logLine(ctx context.Context, mod api.Module, stack []uint64) {
	c := hostfn.FromContext(ctx)
	if c == nil {
		return
	}
	level, ptr, n := uint32(stack[0]), uint32(stack[1]), uint32(stack[2])
	c.CheckDeadline()
	c.Charge(hostfn.Cost(int(n)))
	msg, ok := mod.Memory().Read(ptr, n)
	if !ok {
		panic(ErrOutOfBounds)
	}
	c.Logs.Add(Level(level), hostfn.StreamLog, msg)
}

// Level maps an ABI log level to slog's; unknown levels count as info.
func Level(l uint32) slog.Level {
	switch l {
	case wire.LevelDebug:
		return slog.LevelDebug
	case wire.LevelWarn:
		return slog.LevelWarn
	case wire.LevelError:
		return slog.LevelError
	}
	return slog.LevelInfo
}
