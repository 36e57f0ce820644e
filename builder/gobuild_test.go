package builder

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/builder/gosdk"
	"github.com/kilnhq/kiln/runtime"
)

// helloGo is the smallest real Go function: a net/http handler registered
// with the SDK.
var helloGo = map[string]string{
	"go.mod": "module hello\n\ngo 1.26\n",
	"main.go": `package main

import (
	"fmt"
	"net/http"

	kiln "github.com/kilnhq/kiln/sdk/go"
)

func init() {
	kiln.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello, %s", r.URL.Query().Get("name"))
	}))
}

func main() {}
`,
}

// serve deploys an artifact on a real engine and makes one request.
func serve(t *testing.T, a *Artifact, url string) *runtime.Result {
	t.Helper()
	ctx := context.Background()
	e, err := runtime.New(ctx, runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(ctx) })
	m, err := e.CompileInstrumented(ctx, a.Wasm)
	if err != nil {
		t.Fatalf("compiling artifact: %v", err)
	}
	defer m.Close(ctx)
	d, err := e.Deploy("hello", m, runtime.DeploymentConfig{ABI: runtime.ABI(a.ABI)})
	if err != nil {
		t.Fatalf("deploying artifact: %v", err)
	}
	defer d.Close()
	res, err := d.Invoke(ctx, &runtime.Request{URL: url})
	if err != nil {
		t.Fatalf("invoking artifact: %v", err)
	}
	return res
}

func TestBuildGoHello(t *testing.T) {
	src := writeSource(t, helloGo)
	var log bytes.Buffer
	a, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: "go-1.26", SourceDir: src}, &log)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, log.String())
	}
	checkArtifact(t, a, ABIReactor)
	for _, step := range []string{"Building Go", "Compiled in", "instrumented for fuel", "Build succeeded"} {
		if !strings.Contains(log.String(), step) {
			t.Errorf("log lacks %q:\n%s", step, log.String())
		}
	}
	t.Logf("build log:\n%s", log.String())
	res := serve(t, a, "/?name=kiln")
	if res.Status != 200 || string(res.Body) != "hello, kiln" || res.Fuel == 0 {
		t.Fatalf("artifact served %d %q with fuel %d, want 200 \"hello, kiln\" with fuel counted", res.Status, res.Body, res.Fuel)
	}
}

func TestBuildGoVendoredProject(t *testing.T) {
	files := map[string]string{
		"go.mod": "module hello\n\ngo 1.26\n\nrequire github.com/acme/greet v1.0.0\n",
		"main.go": `package main

import (
	"net/http"

	"github.com/acme/greet"
	kiln "github.com/kilnhq/kiln/sdk/go"
)

func init() {
	kiln.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(greet.Hello(r.URL.Query().Get("name"))))
	}))
}

func main() {}
`,
		"vendor/modules.txt":                    "# github.com/acme/greet v1.0.0\n## explicit; go 1.21\ngithub.com/acme/greet\n",
		"vendor/github.com/acme/greet/greet.go": "package greet\n\nfunc Hello(name string) string { return \"greetings, \" + name }\n",
	}
	src := writeSource(t, files)
	var log bytes.Buffer
	a, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: RuntimeGo, SourceDir: src}, &log)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "Added the Kiln Go SDK to vendor/") {
		t.Errorf("log does not say the SDK was vendored:\n%s", log.String())
	}
	if res := serve(t, a, "/?name=vendor"); string(res.Body) != "greetings, vendor" {
		t.Fatalf("artifact served %d %q", res.Status, res.Body)
	}
}

// A project that vendored the SDK itself builds with its own copy.
func TestBuildGoVendoredSDK(t *testing.T) {
	src := writeSource(t, map[string]string{
		"go.mod":             "module hello\n\ngo 1.26\n\nrequire github.com/kilnhq/kiln/sdk/go v0.0.0\n\nreplace github.com/kilnhq/kiln/sdk/go => ../sdk/go\n",
		"main.go":            helloGo["main.go"],
		"vendor/modules.txt": "# github.com/kilnhq/kiln/sdk/go v0.0.0 => ../sdk/go\n## explicit; go 1.24\ngithub.com/kilnhq/kiln/sdk/go\n# github.com/kilnhq/kiln/sdk/go => ../sdk/go\n",
	})
	vendored := filepath.Join(src, "vendor", filepath.FromSlash(gosdk.ModulePath))
	if err := gosdk.WriteTo(vendored); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(vendored, "go.mod"))
	a, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: RuntimeGo, SourceDir: src}, nil)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if len(a.Warnings) != 1 || a.Warnings[0].File != "vendor/modules.txt" || !strings.Contains(a.Warnings[0].Text, "its own copy") {
		t.Errorf("warnings = %v, want one saying the vendored SDK is used", a.Warnings)
	}
	if res := serve(t, a, "/?name=v"); string(res.Body) != "hello, v" {
		t.Fatalf("artifact served %d %q", res.Status, res.Body)
	}
}

func TestBuildGoWithoutHandler(t *testing.T) {
	src := writeSource(t, map[string]string{"go.mod": "module fn\n\ngo 1.26\n", "main.go": "package main\n\nfunc main() { println(\"hi\") }\n"})
	_, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: RuntimeGo, SourceDir: src}, nil)
	be := wantBuildErr(t, err, ErrABI)
	if !strings.Contains(be.Messages[0].Text, "kiln.Handle") || !strings.Contains(be.Messages[0].Text, "kiln_handle") {
		t.Errorf("message %q does not point at kiln.Handle", be.Messages[0].Text)
	}
}

func TestBuildGoCompileError(t *testing.T) {
	src := writeSource(t, map[string]string{"go.mod": "module fn\n\ngo 1.26\n", "main.go": "package main\n\nfunc main() {\n\tundefinedCall()\n}\n"})
	var log bytes.Buffer
	_, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: RuntimeGo, SourceDir: src}, &log)
	be := wantBuildErr(t, err, ErrCompile)
	want := Message{File: "main.go", Line: 4, Column: 2, Text: "undefined: undefinedCall"}
	if be.Messages[0] != want {
		t.Fatalf("first message = %#v, want %#v", be.Messages[0], want)
	}
	if !strings.Contains(log.String(), "Build failed") || !strings.Contains(log.String(), "main.go:4:2: undefined: undefinedCall") {
		t.Errorf("log does not show the failure with its location:\n%s", log.String())
	}
}

func TestBuildGoTimeout(t *testing.T) {
	src := writeSource(t, helloGo)
	// A fresh cache: the standard library must be compiled, which takes
	// far longer than the limit.
	_, err := newBuilder(t, Config{CacheDir: t.TempDir(), Timeout: time.Second}).Build(context.Background(), Spec{Runtime: RuntimeGo, SourceDir: src}, nil)
	wantBuildErr(t, err, ErrTimeout)
}

func TestBuildGoWithoutToolchain(t *testing.T) {
	b, err := New(Config{CacheDir: t.TempDir(), GoRoot: t.TempDir()})
	if err != nil {
		t.Fatalf("New must succeed without Go: %v", err)
	}
	src := writeSource(t, helloGo)
	_, err = b.Build(context.Background(), Spec{Runtime: RuntimeGo, SourceDir: src}, nil)
	wantBuildErr(t, err, ErrNoToolchain)
	// Prebuilt modules still build.
	src = writeSource(t, map[string]string{"app.wasm": string(tinyModule(nil, "_start"))})
	if _, err := b.Build(context.Background(), Spec{Runtime: RuntimeWASI, SourceDir: src}, nil); err != nil {
		t.Fatalf("prebuilt build on a node without Go: %v", err)
	}
}
