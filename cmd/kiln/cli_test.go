package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/internal/wasmtest"
)

// The client commands against a real `kiln serve`: the key is found in the
// local data dir, deploy creates the function and builds it, and the other
// commands see the result.
func TestClientCommands(t *testing.T) {
	bin := buildKiln(t)
	data, err := os.MkdirTemp("", "kiln-cli-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(data)
	port := testenv.FreePort(t)
	startServe(t, bin, data, port)
	waitHealthy(t, port, 60*time.Second)
	env := []string{"KILN_ENDPOINT=http://127.0.0.1:" + itoa(port), "KILN_DATA=" + data}
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	fn := filepath.Join(t.TempDir(), "Hello World")
	if err := os.Mkdir(fn, 0o755); err != nil {
		t.Fatal(err)
	}
	wasm := wasmtest.BuildGo(t, map[string]string{"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Print(\"Content-Type: text/plain\\n\\nhi\") }\n"}, wasmtest.GoOptions{})
	if err := os.WriteFile(filepath.Join(fn, "main.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run("deploy", fn)
	if err != nil {
		t.Fatalf("deploy: %v\n%s", err, out)
	}
	for _, want := range []string{"Created function hello-world (runtime wasi)", "Build ready", "is ready and active"} {
		if !strings.Contains(out, want) {
			t.Errorf("deploy output lacks %q:\n%s", want, out)
		}
	}
	// The printed URL serves the function.
	url := "http://127.0.0.1:" + itoa(port) + "/fn/default/hello-world/"
	if !strings.Contains(out, "URL: "+url) {
		t.Fatalf("deploy did not print the URL %s:\n%s", url, out)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != "hi" {
		t.Fatalf("GET %s = %d %q", url, resp.StatusCode, got)
	}
	if out, err = run("invoke", "hello-world", "--data", "x"); err != nil || !strings.HasPrefix(out, "hi\n") || !strings.Contains(out, "status 200") {
		t.Fatalf("invoke: %v\n%s", err, out)
	}
	// HTTP trigger records are written in batches: wait for both.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out, err = run("logs", "hello-world")
		if err == nil && strings.Count(out, "→ 200 completed") == 2 && strings.Contains(out, "fuel ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("logs: %v\n%s", err, out)
		}
	}

	out, err = run("functions", "list", "--json")
	if err != nil {
		t.Fatalf("functions list: %v\n%s", err, out)
	}
	var list struct {
		Total     int `json:"total"`
		Functions []struct {
			ID           string `json:"$id"`
			DeploymentID string `json:"deploymentId"`
		} `json:"functions"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || list.Total != 1 || list.Functions[0].ID != "hello-world" || list.Functions[0].DeploymentID == "" {
		t.Fatalf("functions list --json: %v\n%s", err, out)
	}
	first := list.Functions[0].DeploymentID

	// A second deploy, not activated, then activated, then rolled back.
	if out, err = run("deploy", fn, "--activate=false", "--function", "hello-world"); err != nil || !strings.Contains(out, "ready (not activated)") {
		t.Fatalf("second deploy: %v\n%s", err, out)
	}
	out, err = run("deployments", "list", "hello-world")
	if err != nil || strings.Count(out, "ready") != 2 || !strings.Contains(out, first+"*") {
		t.Fatalf("deployments list: %v\n%s", err, out)
	}
	if out, err = run("deployments", "activate", "hello-world", first); err != nil || !strings.Contains(out, "now serves deployment "+first) {
		t.Fatalf("activate: %v\n%s", err, out)
	}

	if out, err = run("vars", "set", "hello-world", "TOKEN", "abc", "--secret"); err != nil {
		t.Fatalf("vars set: %v\n%s", err, out)
	}
	if out, err = run("vars", "set", "hello-world", "MODE", "dev"); err != nil {
		t.Fatalf("vars set: %v\n%s", err, out)
	}
	if out, err = run("vars", "set", "hello-world", "MODE", "prod"); err != nil {
		t.Fatalf("vars set (update): %v\n%s", err, out)
	}
	out, err = run("vars", "list", "hello-world")
	if err != nil || !strings.Contains(out, "prod") || !strings.Contains(out, "(secret)") || strings.Contains(out, "abc") {
		t.Fatalf("vars list: %v\n%s", err, out)
	}
	if out, err = run("vars", "rm", "hello-world", "MODE"); err != nil {
		t.Fatalf("vars rm: %v\n%s", err, out)
	}
	if out, err = run("vars", "rm", "hello-world", "MODE"); err == nil {
		t.Fatalf("removing a missing variable succeeded:\n%s", out)
	}

	// Bad input: a wrong key, an unknown function, a folder that is not there.
	if out, err = run("functions", "list", "--key", "kiln_"+strings.Repeat("0", 64)); err == nil || !strings.Contains(out, "invalid") {
		t.Fatalf("wrong key: %v\n%s", err, out)
	}
	if out, err = run("functions", "get", "nope"); err == nil || !strings.Contains(out, "function_not_found") {
		t.Fatalf("unknown function: %v\n%s", err, out)
	}
	if out, err = run("deploy", filepath.Join(fn, "missing")); err == nil || !strings.Contains(out, "is not a folder") {
		t.Fatalf("missing folder: %v\n%s", err, out)
	}
	if out, err = run("functions", "delete", "hello-world"); err != nil {
		t.Fatalf("delete: %v\n%s", err, out)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
