package builder

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// plainHandler is a Go reactor that exports a kiln_handle* function
// without the SDK, to exercise the pipeline on its own.
const plainHandler = `package main

//go:wasmexport kiln_handle_http
func handle() int32 { return 200 }

func main() {}
`

func TestBuildGoPlainReactor(t *testing.T) {
	src := writeSource(t, map[string]string{"go.mod": "module fn\n\ngo 1.26\n", "main.go": plainHandler})
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
}

func TestBuildGoWithoutHandler(t *testing.T) {
	src := writeSource(t, map[string]string{"go.mod": "module fn\n\ngo 1.26\n", "main.go": "package main\n\nfunc main() { println(\"hi\") }\n"})
	_, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: RuntimeGo, SourceDir: src}, nil)
	be := wantBuildErr(t, err, ErrABI)
	if !strings.Contains(be.Messages[0].Text, "kiln.Handle") {
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
	src := writeSource(t, map[string]string{"go.mod": "module fn\n\ngo 1.26\n", "main.go": plainHandler})
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
	src := writeSource(t, map[string]string{"main.go": plainHandler})
	_, err = b.Build(context.Background(), Spec{Runtime: RuntimeGo, SourceDir: src}, nil)
	wantBuildErr(t, err, ErrNoToolchain)
	// Prebuilt modules still build.
	src = writeSource(t, map[string]string{"app.wasm": string(tinyModule(nil, "_start"))})
	if _, err := b.Build(context.Background(), Spec{Runtime: RuntimeWASI, SourceDir: src}, nil); err != nil {
		t.Fatalf("prebuilt build on a node without Go: %v", err)
	}
}
