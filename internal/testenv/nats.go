package testenv

import (
	"context"
	"testing"

	"github.com/kilnhq/kiln/store/bus"
)

// NATS starts an embedded NATS server with Kiln's JetStream streams on a
// temp dir, with no client port (use Conn or JetStream), and shuts it down
// when the test ends.
func NATS(tb testing.TB) *bus.Bus {
	tb.Helper()
	b, err := bus.Start(context.Background(), bus.Config{Dir: tb.TempDir()})
	if err != nil {
		tb.Fatalf("testenv: starting NATS: %v", err)
	}
	tb.Cleanup(b.Shutdown)
	return b
}
