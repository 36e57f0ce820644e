package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/builder/golang"
)

// mapSources decodes the inline source map of a bundle and returns its
// source files.
func mapSources(t *testing.T, code []byte) []string {
	t.Helper()
	i := bytes.LastIndex(code, []byte(sourceMapPrefix))
	if i < 0 {
		t.Fatal("bundle has no inline source map")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(code[i+len(sourceMapPrefix):])))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Sources []string }
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m.Sources
}

func TestBuildJSTypeScript(t *testing.T) {
	src := writeSource(t, map[string]string{
		"src/index.ts": "import { greet } from \"./greet\";\nexport default async ({ req, res }: any) => res.text(greet(req.query.name ?? \"world\"));\n",
		"src/greet.ts": "export function greet(name: string): string {\n  return `Hello, ${name}!`;\n}\n",
	})
	var log bytes.Buffer
	a, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: RuntimeJS, SourceDir: src}, &log)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, log.String())
	}
	if a.ABI != ABIJS || a.Size != int64(len(a.Wasm)) || a.Duration <= 0 {
		t.Errorf("artifact: ABI %q, size %d of %d, duration %v", a.ABI, a.Size, len(a.Wasm), a.Duration)
	}
	if sum := sha256.Sum256(a.Wasm); a.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 does not describe the bundle")
	}
	if !bytes.Contains(a.Wasm, []byte("Hello, ${name}!")) || bytes.Contains(a.Wasm, []byte("name: string")) {
		t.Errorf("bundle is not the TypeScript with types stripped:\n%s", a.Wasm)
	}
	if got := strings.Join(mapSources(t, a.Wasm), ","); got != "src/greet.ts,src/index.ts" {
		t.Errorf("source map sources = %s", got)
	}
	if !strings.Contains(log.String(), "Bundled src/index.ts with esbuild") {
		t.Errorf("log:\n%s", log.String())
	}
}

func TestBuildJSSyntaxError(t *testing.T) {
	src := writeSource(t, map[string]string{
		"index.js": "export default {\n  fetch() {\n    return new Response(\"ok\";\n  },\n};\n",
	})
	var log bytes.Buffer
	_, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: RuntimeJS, SourceDir: src}, &log)
	be := wantBuildErr(t, err, ErrJSBundle)
	if m := be.Messages[0]; m.File != "index.js" || m.Line != 3 {
		t.Errorf("message = %+v, want index.js line 3", m)
	}
	if !strings.Contains(log.String(), "index.js:3:") {
		t.Errorf("log has no file:line:\n%s", log.String())
	}
}

func TestBuildJSNoEntry(t *testing.T) {
	src := writeSource(t, map[string]string{"README.md": "nothing to run\n"})
	_, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: RuntimeJS, SourceDir: src}, nil)
	wantBuildErr(t, err, ErrNoJSEntry)
}

// An import that climbs out of the deployment would copy a file of the
// build machine into the artifact.
func TestBuildJSImportOutsideSource(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "secret.json"), []byte(`{"token":"s3cr3t"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(root, "app")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	code := "import s from \"../secret.json\";\nexport default { fetch() { return new Response(s.token); } };\n"
	if err := os.WriteFile(filepath.Join(src, "index.js"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: RuntimeJS, SourceDir: src}, nil)
	be := wantBuildErr(t, err, ErrBadSource)
	if !strings.Contains(be.Error(), "../secret.json") {
		t.Errorf("error does not name the file: %v", be)
	}
}

// copyFixture copies testdata/<name> into a fresh folder.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := golang.CopySource(filepath.Join("testdata", name), dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// A source with package.json and package-lock.json but no node_modules
// gets its dependencies installed with npm ci, in a scratch copy.
func TestBuildJSInstallsFromLockfile(t *testing.T) {
	if _, err := lookNPM(); err != nil {
		t.Skip("npm is not installed (an optional tool for JavaScript dependencies)")
	}
	src := copyFixture(t, "npm-install")
	b := newBuilder(t, Config{CacheDir: t.TempDir()})
	var log bytes.Buffer
	a, err := b.Build(context.Background(), Spec{Runtime: RuntimeJS, SourceDir: src}, &log)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, log.String())
	}
	if got := strings.Join(mapSources(t, a.Wasm), ","); got != "node_modules/ms/index.js,index.js" {
		t.Errorf("source map sources = %s", got)
	}
	if !strings.Contains(log.String(), "$ npm ci --ignore-scripts (from package-lock.json)") || !strings.Contains(log.String(), "Installed dependencies in") {
		t.Errorf("log:\n%s", log.String())
	}
	if _, err := os.Stat(filepath.Join(src, "node_modules")); !os.IsNotExist(err) {
		t.Errorf("the source folder was modified: node_modules: %v", err)
	}

	// The same lockfile again: the kept tree is linked, npm does not run,
	// and the bundle is the same.
	log.Reset()
	again, err := b.Build(context.Background(), Spec{Runtime: RuntimeJS, SourceDir: src}, &log)
	if err != nil {
		t.Fatalf("second Build: %v\n%s", err, log.String())
	}
	if strings.Contains(log.String(), "npm ci") || !strings.Contains(log.String(), "Dependencies of package-lock.json already installed on this node") {
		t.Errorf("second log:\n%s", log.String())
	}
	if again.SHA256 != a.SHA256 {
		t.Errorf("second bundle differs")
	}

	// A changed lockfile is installed afresh.
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "package-lock.json"), append(lock, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	if _, err := b.Build(context.Background(), Spec{Runtime: RuntimeJS, SourceDir: src}, &log); err != nil {
		t.Fatalf("third Build: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "$ npm ci") {
		t.Errorf("a changed lockfile did not run npm:\n%s", log.String())
	}
}

func TestBuildJSWithoutNPM(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	src := copyFixture(t, "npm-install")
	_, err := newBuilder(t, Config{CacheDir: t.TempDir()}).Build(context.Background(), Spec{Runtime: RuntimeJS, SourceDir: src}, nil)
	be := wantBuildErr(t, err, ErrNoNPM)
	if be.Messages[0].File != "package-lock.json" || !strings.Contains(be.Error(), "node_modules") {
		t.Errorf("message = %v", be)
	}
}

// A lockfile out of step with package.json makes npm ci fail before it
// reaches the network; npm's own words end up in the error.
func TestBuildJSInstallFails(t *testing.T) {
	if _, err := lookNPM(); err != nil {
		t.Skip("npm is not installed (an optional tool for JavaScript dependencies)")
	}
	src := copyFixture(t, "npm-install")
	pkg := `{"name":"npm-install-fixture","private":true,"type":"module","dependencies":{"ms":"2.1.2"}}`
	if err := os.WriteFile(filepath.Join(src, "package.json"), []byte(pkg), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	_, err := newBuilder(t, Config{CacheDir: t.TempDir()}).Build(context.Background(), Spec{Runtime: RuntimeJS, SourceDir: src}, &log)
	be := wantBuildErr(t, err, ErrInstall)
	if !strings.Contains(be.Error(), "in sync") || !strings.Contains(be.Error(), "lock file's ms@2.1.3 does not satisfy ms@2.1.2") {
		t.Errorf("error does not carry npm's reason: %v\nlog:\n%s", be, log.String())
	}
}

// Dependencies that cannot be installed are named before esbuild fails to
// resolve them.
func TestBuildJSUninstalledDependencies(t *testing.T) {
	src := writeSource(t, map[string]string{
		"package.json": `{"dependencies":{"left-pad":"1.3.0"}}`,
		"index.js":     "import pad from \"left-pad\";\nexport default { fetch() { return new Response(pad(\"1\", 3)); } };\n",
	})
	var log bytes.Buffer
	_, err := newBuilder(t, Config{}).Build(context.Background(), Spec{Runtime: RuntimeJS, SourceDir: src}, &log)
	wantBuildErr(t, err, ErrJSBundle)
	if !strings.Contains(log.String(), "warning: package.json: dependencies are not installed: there is no package-lock.json") {
		t.Errorf("log:\n%s", log.String())
	}
}

// BenchmarkBuildJS builds the JavaScript examples: hello-ts (TypeScript,
// no dependencies) and hono-api from its lockfile with the installed tree
// kept from the first build (the warm path of every later deploy).
func BenchmarkBuildJS(b *testing.B) {
	bld := newBuilder(b, Config{})
	for _, name := range []string{"hello-ts", "hono-api"} {
		b.Run(name, func(b *testing.B) {
			src := filepath.Join(b.TempDir(), name)
			if err := golang.CopySource(filepath.Join("..", "examples", name), src); err != nil {
				b.Fatal(err)
			}
			if err := os.RemoveAll(filepath.Join(src, "node_modules")); err != nil {
				b.Fatal(err)
			}
			spec := Spec{Runtime: RuntimeJS, SourceDir: src}
			if _, err := bld.Build(context.Background(), spec, nil); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := bld.Build(context.Background(), spec, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
