package builder

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kilnhq/kiln/builder/gosdk"
	"github.com/tetratelabs/wazero"
)

// ABIs an artifact can implement, detected from its imports and exports.
const (
	// ABIReactor: a module initialised once (_initialize) that serves many
	// calls through its kiln_handle export; what the Go SDK builds.
	ABIReactor = "reactor"
	// ABIWAGI: a WASI command (_start) run once per request, request in
	// environment and stdin, response on stdout.
	ABIWAGI = "wagi"
	// ABIExtism: an Extism plugin (imports extism:host/env), functions
	// called with bytes in and out.
	ABIExtism = "extism"
)

// Names of the reactor ABI (sdk/go/ABI.md), as runtime/internal/wire
// keeps them; runtime checks the signatures when a deployment is created.
const (
	exportHandle     = "kiln_handle"
	exportBuffer     = "kiln_buffer"
	exportVersion    = "kiln_abi_version"
	extismHostModule = "extism:host/env"
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

// detectABI names the contract a module implements, by the rules runtime
// applies: Extism if it imports the Extism host, a reactor if it exports
// kiln_handle, WAGI if it exports _start; "" if none.
func detectABI(m moduleInfo) string {
	switch {
	case m.importsFrom(extismHostModule):
		return ABIExtism
	case m.exports1(exportHandle):
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
		for _, name := range []string{exportHandle, exportBuffer, exportVersion} {
			if !m.exports1(name) {
				return "", fmt.Sprintf("the module does not export %s: import %s and register the handler with kiln.Handle in an init function", name, gosdk.ModulePath)
			}
		}
		abi = ABIReactor
	case RuntimeWASI:
		switch abi {
		case ABIExtism:
			return "", "the module imports the Extism host (" + extismHostModule + "): deploy it with the extism runtime"
		case "":
			return "", "the module exports neither _start (a WASI command) nor " + exportHandle + " (a Kiln reactor)"
		}
	case RuntimeExtism:
		if !m.exports1("handle") {
			if fns := m.pluginFunctions(); len(fns) > 0 {
				return "", fmt.Sprintf("the plugin does not export handle (it exports %s): Kiln calls handle with the request as JSON", strings.Join(fns, ", "))
			}
			return "", "the plugin does not export handle: Kiln calls handle with the request as JSON"
		}
		abi = ABIExtism
	}
	return abi, ""
}
