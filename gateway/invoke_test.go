package gateway

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/wasmtest"
	"github.com/kilnhq/kiln/platform"
	"github.com/kilnhq/kiln/runtime"
)

// wagiEcho is a WASI command (WAGI contract) that answers with its method,
// path, a variable and the request body, and logs to stderr.
const wagiEcho = `package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	body, _ := io.ReadAll(os.Stdin)
	fmt.Fprintln(os.Stderr, "handling", os.Getenv("REQUEST_METHOD"))
	fmt.Print("Content-Type: text/plain\nX-Echo: yes\n\n")
	fmt.Printf("%s %s?%s greeting=%s fn=%s body=%s", os.Getenv("REQUEST_METHOD"), os.Getenv("PATH_INFO"),
		os.Getenv("QUERY_STRING"), os.Getenv("GREETING"), os.Getenv("APPWRITE_FUNCTION_ID"), body)
}
`

func newInvokeEnv(t *testing.T) (apiEnv, *platform.Platform) {
	t.Helper()
	eng, err := runtime.New(context.Background(), runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(context.Background()) })
	runner := &platform.EngineRunner{Engine: eng}
	t.Cleanup(runner.Close)
	e, p := newPlatformEnv(t, 0, runner)
	rec, err := p.StartRecorder(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Stop)
	return e, p
}

func TestInvokeThroughTriggersAndAPI(t *testing.T) {
	e, p := newInvokeEnv(t)
	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "echo", "name": "echo", "runtime": "wasi", "execute": []string{"any"}})
	e.call(t, e.admin, "POST", "/v1/functions/echo/variables", map[string]any{"key": "GREETING", "value": "hej"})
	wasm := wasmtest.BuildGo(t, map[string]string{"main.go": wagiEcho}, wasmtest.GoOptions{})
	_, d := e.upload(t, "echo", tarball(t, map[string][]byte{"main.wasm": wasm}), true, "", "")
	if done := e.waitStatus(t, "echo", d["$id"].(string)); done["status"] != "ready" {
		t.Fatalf("build: %v", done)
	}

	// HTTP trigger by path, as a guest (execute: any).
	resp, err := http.Post(e.base+"/fn/p1/echo/hello?x=1", "text/plain", strings.NewReader("ping"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "POST /hello?x=1 greeting=hej fn=echo body=ping" || resp.Header.Get("X-Echo") != "yes" {
		t.Fatalf("trigger: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	execID := resp.Header.Get("X-Appwrite-Execution-Id")
	if execID == "" {
		t.Fatal("no execution id header")
	}

	// The executions API, sync: the record comes back with what it used.
	code, ex := e.call(t, e.admin, "POST", "/v1/functions/echo/executions", map[string]any{"body": "b", "path": "/api", "method": "PUT"})
	if code != 201 || ex["status"] != "completed" || ex["responseStatusCode"] != 200.0 || ex["responseBody"] != "PUT /api? greeting=hej fn=echo body=b" {
		t.Fatalf("sync execution: %d %v", code, ex)
	}
	if ex["fuel"].(float64) <= 0 || !strings.Contains(ex["logs"].(string), "handling PUT") {
		t.Fatalf("usage and logs not recorded: %v", ex)
	}
	if code, got := e.call(t, e.admin, "GET", "/v1/functions/echo/executions/"+ex["$id"].(string), nil); code != 200 || got["fuel"] != ex["fuel"] {
		t.Fatalf("read back: %d %v", code, got)
	}

	// Async: queued, then completed by the worker.
	stop, err := p.StartAsyncWorker(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	code, ax := e.call(t, e.admin, "POST", "/v1/functions/echo/executions", map[string]any{"async": true, "body": "later"})
	if code != 202 || ax["status"] != "waiting" {
		t.Fatalf("async: %d %v", code, ax)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		_, got := e.call(t, e.admin, "GET", "/v1/functions/echo/executions/"+ax["$id"].(string), nil)
		if got["status"] == "completed" {
			if !strings.HasSuffix(got["responseBody"].(string), "body=later") {
				t.Fatalf("async result: %v", got)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The trigger's execution was recorded through the batch writer.
	deadline = time.Now().Add(10 * time.Second)
	for {
		if code, _ := e.call(t, e.admin, "GET", "/v1/functions/echo/executions/"+execID, nil); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("trigger execution never recorded")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestInvokeSeesChangesFromAnotherNode runs two nodes on one database and
// NATS: node B serves a function from its cache while node A changes it.
// Every change must be visible on B's next request, long before the cache's
// TTL, because A announces it.
func TestInvokeSeesChangesFromAnotherNode(t *testing.T) {
	a, _ := newInvokeEnv(t)
	eng, err := runtime.New(context.Background(), runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(context.Background()) })
	cfgB := a.cfg
	runnerB := &platform.EngineRunner{Engine: eng}
	t.Cleanup(runnerB.Close)
	cfgB.Runner, cfgB.Builder = runnerB, nil
	pB, err := platform.New(cfgB)
	if err != nil {
		t.Fatal(err)
	}
	appB := New(Config{})
	appB.MountTriggers(pB, "fn.localhost")
	baseB := serve(t, appB)

	get := func() (int, string) {
		t.Helper()
		resp, err := http.Get(baseB + "/fn/p1/echo/x")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	a.call(t, a.admin, "POST", "/v1/functions", map[string]any{"functionId": "echo", "name": "echo", "runtime": "wasi", "execute": []string{"any"}})
	_, v := a.call(t, a.admin, "POST", "/v1/functions/echo/variables", map[string]any{"key": "GREETING", "value": "one"})
	wasm := wasmtest.BuildGo(t, map[string]string{"main.go": wagiEcho}, wasmtest.GoOptions{})
	_, d1 := a.upload(t, "echo", tarball(t, map[string][]byte{"main.wasm": wasm}), true, "", "")
	if done := a.waitStatus(t, "echo", d1["$id"].(string)); done["status"] != "ready" {
		t.Fatalf("build: %v", done)
	}
	if code, body := get(); code != 200 || !strings.Contains(body, "greeting=one") {
		t.Fatalf("first call on B: %d %q", code, body)
	}

	// eventually gives B's cache a moment for A's notice to arrive over NATS.
	eventually := func(what string, ok func(int, string) bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			code, body := get()
			if ok(code, body) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: B still answers %d %q", what, code, body)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	a.call(t, a.admin, "PUT", "/v1/functions/echo/variables/"+v["$id"].(string), map[string]any{"key": "GREETING", "value": "two"})
	eventually("variable change", func(c int, b string) bool { return c == 200 && strings.Contains(b, "greeting=two") })

	a.call(t, a.admin, "PUT", "/v1/functions/echo", map[string]any{"name": "echo", "enabled": false})
	eventually("disable", func(c int, b string) bool { return c == 403 || c == 404 || c == 503 })
	a.call(t, a.admin, "PUT", "/v1/functions/echo", map[string]any{"name": "echo", "enabled": true, "execute": []string{"any"}})
	eventually("enable", func(c int, b string) bool { return c == 200 })

	// A new deployment activated on A is what B serves next.
	wasm2 := wasmtest.BuildGo(t, map[string]string{"main.go": strings.Replace(wagiEcho, "greeting=%s", "v2 greeting=%s", 1)}, wasmtest.GoOptions{})
	_, d2 := a.upload(t, "echo", tarball(t, map[string][]byte{"main.wasm": wasm2}), true, "", "")
	if done := a.waitStatus(t, "echo", d2["$id"].(string)); done["status"] != "ready" {
		t.Fatalf("build 2: %v", done)
	}
	eventually("new deployment", func(c int, b string) bool { return c == 200 && strings.Contains(b, "v2 greeting=two") })
	// Rolling back on A is seen on B.
	a.call(t, a.admin, "PATCH", "/v1/functions/echo/deployment", map[string]any{"deploymentId": d1["$id"]})
	eventually("rollback", func(c int, b string) bool { return c == 200 && !strings.Contains(b, "v2 ") })

	a.call(t, a.admin, "DELETE", "/v1/functions/echo", nil)
	eventually("delete", func(c int, b string) bool { return c == 404 })
}
