package builder

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"
)

// ABIs an artifact can implement, detected from its imports and exports.
const (
	// ABIReactor: a module initialised once (_initialize) that serves many
	// calls through kiln_handle* exports; what the Go SDK builds.
	ABIReactor = "reactor"
	// ABIWAGI: a WASI command (_start) run once per request, request in
	// environment and stdin, response on stdout.
	ABIWAGI = "wagi"
	// ABIExtism: an Extism plugin (imports extism:host/env), functions
	// called with bytes in and out.
	ABIExtism = "extism"
)

const (
	// handlerExportPrefix starts the names of the Go SDK's handler exports.
	handlerExportPrefix = "kiln_handle"
	extismHostModule    = "extism:host/env"
)

// moduleInfo is what the builder needs to know of a compiled module.
type moduleInfo struct {
	exports []string // exported function names, sorted
	imports []string // modules functions are imported from, sorted, unique
}

func (m moduleInfo) exports1(name string) bool {
	i := sort.SearchStrings(m.exports, name)
	return i < len(m.exports) && m.exports[i] == name
}

func (m moduleInfo) hasHandler() bool {
	for _, e := range m.exports {
		if strings.HasPrefix(e, handlerExportPrefix) {
			return true
		}
	}
	return false
}

func (m moduleInfo) importsFrom(mod string) bool {
	for _, i := range m.imports {
		if i == mod {
			return true
		}
	}
	return false
}

// pluginFunctions are exports other than WASI lifecycle and runtime hooks.
func (m moduleInfo) pluginFunctions() []string {
	var out []string
	for _, e := range m.exports {
		if e != "_start" && e != "_initialize" && !strings.HasPrefix(e, "kiln_") {
			out = append(out, e)
		}
	}
	return out
}

// inspect compiles wasm with wazero's interpreter, which validates all of
// it, and lists its function imports and exports.
func inspect(ctx context.Context, wasm []byte) (moduleInfo, error) {
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		return moduleInfo{}, err
	}
	defer cm.Close(ctx)
	var info moduleInfo
	for name := range cm.ExportedFunctions() {
		info.exports = append(info.exports, name)
	}
	seen := map[string]bool{}
	for _, f := range cm.ImportedFunctions() {
		mod, _, _ := f.Import()
		if !seen[mod] {
			seen[mod] = true
			info.imports = append(info.imports, mod)
		}
	}
	sort.Strings(info.exports)
	sort.Strings(info.imports)
	return info, nil
}

// detectABI names the contract a module implements: Extism if it imports
// the Extism host, a reactor if it has _initialize and a kiln_handle*
// export, WAGI if it has _start; "" if none.
func detectABI(m moduleInfo) string {
	switch {
	case m.importsFrom(extismHostModule):
		return ABIExtism
	case m.exports1("_initialize") && m.hasHandler():
		return ABIReactor
	case m.exports1("_start"):
		return ABIWAGI
	}
	return ""
}

// checkABI returns the ABI to run a module of the given runtime with, or
// why it cannot run as that runtime.
func checkABI(runtime string, m moduleInfo) (string, string) {
	abi := detectABI(m)
	switch runtime {
	case RuntimeGo:
		if abi != ABIReactor {
			return "", fmt.Sprintf("the module exports no %s* function: the program must register its handler with kiln.Handle from %s in an init function", handlerExportPrefix, "github.com/kilnhq/kiln/sdk/go")
		}
	case RuntimeWASI:
		switch abi {
		case ABIExtism:
			return "", "the module imports the Extism host (" + extismHostModule + "): deploy it with the extism runtime"
		case "":
			return "", "the module exports neither _start (a WASI command) nor _initialize with " + handlerExportPrefix + "* (a Kiln reactor)"
		}
	case RuntimeExtism:
		if abi != ABIExtism && len(m.pluginFunctions()) == 0 {
			return "", "the module exports no plugin function"
		}
		abi = ABIExtism
	}
	return abi, ""
}
