package builder

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildExtismGo builds the hello-extism example from its Go source and
// serves it as a plugin.
func TestBuildExtismGo(t *testing.T) {
	src, err := filepath.Abs(filepath.Join("..", "examples", "hello-extism"))
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	a, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: RuntimeExtism, SourceDir: src}, &log)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, log.String())
	}
	checkArtifact(t, a, ABIExtism)
	if !strings.Contains(log.String(), "Building the Extism plugin from Go source") {
		t.Errorf("log does not say the plugin was built from Go:\n%s", log.String())
	}
	res := serve(t, a, "/?name=kiln")
	if res.Status != 200 || string(res.Body) != "Hello from Extism, kiln!\n" || res.Fuel == 0 {
		t.Fatalf("artifact served %d %q with fuel %d", res.Status, res.Body, res.Fuel)
	}
}

func TestGoPlugin(t *testing.T) {
	plugin := string(tinyModule([][2]string{{"extism:host/env", "input_length"}}, "handle"))
	for _, c := range []struct {
		name  string
		files map[string]string
		entry string
		want  bool
	}{
		{"go.mod and source", map[string]string{"go.mod": "module p\n", "main.go": "package main\n"}, "", true},
		{"source without go.mod", map[string]string{"main.go": "package main\n"}, "", true},
		{"source in a subfolder", map[string]string{"go.mod": "module p\n", "cmd/p/main.go": "package main\n"}, "cmd/p", true},
		{"prebuilt beside the source", map[string]string{"go.mod": "module p\n", "main.go": "package main\n", "plugin.wasm": plugin}, "", false},
		{"entrypoint names a module", map[string]string{"main.go": "package main\n"}, "plugin.wasm", false},
		{"entrypoint outside", map[string]string{"main.go": "package main\n"}, "../x", false},
		{"nothing", map[string]string{"README": "hi"}, "", false},
	} {
		if got := goPlugin(writeSource(t, c.files), c.entry); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}
