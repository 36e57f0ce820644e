package node

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/builder/archive"
	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/internal/wasmtest"
	"github.com/kilnhq/kiln/platform"
	"github.com/kilnhq/kiln/sdk/client"
)

// A node deploys a function end to end: the client creates it, uploads a
// chunked archive, the node's build worker builds it, and it is activated.
func TestNodeDeploysThroughTheClient(t *testing.T) {
	n, err := New(Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", DatabaseURL: testenv.Postgres(t)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer n.Shutdown(context.Background())
	c := &client.Client{Endpoint: "http://" + n.Addr() + "/v1", Project: platform.DefaultProjectID, Key: n.AdminKey}
	ctx := context.Background()

	if _, err := c.CreateFunction(ctx, client.FunctionParams{FunctionID: "hello", Name: "Hello", Runtime: "wasi"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetFunction(ctx, "nope"); !client.IsNotFound(err) {
		t.Fatalf("missing function: %v", err)
	}
	wasm := wasmtest.BuildGo(t, map[string]string{"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Print(\"Content-Type: text/plain\\n\\nhi\") }\n"}, wasmtest.GoOptions{})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	// Incompressible padding makes the archive span several 5 MiB chunks.
	pad := make([]byte, 11<<20)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(pad)
	if err := os.WriteFile(filepath.Join(dir, "padding.bin"), pad, 0o644); err != nil {
		t.Fatal(err)
	}
	var tgz bytes.Buffer
	if err := archive.Pack(ctx, dir, &tgz, nil); err != nil {
		t.Fatal(err)
	}
	var progress []int64
	d, err := c.CreateDeployment(ctx, "hello", tgz.Bytes(), client.DeployParams{Activate: true, Entrypoint: "main.wasm",
		Progress: func(sent, total int64) { progress = append(progress, sent) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(progress) < 3 || progress[len(progress)-1] != int64(tgz.Len()) {
		t.Fatalf("upload was not chunked: progress %v of %d", progress, tgz.Len())
	}
	var log strings.Builder
	d, err = c.WaitDeployment(ctx, "hello", d.ID, func(s string) { log.WriteString(s) })
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "ready" || d.ABI == "" {
		t.Fatalf("deployment %+v\n%s", d, log.String())
	}
	f, err := c.GetFunction(ctx, "hello")
	if err != nil || f.DeploymentID != d.ID {
		t.Fatalf("not activated: %+v %v", f, err)
	}
	out, err := c.DownloadDeployment(ctx, "hello", d.ID, "output")
	if err != nil || !bytes.HasPrefix(out, []byte("\x00asm")) {
		t.Fatalf("download output: %d bytes, %v", len(out), err)
	}
	if _, err := c.CreateVariable(ctx, "hello", "GREETING", "hi", false); err != nil {
		t.Fatal(err)
	}
	vars, err := c.ListVariables(ctx, "hello")
	if err != nil || len(vars) != 1 || vars[0].Value != "hi" {
		t.Fatalf("vars %+v %v", vars, err)
	}
}
