package runtime

import (
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/internal/wasmtest"
)

// sdkReplace points guests at the SDK in this tree.
func sdkOptions(t testing.TB) wasmtest.GoOptions {
	dir, err := filepath.Abs("../sdk/go")
	if err != nil {
		t.Fatal(err)
	}
	return wasmtest.GoOptions{
		Reactor:  true,
		Replace:  map[string]string{"github.com/kilnhq/kiln/sdk/go": dir},
		Requires: []string{"github.com/kilnhq/kiln/sdk/go v0.0.0"},
	}
}

// buildReactor builds a Go reactor guest from the body of its main.go.
func buildReactor(t testing.TB, mainGo string) []byte {
	t.Helper()
	return wasmtest.BuildGo(t, map[string]string{"main.go": mainGo}, sdkOptions(t))
}

const helloReactor = `package main

import (
	"net/http"
	"os"

	kiln "github.com/kilnhq/kiln/sdk/go"
)

func init() {
	kiln.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Greeting", os.Getenv("GREETING"))
		w.WriteHeader(201)
		w.Write([]byte("hello " + r.Method + " " + r.URL.Path + " q=" + r.URL.Query().Get("q")))
	}))
}

func main() {}
`
