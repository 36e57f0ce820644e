package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/wasmtest"
)

func newBuilder(t testing.TB, cfg Config) *Builder {
	t.Helper()
	if cfg.CacheDir == "" {
		dir, err := wasmtest.CacheDir()
		if err != nil {
			t.Fatal(err)
		}
		cfg.CacheDir = filepath.Join(dir, "builder-go")
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

func wantBuildErr(t *testing.T, err error, sentinel error) *BuildError {
	t.Helper()
	var be *BuildError
	if !errors.As(err, &be) || !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want a *BuildError wrapping %v", err, sentinel)
	}
	return be
}

func checkArtifact(t *testing.T, a *Artifact, abi string) {
	t.Helper()
	if a.ABI != abi {
		t.Errorf("ABI = %q, want %q", a.ABI, abi)
	}
	sum := sha256.Sum256(a.Wasm)
	if a.SHA256 != hex.EncodeToString(sum[:]) || a.Size != int64(len(a.Wasm)) {
		t.Errorf("SHA256/Size do not describe Wasm")
	}
	if !exportsGlobal(t, a.Wasm, "kiln_fuel") {
		t.Errorf("artifact is not fuel-instrumented: no kiln_fuel export")
	}
	if a.Duration <= 0 {
		t.Errorf("Duration = %v", a.Duration)
	}
}

func TestBuildPrebuilt(t *testing.T) {
	command := tinyModule(nil, "_start")
	plugin := tinyModule([][2]string{{"extism:host/env", "input_length"}}, "handle")
	reactor := tinyModule(nil, "_initialize", "kiln_handle", "kiln_buffer")
	for _, tc := range []struct {
		name    string
		runtime string
		files   map[string]string
		entry   string
		abi     string
	}{
		{"wasi command", RuntimeWASI, map[string]string{"app.wasm": string(command), "README.md": "hi"}, "", ABIWAGI},
		{"wasi reactor", RuntimeWASI, map[string]string{"out/fn.wasm": string(reactor)}, "", ABIReactor},
		{"extism plugin", RuntimeExtism, map[string]string{"plugin.wasm": string(plugin)}, "", ABIExtism},
		{"extism plugin without host imports", RuntimeExtism, map[string]string{"plugin.wasm": string(tinyModule(nil, "handle"))}, "", ABIExtism},
		{"named entrypoint", RuntimeWASI, map[string]string{"a.wasm": string(command), "b.wasm": "junk"}, "a.wasm", ABIWAGI},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := writeSource(t, tc.files)
			var log bytes.Buffer
			a, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: tc.runtime, SourceDir: src, Entrypoint: tc.entry}, &log)
			if err != nil {
				t.Fatalf("Build: %v\n%s", err, log.String())
			}
			checkArtifact(t, a, tc.abi)
			if !strings.Contains(log.String(), "Build succeeded") || !strings.Contains(log.String(), a.SHA256) {
				t.Errorf("log does not report the result:\n%s", log.String())
			}
		})
	}
}

func TestBuildPrebuiltRejected(t *testing.T) {
	command := string(tinyModule(nil, "_start"))
	plugin := string(tinyModule([][2]string{{"extism:host/env", "input_length"}}, "greet"))
	truncated := command[:len(command)-3]
	for _, tc := range []struct {
		name     string
		runtime  string
		files    map[string]string
		entry    string
		sentinel error
		file     string // the file the first message must name
		text     string // a phrase it must contain
	}{
		{"no wasm", RuntimeWASI, map[string]string{"main.c": "int main(){}"}, "", ErrNoEntrypoint, "", "no .wasm"},
		{"ambiguous", RuntimeWASI, map[string]string{"a.wasm": command, "sub/b.wasm": command}, "", ErrAmbiguousEntrypoint, "", "a.wasm, sub/b.wasm"},
		{"missing entrypoint", RuntimeWASI, map[string]string{"a.wasm": command}, "b.wasm", ErrNoEntrypoint, "b.wasm", "cannot open"},
		{"entrypoint outside", RuntimeWASI, map[string]string{"a.wasm": command}, "../a.wasm", ErrNoEntrypoint, "", "not inside"},
		{"not wasm", RuntimeWASI, map[string]string{"app.wasm": "#!/bin/sh\necho hi\n"}, "", ErrInvalidModule, "app.wasm", "not a WebAssembly binary"},
		{"wat text", RuntimeWASI, map[string]string{"app.wasm": "(module (func (export \"_start\")))"}, "", ErrInvalidModule, "app.wasm", "WebAssembly text"},
		{"truncated", RuntimeWASI, map[string]string{"bin/app.wasm": truncated}, "", ErrInvalidModule, "bin/app.wasm", "not a valid WebAssembly module"},
		{"extism plugin as wasi", RuntimeWASI, map[string]string{"p.wasm": plugin}, "", ErrABI, "p.wasm", "extism runtime"},
		{"no entry point at all", RuntimeWASI, map[string]string{"lib.wasm": string(tinyModule(nil, "helper"))}, "", ErrABI, "lib.wasm", "_start"},
		{"exports the fuel global's name", RuntimeWASI, map[string]string{"app.wasm": string(tinyModule(nil, "_start", "kiln_fuel"))}, "", ErrUnsupportedModule, "app.wasm", "kiln_fuel"},
		{"extism without functions", RuntimeExtism, map[string]string{"p.wasm": command}, "", ErrABI, "p.wasm", "does not export handle"},
		{"extism without handle", RuntimeExtism, map[string]string{"p.wasm": plugin}, "", ErrABI, "p.wasm", "it exports greet"},
		{"unknown runtime", "cobol", map[string]string{"a.wasm": command}, "", ErrUnknownRuntime, "", "cobol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := writeSource(t, tc.files)
			var log bytes.Buffer
			_, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: tc.runtime, SourceDir: src, Entrypoint: tc.entry}, &log)
			be := wantBuildErr(t, err, tc.sentinel)
			m := be.Messages[0]
			if m.File != tc.file || !strings.Contains(m.Text, tc.text) {
				t.Fatalf("first message = %#v, want file %q and text containing %q", m, tc.file, tc.text)
			}
			if !strings.Contains(log.String(), "Build failed") || !strings.Contains(log.String(), m.String()) {
				t.Errorf("log does not show the failure:\n%s", log.String())
			}
		})
	}
}

func TestBuildPrebuiltSymlinkOutsideSource(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.wasm")
	if err := os.WriteFile(outside, tinyModule(nil, "_start"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(src, "app.wasm")); err != nil {
		t.Fatal(err)
	}
	_, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: RuntimeWASI, SourceDir: src}, nil)
	wantBuildErr(t, err, ErrNoEntrypoint)
}

func TestBuildPrebuiltTooLarge(t *testing.T) {
	src := writeSource(t, map[string]string{"app.wasm": string(tinyModule(nil, "_start"))})
	_, err := newBuilder(t, Config{MaxArtifactBytes: 10}).Build(context.Background(), Spec{Runtime: RuntimeWASI, SourceDir: src}, nil)
	wantBuildErr(t, err, ErrTooLarge)
}

func TestBuildCommandsWarn(t *testing.T) {
	src := writeSource(t, map[string]string{"app.wasm": string(tinyModule(nil, "_start"))})
	a, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: RuntimeWASI, SourceDir: src, Commands: "make"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Warnings) != 1 || !strings.Contains(a.Warnings[0].Text, "not run") {
		t.Errorf("warnings = %v, want one saying commands are not run", a.Warnings)
	}
}
