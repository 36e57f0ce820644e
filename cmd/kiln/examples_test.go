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
	do := func(t *testing.T, method, url, body string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		if strings.HasPrefix(body, "{") {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	get := func(t *testing.T, method, url, body string) (int, string) {
		t.Helper()
		code, _, b := do(t, method, url, body)
		return code, b
	}
	// deployJS deploys a copy of examples/<name> without node_modules, as
	// a fresh checkout has it: dependencies come from package-lock.json.
	deployJS := func(t *testing.T, name string) string {
		t.Helper()
		src, _ := filepath.Abs(filepath.Join("..", "..", "examples", name))
		dir := filepath.Join(t.TempDir(), name)
		copyExample(t, src, dir)
		start := time.Now()
		out, err := run("deploy", dir)
		if err != nil {
			t.Fatalf("deploy: %v\n%s", err, out)
		}
		t.Logf("deployed %s in %v", name, time.Since(start).Round(time.Millisecond))
		return out
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
		if out, err := run("deploy", dir); err != nil {
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

	t.Run("hello-js", func(t *testing.T) {
		dir, _ := filepath.Abs(filepath.Join("..", "..", "examples", "hello-js"))
		if out, err := run("deploy", dir); err != nil {
			t.Fatalf("deploy: %v\n%s", err, out)
		}
		url := base + "/fn/default/hello-js/"
		if code, hdr, body := do(t, "GET", url+"?name=Kiln", ""); code != 200 || body != "Hello, Kiln!\n" || hdr.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("GET = %d %q %v", code, body, hdr)
		}
		if code, body := get(t, "GET", url, ""); code != 200 || body != "Hello, world!\n" {
			t.Fatalf("GET without name = %d %q", code, body)
		}
		if code, body := get(t, "POST", url+"echo", `{"a":1}`); code != 200 || body != `{"echo":{"a":1},"function":"hello-js"}` {
			t.Fatalf("POST echo = %d %q", code, body)
		}
		if code, body := get(t, "POST", url+"echo", `{bad`); code != 400 || !strings.Contains(body, "send JSON") {
			t.Fatalf("bad JSON = %d %q", code, body)
		}
		if code, _ := get(t, "GET", url+"missing", ""); code != 404 {
			t.Fatalf("unknown route = %d", code)
		}
	})

	t.Run("hello-ts", func(t *testing.T) {
		dir, _ := filepath.Abs(filepath.Join("..", "..", "examples", "hello-ts"))
		if out, err := run("deploy", dir); err != nil {
			t.Fatalf("deploy: %v\n%s", err, out)
		}
		url := base + "/fn/default/hello-ts/"
		if code, body := get(t, "GET", url+"?name=Kiln", ""); code != 200 || body != "Hello, Kiln!\n" {
			t.Fatalf("GET = %d %q", code, body)
		}
		if code, hdr, body := do(t, "GET", url+"json?name=Kiln", ""); code != 200 || body != `{"name":"Kiln","text":"Hello, Kiln!","length":12}` || hdr.Get("Content-Type") != "application/json" {
			t.Fatalf("GET json = %d %q %v", code, body, hdr)
		}
		if code, body := get(t, "DELETE", url, ""); code != 404 || body != `{"error":"no route for DELETE /"}` {
			t.Fatalf("DELETE = %d %q", code, body)
		}
	})

	t.Run("hono-api", func(t *testing.T) {
		out := deployJS(t, "hono-api")
		// npm ci the first time on a machine, the kept tree of the same
		// lockfile afterwards.
		if !strings.Contains(out, "$ npm ci --ignore-scripts") && !strings.Contains(out, "already installed on this node") {
			t.Errorf("the build log does not show the install step:\n%s", out)
		}
		url := base + "/fn/default/hono-api/"
		code, hdr, body := do(t, "GET", url, "")
		if code != 200 || body != "Hono on Kiln\n" || hdr.Get("X-Powered-By") != "Hono on Kiln" || !strings.HasSuffix(hdr.Get("X-Response-Time"), "ms") {
			t.Fatalf("GET / = %d %q %v", code, body, hdr)
		}
		if code, hdr, body := do(t, "GET", url+"api/books", ""); code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") ||
			body != `[{"id":1,"title":"The Left Hand of Darkness","author":"Ursula K. Le Guin"},{"id":2,"title":"Kindred","author":"Octavia E. Butler"}]` {
			t.Fatalf("GET books = %d %q %v", code, body, hdr)
		}
		if code, body := get(t, "GET", url+"api/books/2", ""); code != 200 || body != `{"id":2,"title":"Kindred","author":"Octavia E. Butler"}` {
			t.Fatalf("GET book 2 = %d %q", code, body)
		}
		if code, body := get(t, "GET", url+"api/books/9", ""); code != 404 || body != `{"error":"no such book"}` {
			t.Fatalf("GET book 9 = %d %q", code, body)
		}
		if code, body := get(t, "POST", url+"api/books", `{"title":"Dune","author":"Frank Herbert"}`); code != 201 || body != `{"id":3,"title":"Dune","author":"Frank Herbert"}` {
			t.Fatalf("POST book = %d %q", code, body)
		}
		if code, body := get(t, "POST", url+"api/books", `{"title":"Dune"}`); code != 400 || body != `{"error":"title and author are required"}` {
			t.Fatalf("POST incomplete book = %d %q", code, body)
		}
		if code, hdr, body := do(t, "GET", url+"nope", ""); code != 404 || body != `{"error":"no route for GET /nope"}` || hdr.Get("X-Powered-By") != "Hono on Kiln" {
			t.Fatalf("GET /nope = %d %q %v", code, body, hdr)
		}
	})

	t.Run("ssr-react", func(t *testing.T) {
		deployJS(t, "ssr-react")
		url := base + "/fn/default/ssr-react/"
		code, hdr, body := do(t, "GET", url+"?team=kiln", "")
		// React separates adjacent text nodes with empty comments.
		text := strings.ReplaceAll(body, "<!-- -->", "")
		if code != 200 || hdr.Get("Content-Type") != "text/html; charset=utf-8" || !strings.HasPrefix(body, "<!doctype html><html lang=\"en\">") {
			t.Fatalf("GET = %d %v %q", code, hdr, body)
		}
		for _, want := range []string{"<title>Kiln &amp; Co</title>", "<h1>Kiln &amp; Co</h1>", "<p>3 members, 2 open tasks</p>",
			"<li><strong>Ada</strong> <em>runtime</em></li>", "<li><strong>Linus</strong> <em>gateway</em></li>", "Rendered on Kiln at 20"} {
			if !strings.Contains(text, want) {
				t.Errorf("page lacks %q:\n%s", want, body)
			}
		}
		if code, body := get(t, "GET", url+"?team=pottery", ""); code != 200 || !strings.Contains(strings.ReplaceAll(body, "<!-- -->", ""), "<p>1 members, 1 open tasks</p>") {
			t.Fatalf("pottery = %d %q", code, body)
		}
		if code, body := get(t, "GET", url+"?team=nope", ""); code != 404 || body != "no such team\n" {
			t.Fatalf("unknown team = %d %q", code, body)
		}
	})
}

// copyExample copies an example's files into dst, leaving out
// node_modules, so a deployment is what a fresh checkout holds.
func copyExample(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
