package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kilnhq/kiln/platform"
	"github.com/kilnhq/kiln/store/bus"
	"github.com/nats-io/nats.go/jetstream"
)

// TestRedeliveredBuildJob sends the build job of a finished deployment
// again, as JetStream does after a lost acknowledgement: the worker takes
// it off the queue without building again or touching the record.
func TestRedeliveredBuildJob(t *testing.T) {
	e, _ := newDeployEnv(t, 0)
	ctx := context.Background()
	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "fn", "name": "fn", "runtime": "wasi"})
	for _, c := range []struct {
		name string
		wasm []byte
	}{{"ready", helloWASI(t)}, {"failed", []byte("\x00asm garbage")}} {
		t.Run(c.name, func(t *testing.T) {
			_, d := e.upload(t, "fn", tarball(t, map[string][]byte{"main.wasm": c.wasm}), false, "", "")
			id := d["$id"].(string)
			before := e.waitStatus(t, "fn", id)
			if before["status"] != c.name {
				t.Fatalf("status %v", before["status"])
			}
			job, _ := json.Marshal(platform.BuildJob{ProjectID: "p1", FunctionID: "fn", DeploymentID: id})
			for i := range 2 {
				_, err := e.cfg.JetStream.Publish(ctx, fmt.Sprintf("builds.p1.%s", id), job, jetstream.WithMsgID(fmt.Sprintf("%s-again-%d", id, i)))
				if err != nil {
					t.Fatal(err)
				}
			}
			s, err := e.cfg.JetStream.Stream(ctx, bus.BuildsStream)
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				info, err := s.Info(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if info.State.Msgs == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the repeated jobs were not taken off the queue: %d left", info.State.Msgs)
				}
				time.Sleep(20 * time.Millisecond)
			}
			_, after := e.call(t, e.admin, "GET", "/v1/functions/fn/deployments/"+id, nil)
			for _, k := range []string{"status", "buildLogs", "buildDuration", "buildSize", "$updatedAt"} {
				if fmt.Sprint(after[k]) != fmt.Sprint(before[k]) {
					t.Errorf("%s changed: %v → %v", k, before[k], after[k])
				}
			}
		})
	}
}
