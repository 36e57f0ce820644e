package builder

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kilnhq/kiln/builder/golang"
)

// An extism deployment is a prebuilt plugin, or Go source for Kiln to
// compile: a standard Go program with a //go:wasmexport handle function
// and its own declarations of the Extism kernel imports (no SDK needed;
// examples/hello-extism shows one). It is built like a Go function,
// go build -buildmode=c-shared for wasip1, and then checked as a plugin.

// goPlugin reports whether an extism deployment is Go source: no .wasm
// file anywhere in it, no entrypoint naming one, and Go files or a go.mod
// in the package folder (the entrypoint, default the root).
func goPlugin(dir, entry string) bool {
	if strings.HasSuffix(entry, ".wasm") {
		return false
	}
	if _, err := findEntrypoint(dir, ""); !errors.Is(err, ErrNoEntrypoint) {
		return false
	}
	pkg := filepath.Clean(filepath.FromSlash(entry))
	if !filepath.IsLocal(pkg) {
		return false
	}
	pkg = filepath.Join(dir, pkg)
	if goFiles, _ := filepath.Glob(filepath.Join(pkg, "*.go")); len(goFiles) > 0 {
		return true
	}
	_, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil
}

// buildGoPlugin compiles a Go plugin's source.
func (b *Builder) buildGoPlugin(ctx context.Context, spec Spec, log io.Writer) (*golang.Result, error) {
	if b.goB == nil {
		return nil, buildErr(ErrNoToolchain, Message{Text: "this Kiln node cannot build Go plugins: " + b.goErr.Error()})
	}
	io.WriteString(log, "Building the Extism plugin from Go source (upload a .wasm file to deploy a prebuilt plugin)\n")
	return b.goB.Build(ctx, golang.Request{SourceDir: spec.SourceDir, Package: spec.Entrypoint, Log: log})
}
