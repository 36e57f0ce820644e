package builder

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// tinyModule assembles a minimal valid module whose functions all have
// type () -> (): imports given as module/name pairs, then one empty
// exported function per name in exports.
func tinyModule(imports [][2]string, exports ...string) []byte {
	name := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	section := func(id byte, body []byte) []byte { return append([]byte{id, byte(len(body))}, body...) }
	out := []byte("\x00asm\x01\x00\x00\x00")
	out = append(out, section(1, []byte{1, 0x60, 0, 0})...)
	if len(imports) > 0 {
		body := []byte{byte(len(imports))}
		for _, imp := range imports {
			body = append(body, name(imp[0])...)
			body = append(body, name(imp[1])...)
			body = append(body, 0x00, 0)
		}
		out = append(out, section(2, body)...)
	}
	funcs := []byte{byte(len(exports))}
	exp := []byte{byte(len(exports))}
	code := []byte{byte(len(exports))}
	for i, e := range exports {
		funcs = append(funcs, 0)
		exp = append(exp, name(e)...)
		exp = append(exp, 0x00, byte(len(imports)+i))
		code = append(code, 2, 0, 0x0b)
	}
	out = append(out, section(3, funcs)...)
	out = append(out, section(7, exp)...)
	out = append(out, section(10, code)...)
	return out
}

// exportsGlobal reports whether wasm exports a global named name, by
// instantiating it without running its start functions.
func exportsGlobal(t *testing.T, wasm []byte, name string) bool {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatalf("compiling artifact: %v", err)
	}
	// Stub every non-WASI import (the Extism host, for one).
	hosts := map[string]wazero.HostModuleBuilder{}
	for _, f := range cm.ImportedFunctions() {
		mod, fn, _ := f.Import()
		if mod == wasi_snapshot_preview1.ModuleName {
			continue
		}
		if hosts[mod] == nil {
			hosts[mod] = r.NewHostModuleBuilder(mod)
		}
		hosts[mod].NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {}), f.ParamTypes(), f.ResultTypes()).
			Export(fn)
	}
	for mod, hb := range hosts {
		if _, err := hb.Instantiate(ctx); err != nil {
			t.Fatalf("stubbing %s: %v", mod, err)
		}
	}
	mod, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithStartFunctions())
	if err != nil {
		t.Fatalf("instantiating artifact: %v", err)
	}
	return mod.ExportedGlobal(name) != nil
}

func TestTinyModuleIsValid(t *testing.T) {
	for _, wasm := range [][]byte{
		tinyModule(nil, "_start"),
		tinyModule([][2]string{{"extism:host/env", "input_length"}}, "greet"),
	} {
		info, err := inspect(context.Background(), wasm)
		if err != nil {
			t.Fatalf("tiny module does not validate: %v", err)
		}
		if len(info.exports) != 1 {
			t.Fatalf("exports = %v", info.exports)
		}
	}
}
