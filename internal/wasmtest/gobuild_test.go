package wasmtest

import (
	"bytes"
	"testing"
)

func TestBuildGoCommand(t *testing.T) {
	src := map[string]string{"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n"}
	wasm := BuildGo(t, src, GoOptions{})
	if !bytes.HasPrefix(wasm, []byte("\x00asm\x01\x00\x00\x00")) {
		t.Fatalf("not a wasm module: % x", wasm[:8])
	}
	again := BuildGo(t, src, GoOptions{})
	if !bytes.Equal(wasm, again) {
		t.Fatal("cached build differs from the first build")
	}
}
