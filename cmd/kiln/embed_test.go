package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmbeddedEngineBinary is `task build:embedded`: the engine and its
// LICENSE fetched (pinned, verified, cached) by go generate, then compiled
// into the binary, which says so and prints the license.
func TestEmbeddedEngineBinary(t *testing.T) {
	gen := exec.Command("go", "generate", "./runtime/quickjs")
	gen.Dir = filepath.Join("..", "..")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("go generate: %v\n%s", err, out)
	}
	bin := filepath.Join(t.TempDir(), "kiln")
	if out, err := exec.Command("go", "build", "-tags", "kiln_embed_quickjs", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "embeds the QuickJS-ng engine 0.32.0") {
		t.Fatalf("version: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "version", "--licenses").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "MIT License") || !strings.Contains(string(out), "QuickJS") {
		t.Fatalf("licenses: %v\n%s", err, out)
	}
}
