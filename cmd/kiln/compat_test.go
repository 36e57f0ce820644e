package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/builder/archive"
	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/internal/wasmtest"
)

// npmProject installs a package.json + package-lock.json project from
// testdata into the test cache (once per lockfile) with `npm ci`, which
// checks every package against the lockfile's integrity hashes.
func npmProject(t *testing.T, dir string) string {
	t.Helper()
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("npm is required for the Appwrite SDK compatibility test (Node.js ships it)")
	}
	sum := sha256.Sum256(lock)
	cache, err := wasmtest.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(cache, "npm-"+filepath.Base(dir)+"-"+hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dst, "node_modules")); err == nil {
		return dst
	}
	tmp := dst + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, dst); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	return dst
}

// Appwrite's official Node SDK (node-appwrite 17.2.0, response format 1.7)
// manages functions, deployments, variables and executions on Kiln.
func TestAppwriteNodeSDK(t *testing.T) {
	project := npmProject(t, filepath.Join("testdata", "appwrite-compat"))
	bin := buildKiln(t)
	data, err := os.MkdirTemp("", "kiln-compat-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(data)
	port := testenv.FreePort(t)
	startServe(t, bin, data, port)
	waitHealthy(t, port, 60*time.Second)
	key, err := os.ReadFile(filepath.Join(data, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}

	src := t.TempDir()
	wasm := wasmtest.BuildGo(t, map[string]string{"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Print(\"Content-Type: text/plain\\n\\nhi\") }\n"}, wasmtest.GoOptions{})
	if err := os.WriteFile(filepath.Join(src, "main.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	var tgz bytes.Buffer
	if err := archive.Pack(context.Background(), src, &tgz, nil); err != nil {
		t.Fatal(err)
	}
	archivePath := filepath.Join(t.TempDir(), "code.tar.gz")
	if err := os.WriteFile(archivePath, tgz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs(filepath.Join("testdata", "appwrite-compat", "compat.mjs"))
	if err := os.WriteFile(filepath.Join(project, "compat.mjs"), mustRead(t, script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "compat.mjs")
	cmd.Dir = project
	cmd.Env = append(os.Environ(), "KILN_ENDPOINT=http://127.0.0.1:"+itoa(port)+"/v1", "KILN_PROJECT=default",
		"KILN_KEY="+strings.TrimSpace(string(key)), "KILN_ARCHIVE="+archivePath)
	out, err := cmd.CombinedOutput()
	t.Logf("node-appwrite:\n%s", out)
	if err != nil {
		t.Fatalf("node-appwrite against Kiln: %v", err)
	}
	for _, step := range []string{"create function", "list functions", "upload deployment", "build", "activate", "variables", "execute sync", "execute async", "list executions", "errors", "delete"} {
		if !strings.Contains(string(out), "ok "+step) {
			t.Errorf("step %q did not pass", step)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
