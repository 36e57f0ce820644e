package quickjs

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
)

func TestEngineFromEnvMustMatchPin(t *testing.T) {
	f := filepath.Join(t.TempDir(), "engine.wasm")
	os.WriteFile(f, []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	t.Setenv(EngineWasmEnv, f)
	_, err := engineWasm(context.Background(), &Config{})
	if !errors.Is(err, ErrEngineMismatch) || !strings.Contains(err.Error(), EngineSHA256) {
		t.Fatalf("err %v", err)
	}
}

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("network unreachable")
}

func TestEngineOfflineSaysWhatToDo(t *testing.T) {
	t.Setenv("PATH", "")
	t.Setenv(EngineWasmEnv, "")
	_, err := engineWasm(context.Background(), &Config{CacheDir: t.TempDir(), HTTPClient: &http.Client{Transport: failingTransport{}}})
	if !errors.Is(err, ErrEngineUnavailable) || !strings.Contains(err.Error(), EngineWasmEnv) || !strings.Contains(err.Error(), "network unreachable") {
		t.Fatalf("err %v", err)
	}
}

// TestEngineFetchOverHTTPS fetches the pinned tarball straight from the
// registry (the path taken when npm is not installed) into an empty cache.
func TestEngineFetchOverHTTPS(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads the engine package (270 kB) from the npm registry")
	}
	t.Setenv("PATH", "")
	t.Setenv(EngineWasmEnv, "")
	dir := t.TempDir()
	b, err := engineWasm(context.Background(), &Config{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != EngineSize {
		t.Fatalf("size %d", len(b))
	}
	lic, err := os.ReadFile(filepath.Join(dir, licenseFileName))
	if err != nil || !bytes.Contains(lic, []byte("MIT License")) {
		t.Fatalf("license: %v", err)
	}
	// Second call is served from the cache.
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	if _, err := engineWasm(context.Background(), &Config{CacheDir: dir, HTTPClient: &http.Client{Transport: failingTransport{}}}); err != nil {
		t.Fatalf("from cache: %v", err)
	}
}

func TestGlueVerification(t *testing.T) {
	files, err := cachedPackage(t)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyABIAgainstGlue(files.cjs); err != nil {
		t.Fatalf("pinned glue: %v", err)
	}
	tampered := bytes.Replace(files.cjs, []byte("c._QTS_Eval=b.qa"), []byte("c._QTS_Eval=b.pa"), 1)
	if err := verifyABIAgainstGlue(tampered); !errors.Is(err, ErrEngineMismatch) || !strings.Contains(err.Error(), "QTS_Eval") {
		t.Fatalf("tampered export: %v", err)
	}
	tampered = bytes.Replace(files.cjs, []byte("t:function(a,d,b,e,f){return c.callbacks.callFunction"), []byte("u:function(a,d,b,e,f){return c.callbacks.callFunction"), 1)
	if err := verifyABIAgainstGlue(tampered); !errors.Is(err, ErrEngineMismatch) {
		t.Fatalf("tampered import: %v", err)
	}
	if err := verifyTarball(append([]byte{0}, files.tgz...)); !errors.Is(err, ErrEngineMismatch) {
		t.Fatalf("tampered tarball: %v", err)
	}
}

type testPackage struct {
	enginePackageFiles
	tgz []byte
}

// cachedPackage downloads the tarball once per test binary.
var cachedTarball []byte

func cachedPackage(t *testing.T) (*testPackage, error) {
	if cachedTarball == nil {
		tgz, err := httpTarball(context.Background(), http.DefaultClient)
		if err != nil {
			return nil, err
		}
		cachedTarball = tgz
	}
	files, err := extractEnginePackage(cachedTarball)
	if err != nil {
		return nil, err
	}
	return &testPackage{*files, cachedTarball}, nil
}

func TestRewriteEngine(t *testing.T) {
	wasm, err := engineWasm(context.Background(), &Config{})
	if err != nil {
		t.Fatal(err)
	}
	out, lay, err := rewriteEngine(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if lay.stackTop != 5342832 || lay.minPages != 82 || lay.maxPages != 32768 || len(lay.mutableGlobals) != 1 {
		t.Fatalf("layout %+v", lay)
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	c, err := rt.CompileModule(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range c.ImportedFunctions() {
		if mod, _, _ := imp.Import(); mod != hostModuleName {
			t.Fatalf("import from %q", mod)
		}
	}
	if len(c.ImportedMemories()) != 0 {
		t.Fatal("memory still imported")
	}
	mem := c.ExportedMemories()[exportMemory]
	if mem == nil || mem.Min() != 82 {
		t.Fatalf("memory export %v", mem)
	}
	if _, ok := c.ExportedFunctions()[exportStart]; !ok {
		t.Fatal("start function not exported")
	}
	if err := checkExports(c); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rewriteEngine(out[:len(out)/2]); !errors.Is(err, errMalformed) {
		t.Fatalf("truncated module: %v", err)
	}
}
