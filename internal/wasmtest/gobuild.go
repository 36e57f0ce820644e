// Package wasmtest builds real WebAssembly guests for tests: Go sources compiled
// with the installed Go toolchain for wasip1, cached by content so a test run
// pays for each distinct guest once.
package wasmtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
)

// GoOptions says how to build a Go guest.
type GoOptions struct {
	// Reactor builds with -buildmode=c-shared so the module exports
	// _initialize instead of _start. Default: a command module (_start).
	Reactor bool
	// Replace maps module paths to local directories (absolute paths), written
	// as replace directives into the generated go.mod.
	Replace map[string]string
	// Requires lists extra `require` lines ("module version") for go.mod.
	Requires []string
}

var buildMu sync.Mutex

// BuildGo compiles a Go program given as file name → contents (a go.mod is
// generated unless one is given) to a wasip1 module and returns its bytes.
// Results are cached under the user cache dir keyed by the sources, options
// and Go version, so repeated runs are fast. The build fails the test.
func BuildGo(tb testing.TB, files map[string]string, opts GoOptions) []byte {
	tb.Helper()
	wasm, err := buildGo(files, opts)
	if err != nil {
		tb.Fatalf("wasmtest: %v", err)
	}
	return wasm
}

func buildGo(files map[string]string, opts GoOptions) ([]byte, error) {
	buildMu.Lock()
	defer buildMu.Unlock()

	files = withGoMod(files, opts)
	key := cacheKey(files, opts)
	cacheDir, err := CacheDir()
	if err != nil {
		return nil, err
	}
	out := filepath.Join(cacheDir, "go-"+key+".wasm")
	if b, err := os.ReadFile(out); err == nil {
		return b, nil
	}

	src, err := os.MkdirTemp("", "wasmtest-go-")
	if err != nil {
		return nil, fmt.Errorf("creating build dir: %w", err)
	}
	defer os.RemoveAll(src)
	for name, body := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	tmp := out + ".tmp"
	args := []string{"build", "-o", tmp, "-trimpath"}
	if opts.Reactor {
		args = append(args, "-buildmode=c-shared")
	}
	args = append(args, ".")
	cmd := exec.Command(goTool(), args...)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOFLAGS=-mod=mod", "GOWORK=off")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build for wasip1: %v\n%s", err, msg)
	}
	if err := os.Rename(tmp, out); err != nil {
		return nil, fmt.Errorf("caching build output: %w", err)
	}
	return os.ReadFile(out)
}

func withGoMod(files map[string]string, opts GoOptions) map[string]string {
	if _, ok := files["go.mod"]; ok {
		return files
	}
	cp := make(map[string]string, len(files)+1)
	for k, v := range files {
		cp[k] = v
	}
	var b strings.Builder
	b.WriteString("module guest\n\ngo 1.26\n")
	for _, r := range opts.Requires {
		fmt.Fprintf(&b, "\nrequire %s\n", r)
	}
	mods := make([]string, 0, len(opts.Replace))
	for m := range opts.Replace {
		mods = append(mods, m)
	}
	sort.Strings(mods)
	for _, m := range mods {
		fmt.Fprintf(&b, "\nreplace %s => %s\n", m, opts.Replace[m])
	}
	cp["go.mod"] = b.String()
	return cp
}

func cacheKey(files map[string]string, opts GoOptions) string {
	h := sha256.New()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00", n, len(files[n]), files[n])
	}
	fmt.Fprintf(h, "reactor=%v\x00go=%s\x00", opts.Reactor, runtime.Version())
	// Replaced directories are part of the input: hash their Go sources.
	mods := make([]string, 0, len(opts.Replace))
	for m := range opts.Replace {
		mods = append(mods, m)
	}
	sort.Strings(mods)
	for _, m := range mods {
		dir := opts.Replace[m]
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "go.mod") {
				if b, err := os.ReadFile(p); err == nil {
					rel, _ := filepath.Rel(dir, p)
					fmt.Fprintf(h, "%s\x00%s\x00%s\x00", m, rel, b)
				}
			}
			return nil
		})
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// CacheDir returns the directory where test artifacts (guest builds, tools)
// are cached: $KILN_TEST_CACHE if set, else <user cache dir>/kiln/test.
func CacheDir() (string, error) {
	dir := os.Getenv("KILN_TEST_CACHE")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("finding cache dir: %w", err)
		}
		dir = filepath.Join(base, "kiln", "test")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating cache dir: %w", err)
	}
	return dir, nil
}

func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}
