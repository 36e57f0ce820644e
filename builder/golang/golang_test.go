package golang

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/builder/diag"
	"github.com/kilnhq/kiln/internal/wasmtest"
)

// sharedCache is a build cache kept across test runs, so only the first run
// on a machine pays for compiling the standard library for wasip1.
func sharedCache(t testing.TB) string {
	t.Helper()
	dir, err := wasmtest.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "builder-go")
}

func newBuilder(t testing.TB, cfg Config) *Builder {
	t.Helper()
	if cfg.CacheDir == "" {
		cfg.CacheDir = sharedCache(t)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func writeSource(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const plainReactor = `package main

//go:wasmexport add
func add(a, b int32) int32 { return a + b }

func main() {}
`

func buildErr(t *testing.T, err error, sentinel error) *diag.BuildError {
	t.Helper()
	var be *diag.BuildError
	if !errors.As(err, &be) || !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want a *diag.BuildError wrapping %v", err, sentinel)
	}
	return be
}

func TestBuildPlainReactor(t *testing.T) {
	src := writeSource(t, map[string]string{"go.mod": "module fn\n\ngo 1.26\n", "main.go": plainReactor})
	var log bytes.Buffer
	res, err := newBuilder(t, Config{}).Build(context.Background(), Request{SourceDir: src, Log: &log})
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, log.String())
	}
	if !bytes.HasPrefix(res.Wasm, []byte("\x00asm")) {
		t.Fatalf("output is not a wasm module")
	}
	t.Logf("log:\n%s", log.String())
}

// checkNoMachinePaths fails if s shows a path of the build machine.
func checkNoMachinePaths(t *testing.T, what, s string, paths ...string) {
	t.Helper()
	for _, p := range append(paths, os.TempDir()) {
		if p != "" && strings.Contains(s, p) {
			t.Errorf("%s shows the build machine path %s:\n%s", what, p, s)
		}
	}
}

func TestBuildCompileErrorIsRelativeToSource(t *testing.T) {
	src := writeSource(t, map[string]string{
		"go.mod": "module example.com/fn\n\ngo 1.26\n",
		"main.go": `package main

import "example.com/fn/calc"

//go:wasmexport add
func add(a, b int32) int32 { return calc.Add(a, b) }

func main() {}
`,
		"calc/calc.go": `package calc

func Add(a, b int32) int32 {
	return a + b + missing
}
`,
	})
	cache := sharedCache(t)
	var log bytes.Buffer
	_, err := newBuilder(t, Config{CacheDir: cache}).Build(context.Background(), Request{SourceDir: src, Log: &log})
	be := buildErr(t, err, ErrCompile)
	want := diag.Message{File: "calc/calc.go", Line: 4, Column: 17, Text: "undefined: missing"}
	if len(be.Messages) != 1 || be.Messages[0] != want {
		t.Fatalf("messages = %#v, want [%#v]", be.Messages, want)
	}
	if !strings.Contains(log.String(), "calc/calc.go:4:17: undefined: missing") {
		t.Errorf("build log does not show the error with its location:\n%s", log.String())
	}
	checkNoMachinePaths(t, "build log", log.String(), src, cache)
	checkNoMachinePaths(t, "error", err.Error(), src, cache)
}

func TestBuildMissingDependencyAsksForVendoring(t *testing.T) {
	for _, tc := range []struct {
		name  string
		gomod string
	}{
		{"not required", "module fn\n\ngo 1.26\n"},
		{"required", "module fn\n\ngo 1.26\n\nrequire github.com/acme/widgets v1.2.3\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := writeSource(t, map[string]string{"go.mod": tc.gomod, "main.go": `package main

import "github.com/acme/widgets"

//go:wasmexport run
func run() int32 { return widgets.Count }

func main() {}
`})
			var log bytes.Buffer
			_, err := newBuilder(t, Config{}).Build(context.Background(), Request{SourceDir: src, Log: &log})
			be := buildErr(t, err, ErrCompile)
			m := be.Messages[0]
			if m.File != "main.go" || m.Line != 3 || !strings.Contains(m.Text, "github.com/acme/widgets") || !strings.Contains(m.Text, "go mod vendor") {
				t.Fatalf("first message = %#v, want main.go:3 naming github.com/acme/widgets and asking for go mod vendor", m)
			}
		})
	}
}

func TestBuildVendoredDependency(t *testing.T) {
	src := writeSource(t, map[string]string{
		"go.mod": "module fn\n\ngo 1.26\n\nrequire github.com/acme/widgets v1.2.3\n",
		"main.go": `package main

import "github.com/acme/widgets"

//go:wasmexport run
func run() int32 { return widgets.Count }

func main() {}
`,
		"vendor/modules.txt":                        "# github.com/acme/widgets v1.2.3\n## explicit; go 1.21\ngithub.com/acme/widgets\n",
		"vendor/github.com/acme/widgets/widgets.go": "package widgets\n\nconst Count = 7\n",
	})
	before, _ := os.ReadFile(filepath.Join(src, "vendor/modules.txt"))
	var log bytes.Buffer
	res, err := newBuilder(t, Config{}).Build(context.Background(), Request{SourceDir: src, Log: &log})
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, log.String())
	}
	if !bytes.HasPrefix(res.Wasm, []byte("\x00asm")) {
		t.Fatal("output is not a wasm module")
	}
	if !strings.Contains(log.String(), "-mod=vendor") {
		t.Errorf("log does not say the build used vendor/:\n%s", log.String())
	}
	after, _ := os.ReadFile(filepath.Join(src, "vendor/modules.txt"))
	if !bytes.Equal(before, after) {
		t.Error("Build changed the caller's vendor/modules.txt")
	}
}

func TestBuildWithoutGoMod(t *testing.T) {
	src := writeSource(t, map[string]string{"main.go": plainReactor})
	res, err := newBuilder(t, Config{}).Build(context.Background(), Request{SourceDir: src})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Text, "no go.mod") {
		t.Errorf("warnings = %v, want one about the missing go.mod", res.Warnings)
	}
	if _, err := os.Stat(filepath.Join(src, "go.mod")); err == nil {
		t.Error("Build wrote a go.mod into the caller's source")
	}
}

func TestBuildLeavesSourceUntouched(t *testing.T) {
	gomod := "module fn\n\ngo 1.26\n"
	src := writeSource(t, map[string]string{"go.mod": gomod, "main.go": plainReactor})
	if _, err := newBuilder(t, Config{}).Build(context.Background(), Request{SourceDir: src}); err != nil {
		t.Fatalf("Build: %v", err)
	}
	got, _ := os.ReadFile(filepath.Join(src, "go.mod"))
	if string(got) != gomod {
		t.Errorf("go.mod changed to %q", got)
	}
	entries, _ := os.ReadDir(src)
	if len(entries) != 2 {
		t.Errorf("source folder holds %d entries after the build, want 2", len(entries))
	}
}

func TestBuildRejectsNewerGo(t *testing.T) {
	src := writeSource(t, map[string]string{"go.mod": "module fn\n\ngo 1.99\n", "main.go": plainReactor})
	_, err := newBuilder(t, Config{}).Build(context.Background(), Request{SourceDir: src})
	be := buildErr(t, err, ErrCompile)
	if m := be.Messages[0]; m.File != "go.mod" || !strings.Contains(m.Text, "1.99") || !strings.Contains(m.Text, "lower the go line") {
		t.Fatalf("first message = %#v, want go.mod naming 1.99 and the fix", m)
	}
}

func TestBuildBadGoMod(t *testing.T) {
	src := writeSource(t, map[string]string{"go.mod": "module fn\n\ngo 1.26\nrequire (\n", "main.go": plainReactor})
	_, err := newBuilder(t, Config{}).Build(context.Background(), Request{SourceDir: src})
	be := buildErr(t, err, ErrCompile)
	if m := be.Messages[0]; m.File != "go.mod" || m.Line != 5 {
		t.Fatalf("first message = %#v, want one at go.mod:5", m)
	}
	checkNoMachinePaths(t, "error", err.Error(), src)
}

func TestBuildPackageOutsideSource(t *testing.T) {
	src := writeSource(t, map[string]string{"go.mod": "module fn\n\ngo 1.26\n", "main.go": plainReactor})
	_, err := newBuilder(t, Config{}).Build(context.Background(), Request{SourceDir: src, Package: "../other"})
	buildErr(t, err, ErrBadSource)
}

func TestBuildPackageInSubfolder(t *testing.T) {
	src := writeSource(t, map[string]string{"go.mod": "module fn\n\ngo 1.26\n", "cmd/fn/main.go": plainReactor})
	if _, err := newBuilder(t, Config{}).Build(context.Background(), Request{SourceDir: src, Package: "cmd/fn"}); err != nil {
		t.Fatalf("Build: %v", err)
	}
}

func TestBuildOutputLimit(t *testing.T) {
	src := writeSource(t, map[string]string{"go.mod": "module fn\n\ngo 1.26\n", "main.go": plainReactor})
	_, err := newBuilder(t, Config{MaxOutputBytes: 100 << 10}).Build(context.Background(), Request{SourceDir: src})
	be := buildErr(t, err, ErrTooLarge)
	if !strings.Contains(be.Messages[0].Text, "100.0 KiB") {
		t.Errorf("message %q does not name the limit", be.Messages[0].Text)
	}
}

func TestBuildTimeoutKillsTheBuild(t *testing.T) {
	// A fresh cache makes the go command compile the standard library,
	// so it is certainly running when the limit strikes.
	cache := t.TempDir()
	src := writeSource(t, map[string]string{"go.mod": "module fn\n\ngo 1.26\n", "main.go": plainReactor})
	b := newBuilder(t, Config{CacheDir: cache, Timeout: 1500 * time.Millisecond})
	var log bytes.Buffer
	_, err := b.Build(context.Background(), Request{SourceDir: src, Log: &log})
	be := buildErr(t, err, ErrTimeout)
	if !strings.Contains(be.Messages[0].Text, "1.5s") {
		t.Errorf("message %q does not name the limit", be.Messages[0].Text)
	}
	if !strings.Contains(log.String(), "Stopped") {
		t.Errorf("log does not say the build was stopped:\n%s", log.String())
	}
	if procs := processesUnder(t, cache); len(procs) > 0 {
		t.Errorf("processes of the killed build still run: %v", procs)
	}
}

func TestBuildCanceledByCaller(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := writeSource(t, map[string]string{"go.mod": "module fn\n\ngo 1.26\n", "main.go": plainReactor})
	_, err := newBuilder(t, Config{}).Build(ctx, Request{SourceDir: src})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("error = %v, want context.Canceled (not a timeout)", err)
	}
}
