package runtime

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// checkImports refuses a module importing anything the engine does not
// provide, naming the first such import, so a bad artifact fails at deploy
// time rather than on its first request.
func (e *Engine) checkImports(cm wazero.CompiledModule) error {
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		def, ok := e.provided[mod][name]
		if !ok {
			return fmt.Errorf("%w: function %s.%s %s: Kiln provides no such function", ErrUnknownImport, mod, name, signature(f))
		}
		if !slices.Equal(def.ParamTypes(), f.ParamTypes()) || !slices.Equal(def.ResultTypes(), f.ResultTypes()) {
			return fmt.Errorf("%w: function %s.%s is imported as %s but Kiln provides %s", ErrUnknownImport, mod, name, signature(f), signature(def))
		}
	}
	for _, m := range cm.ImportedMemories() {
		mod, name, _ := m.Import()
		return fmt.Errorf("%w: memory %s.%s: Kiln provides no memory; the module must define its own", ErrUnknownImport, mod, name)
	}
	return nil
}

// signature renders a function type as "(i32, i32) -> i64".
func signature(f api.FunctionDefinition) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, ", ")
	}
	out := "(" + names(f.ParamTypes()) + ")"
	if r := f.ResultTypes(); len(r) > 0 {
		out += " -> " + names(r)
	}
	return out
}
