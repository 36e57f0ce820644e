package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
)

// Each example deploys with `kiln deploy` to a real `kiln serve` and
// answers through its HTTP trigger, the way the README tells a new user.
func TestExamples(t *testing.T) {
	bin := buildKiln(t)
	data, err := os.MkdirTemp("", "kiln-examples-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(data)
	port := testenv.FreePort(t)
	startServe(t, bin, data, port)
	waitHealthy(t, port, 60*time.Second)
	base := "http://127.0.0.1:" + itoa(port)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "KILN_ENDPOINT="+base, "KILN_DATA="+data)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	get := func(t *testing.T, method, url, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	t.Run("hello-go", func(t *testing.T) {
		dir, _ := filepath.Abs(filepath.Join("..", "..", "examples", "hello-go"))
		out, err := run("deploy", dir)
		if err != nil {
			t.Fatalf("deploy: %v\n%s", err, out)
		}
		url := base + "/fn/default/hello-go/"
		if code, body := get(t, "GET", url+"?name=Kiln", ""); code != 200 || body != "Hello, Kiln!\n" {
			t.Fatalf("GET = %d %q", code, body)
		}
		if code, body := get(t, "POST", url+"echo", `{"a":1}`); code != 200 || body != `{"echo":{"a":1},"function":"hello-go"}`+"\n" {
			t.Fatalf("POST echo = %d %q", code, body)
		}
		if code, body := get(t, "POST", url+"echo", `{bad`); code != 400 || !strings.Contains(body, "send JSON") {
			t.Fatalf("bad JSON = %d %q", code, body)
		}
		if code, _ := get(t, "GET", url+"missing", ""); code != 404 {
			t.Fatalf("unknown route = %d", code)
		}
	})

	t.Run("hello-c", func(t *testing.T) {
		clang, err := exec.LookPath("clang-14")
		if err != nil {
			clang, err = exec.LookPath("clang")
		}
		if _, serr := os.Stat("/usr/lib/wasm32-wasi/libc.a"); err != nil || serr != nil {
			// An optional extra: .ci/run installs clang and wasi-libc.
			t.Skip("clang or wasi-libc not installed (apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32)")
		}
		src, _ := filepath.Abs(filepath.Join("..", "..", "examples", "hello-c"))
		dir := filepath.Join(t.TempDir(), "hello-c")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(clang, "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-o", filepath.Join(dir, "main.wasm"), filepath.Join(src, "main.c")).CombinedOutput()
		if err != nil {
			t.Fatalf("clang: %v\n%s", err, out)
		}
		if out, err := run("deploy", dir, "--runtime", "wasi"); err != nil {
			t.Fatalf("deploy: %v\n%s", err, out)
		}
		url := base + "/fn/default/hello-c/"
		if code, body := get(t, "GET", url+"?name=Kiln", ""); code != 200 || body != "Hello from C, Kiln!\n" {
			t.Fatalf("GET = %d %q", code, body)
		}
		if code, body := get(t, "DELETE", url, ""); code != 405 || body != "no deleting here\n" {
			t.Fatalf("DELETE = %d %q", code, body)
		}
	})

	t.Run("hello-extism", func(t *testing.T) {
		dir, _ := filepath.Abs(filepath.Join("..", "..", "examples", "hello-extism"))
		if out, err := run("deploy", dir, "--runtime", "extism"); err != nil {
			t.Fatalf("deploy: %v\n%s", err, out)
		}
		url := base + "/fn/default/hello-extism/"
		if code, body := get(t, "GET", url+"?name=Kiln", ""); code != 200 || body != "Hello from Extism, Kiln!\n" {
			t.Fatalf("GET = %d %q", code, body)
		}
		if code, body := get(t, "POST", url+"echo", `{"a":1}`); code != 200 || body != `{"echo":{"a":1},"plugin":"hello-extism"}`+"\n" {
			t.Fatalf("POST echo = %d %q", code, body)
		}
		if code, body := get(t, "POST", url+"echo", `{bad`); code != 400 || body != "send JSON\n" {
			t.Fatalf("bad JSON = %d %q", code, body)
		}
		if code, _ := get(t, "GET", url+"missing", ""); code != 404 {
			t.Fatalf("unknown route = %d", code)
		}
	})
}
