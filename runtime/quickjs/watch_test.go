package quickjs

import (
	"context"
	"testing"
)

// TestWatchStopWaitsForDeadline: once stop returns, a deadline that fired
// has set its flags; none can arrive later, on an instance already reset
// for another request.
func TestWatchStopWaitsForDeadline(t *testing.T) {
	in := &instance{}
	for i := 0; i < 200; i++ {
		in.resetFlags()
		ctx, cancel := context.WithCancel(context.Background())
		stop := in.watch(ctx)
		cancel()
		stop()
		if !in.deadline.Load() || !in.interrupt.Load() {
			t.Fatalf("round %d: the deadline fired but its flags were not set when stop returned", i)
		}
		stop() // idempotent
	}
	in.resetFlags()
	stop := in.watch(context.Background())
	stop()
	if in.deadline.Load() || in.interrupt.Load() {
		t.Fatal("flags set without a deadline")
	}
}
