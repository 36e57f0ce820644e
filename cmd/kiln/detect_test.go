package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDetectRuntime(t *testing.T) {
	for _, tc := range []struct {
		files map[string]string
		want  string
	}{
		{map[string]string{"go.mod": "module x\n", "main.go": "package main\n"}, "go-1.26"},
		{map[string]string{"go.mod": "module x\n", "pdk.go": "package main\n\n//go:wasmimport extism:host/env output_set\nfunc outputSet(uint64, uint64)\n"}, "extism"},
		{map[string]string{"app.wasm": "\x00asm"}, "wasi"},
		{map[string]string{"package.json": "{}"}, "js"},
		{map[string]string{"README": "?"}, ""},
	} {
		dir := t.TempDir()
		for name, body := range tc.files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := detectRuntime(dir); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.files, got, tc.want)
		}
	}
	if got := detectRuntime(filepath.Join("..", "..", "examples", "hello-extism")); got != "extism" {
		t.Errorf("examples/hello-extism: got %q", got)
	}
}
