package gateway

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/wasmtest"
	"github.com/kilnhq/kiln/platform"
	"github.com/kilnhq/kiln/runtime"
)

// loadCounter is the node's EngineRunner, counting how often a call had to
// load (and so compile) an artifact itself.
type loadCounter struct {
	*platform.EngineRunner
	mu       sync.Mutex
	prepared []string
	runLoads int
}

func (c *loadCounter) Prepare(ctx context.Context, t platform.RunTarget) error {
	c.mu.Lock()
	c.prepared = append(c.prepared, t.Key)
	c.mu.Unlock()
	return c.EngineRunner.Prepare(ctx, t)
}

func (c *loadCounter) Run(ctx context.Context, t platform.RunTarget, req platform.RunRequest) (platform.RunResult, error) {
	load := t.Load
	t.Load = func(ctx context.Context) ([]byte, error) {
		c.mu.Lock()
		c.runLoads++
		c.mu.Unlock()
		return load(ctx)
	}
	return c.EngineRunner.Run(ctx, t, req)
}

func (c *loadCounter) counts() ([]string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.prepared...), c.runLoads
}

// TestDeploymentsArePreparedBeforeTheirFirstRequest: a build that
// activates compiles its deployment before announcing it done, and a
// rollback prepares the deployment it activates, so no request waits for
// a compile.
func TestDeploymentsArePreparedBeforeTheirFirstRequest(t *testing.T) {
	eng, err := runtime.New(context.Background(), runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(context.Background()) })
	runner := &loadCounter{EngineRunner: &platform.EngineRunner{Engine: eng}}
	t.Cleanup(runner.Close)
	e, p := newPlatformEnv(t, 0, runner)
	t.Cleanup(p.Close)

	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "fn", "name": "fn", "runtime": "wasi", "execute": []string{"any"}})
	wasm := wasmtest.BuildGo(t, map[string]string{"main.go": wagiEcho}, wasmtest.GoOptions{})
	deploy := func(readme string) string {
		_, d := e.upload(t, "fn", tarball(t, map[string][]byte{"main.wasm": wasm, "README": []byte(readme)}), true, "", "")
		id := d["$id"].(string)
		if done := e.waitStatus(t, "fn", id); done["status"] != "ready" {
			t.Fatalf("build: %v", done)
		}
		return id
	}
	waitPrepared := func(id string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			prepared, _ := runner.counts()
			for _, k := range prepared {
				if k == "p1/"+id {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("deployment %s was not prepared (prepared: %v)", id, prepared)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	get := func() {
		t.Helper()
		resp, err := http.Get(e.base + "/fn/p1/fn/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}

	first := deploy("v1")
	waitPrepared(first)
	get()
	second := deploy("v2")
	waitPrepared(second)
	get()
	// Roll back to a deployment evicted while idle: it is prepared again
	// in the background.
	runner.Forget("p1/" + first)
	before, _ := runner.counts()
	if code, fn := e.call(t, e.admin, "PATCH", "/v1/functions/fn/deployment", map[string]any{"deploymentId": first}); code != 200 {
		t.Fatalf("rollback: %d %v", code, fn)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		prepared, _ := runner.counts()
		if len(prepared) > len(before) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	get()
	if _, loads := runner.counts(); loads != 0 {
		t.Fatalf("%d requests loaded their deployment's artifact themselves", loads)
	}
}
