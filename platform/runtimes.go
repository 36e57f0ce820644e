package platform

import (
	"sort"
	"strings"
)

// Runtime is a language runtime functions can use.
type Runtime struct {
	ID       string // as clients name it: "go-1.26", "js", "wasi", "extism"
	Kind     string // what builds and runs it: "go", "js", "wasi", "extism"
	Name     string // human name
	Version  string
	Supports []string // CPU architectures, Appwrite's field
}

var runtimes = []Runtime{
	{ID: "go-1.26", Kind: "go", Name: "Go", Version: "1.26"},
	{ID: "js", Kind: "js", Name: "JavaScript and TypeScript (QuickJS-ng, ES2023)", Version: "es2023"},
	{ID: "wasi", Kind: "wasi", Name: "WASI (any language compiled to WebAssembly)", Version: "preview1"},
	{ID: "extism", Kind: "extism", Name: "Extism plugin", Version: "1"},
}

// Runtimes lists the runtimes this node offers.
func Runtimes() []Runtime {
	out := append([]Runtime(nil), runtimes...)
	for i := range out {
		out[i].Supports = []string{"wasm32"}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ResolveRuntime maps a client's runtime name onto Kiln's: "go-<any version>"
// (Appwrite's Go runtimes) build with the node's Go toolchain, and
// Appwrite's JavaScript runtimes ("node-<v>", "bun-<v>", "deno-<v>") are
// bundled and run on the QuickJS engine whatever the version says. Unknown
// names are an InvalidError listing the choices.
func ResolveRuntime(name string) (Runtime, error) {
	for _, r := range runtimes {
		if r.ID == name {
			return r, nil
		}
	}
	for family, id := range map[string]string{"go": "go-1.26", "node": "js", "bun": "js", "deno": "js"} {
		if name == family || strings.HasPrefix(name, family+"-") {
			return ResolveRuntime(id)
		}
	}
	ids := make([]string, len(runtimes))
	for i, r := range runtimes {
		ids[i] = r.ID
	}
	return Runtime{}, invalid("Unknown runtime %q: choose one of %s (or go-*, node-*, bun-*, deno-*)", name, strings.Join(ids, ", "))
}
