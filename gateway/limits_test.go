package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/wasmtest"
)

// hungry works, allocates or sleeps as its path asks.
const hungry = `package main

import (
	"fmt"
	"os"
	"time"
)

var sink []byte

func main() {
	fmt.Print("Content-Type: text/plain\n\n")
	switch os.Getenv("PATH_INFO") {
	case "/spin":
		n := 0
		for i := 0; i < 5_000_000; i++ {
			n += i % 7
		}
		fmt.Print(n)
	case "/alloc":
		sink = make([]byte, 64<<20)
		sink[len(sink)-1] = 1
		fmt.Print(len(sink))
	case "/sleep":
		time.Sleep(3 * time.Second)
		fmt.Print("slept")
	default:
		fmt.Print("ok")
	}
}
`

// TestPerFunctionLimits sets a function's fuel budget, memory cap and
// timeout through the API and checks each ends a greedy call with its
// error while the function keeps answering cheap calls.
func TestPerFunctionLimits(t *testing.T) {
	e, _ := newInvokeEnv(t)
	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "greedy", "name": "greedy", "runtime": "wasi",
		"execute": []string{"any"}, "fuel": 20_000_000, "memoryPages": 512, "timeout": 1})
	wasm := wasmtest.BuildGo(t, map[string]string{"main.go": hungry}, wasmtest.GoOptions{})
	_, d := e.upload(t, "greedy", tarball(t, map[string][]byte{"main.wasm": wasm}), true, "", "")
	if done := e.waitStatus(t, "greedy", d["$id"].(string)); done["status"] != "ready" {
		t.Fatalf("build: %v", done)
	}
	get := func(path string) (int, map[string]any, string) {
		t.Helper()
		resp, err := http.Get(e.base + "/fn/p1/greedy" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		return resp.StatusCode, m, string(body)
	}
	for path, typ := range map[string]string{"/spin": "function_out_of_fuel", "/alloc": "function_memory_limit", "/sleep": "function_deadline"} {
		code, m, body := get(path)
		if code < 500 || m["type"] != typ {
			t.Errorf("%s: %d %s, want type %s", path, code, body, typ)
		}
		if code, _, body := get("/"); code != 200 || body != "ok" {
			t.Fatalf("after %s: %d %s", path, code, body)
		}
	}
	// An execution record shows the budget was used up exactly.
	code, ex := e.call(t, e.admin, "POST", "/v1/functions/greedy/executions", map[string]any{"path": "/spin", "method": "GET"})
	if code != 201 || ex["status"] != "failed" || ex["fuel"] != 20_000_000.0 || !strings.Contains(ex["errors"].(string), "fuel") {
		t.Fatalf("execution: %d %v", code, ex)
	}

	// Raising the limits lets the same calls through.
	code, f := e.call(t, e.admin, "PUT", "/v1/functions/greedy", map[string]any{"name": "greedy", "fuel": 0, "memoryPages": 0, "timeout": 10})
	if code != 200 || f["fuel"] != 0.0 || f["memoryPages"] != 0.0 {
		t.Fatalf("update: %d %v", code, f)
	}
	for _, path := range []string{"/spin", "/alloc"} {
		if code, _, body := get(path); code != 200 {
			t.Errorf("%s with default limits: %d %s", path, code, body)
		}
	}

	// Out-of-range limits are refused.
	for _, body := range []map[string]any{{"name": "x", "fuel": 5}, {"name": "x", "memoryPages": 70000}, {"name": "x", "memoryPages": -1}} {
		if code, out := e.call(t, e.admin, "PUT", "/v1/functions/greedy", body); code != 400 || out["type"] != "general_argument_invalid" {
			t.Errorf("%v: %d %v", body, code, out)
		}
	}
}
