package platform

import (
	"sort"
	"strings"
)

// Runtime is a language runtime functions can use.
type Runtime struct {
	ID       string // as clients name it: "go-1.26", "wasi", "extism"
	Kind     string // what builds and runs it: "go", "wasi", "extism"
	Name     string // human name
	Version  string
	Supports []string // CPU architectures, Appwrite's field
}

var runtimes = []Runtime{
	{ID: "go-1.26", Kind: "go", Name: "Go", Version: "1.26"},
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
// (Appwrite's Go runtimes) build with the node's Go toolchain. Unknown names
// are an InvalidError listing the choices.
func ResolveRuntime(name string) (Runtime, error) {
	for _, r := range runtimes {
		if r.ID == name {
			return r, nil
		}
	}
	if strings.HasPrefix(name, "go-") || name == "go" {
		return runtimes[0], nil
	}
	ids := make([]string, len(runtimes))
	for i, r := range runtimes {
		ids[i] = r.ID
	}
	return Runtime{}, invalid("Unknown runtime %q: choose one of %s", name, strings.Join(ids, ", "))
}
