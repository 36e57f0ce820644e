package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kilnhq/kiln/builder/golang"
	"github.com/kilnhq/kiln/builder/jsbundle"
)

// RuntimeJS: JavaScript or TypeScript bundled by esbuild into one ES module
// for the QuickJS engine (runtime/quickjs). Dependencies come from the
// source's node_modules, or are installed with npm from its lockfile.
const RuntimeJS = "js"

// ABIJS is the contract of a JavaScript artifact: the bytes are one ES
// module with an inline source map, not WebAssembly; its default export is
// a Workers-style object with fetch or an Appwrite-style function.
const ABIJS = "js"

// JavaScript build errors, in a *BuildError like the others.
var (
	// ErrNoNPM: the source needs its dependencies installed (package.json
	// and a lockfile, no node_modules) and this node has no npm.
	ErrNoNPM = errors.New("npm not found on this node")
	// ErrInstall: npm ci failed (a bad lockfile, a package that does not
	// exist, the registry unreachable).
	ErrInstall = errors.New("installing javascript dependencies failed")
	// ErrJSBundle is esbuild rejecting the sources: syntax errors,
	// unresolvable imports such as Node built-ins.
	ErrJSBundle = jsbundle.ErrBundle
	// ErrNoJSEntry: no entry file was named and none of the usual ones
	// exists.
	ErrNoJSEntry = jsbundle.ErrNoEntry
)

// npmLockfiles are the lockfiles npm ci installs from.
var npmLockfiles = []string{"package-lock.json", "npm-shrinkwrap.json"}

// buildJS bundles a JavaScript or TypeScript deployment. When the source
// has package.json and an npm lockfile but no node_modules, the
// dependencies are installed with npm ci into a scratch copy first, with
// install scripts disabled: no deployment code runs on the build machine.
// The installed tree is kept per lockfile for the next build.
func (b *Builder) buildJS(ctx context.Context, spec Spec, log io.Writer, warnings []Message) (*Artifact, error) {
	dir := spec.SourceDir
	lock, why := installPlan(dir)
	if why != "" {
		w := Message{File: "package.json", Text: why}
		warnings = append(warnings, w)
		fmt.Fprintf(log, "warning: %s\n", w)
	}
	if lock != "" {
		work, err := b.scratchDir("js-")
		if err != nil {
			return nil, err
		}
		defer func() {
			if err := os.RemoveAll(work); err != nil {
				b.cfg.Logger.Warn("removing JavaScript build work dir", "dir", work, "err", err)
			}
		}()
		src := filepath.Join(work, "src")
		if err := golang.CopySource(dir, src); err != nil {
			return nil, err
		}
		if err := b.installDeps(ctx, src, lock, filepath.Join(work, "home"), log); err != nil {
			return nil, err
		}
		dir = src
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	started := time.Now()
	res, err := jsbundle.Bundle(ctx, jsbundle.Options{Dir: dir, Entry: spec.Entrypoint})
	if err != nil {
		return nil, err
	}
	for _, w := range res.Warnings {
		warnings = append(warnings, w)
		fmt.Fprintf(log, "warning: %s\n", w)
	}
	if outside := sourcesOutside(res.Code); len(outside) > 0 {
		return nil, buildErr(ErrBadSource, Message{File: res.Entry, Text: fmt.Sprintf(
			"the bundle would include files outside the deployment (%s); imports must stay inside the source folder", strings.Join(outside, ", "))})
	}
	if int64(len(res.Code)) > b.cfg.MaxArtifactBytes {
		return nil, buildErr(ErrTooLarge, Message{File: res.Entry, Text: fmt.Sprintf("the bundle is %s, over the %s limit",
			byteSize(int64(len(res.Code))), byteSize(b.cfg.MaxArtifactBytes))})
	}
	fmt.Fprintf(log, "Bundled %s with esbuild in %v: %s (ES2023 module, inline source map)\n",
		res.Entry, roundDuration(time.Since(started)), byteSize(int64(len(res.Code))))
	sum := sha256.Sum256(res.Code)
	return &Artifact{
		Wasm:     res.Code,
		SHA256:   hex.EncodeToString(sum[:]),
		Size:     int64(len(res.Code)),
		ABI:      ABIJS,
		Warnings: warnings,
	}, nil
}

// installPlan says which lockfile npm ci should install from ("" for no
// install: no package.json, node_modules present, or no npm lockfile) and,
// when dependencies are declared but cannot be installed, why.
func installPlan(dir string) (lock, why string) {
	pkg, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "", ""
	}
	if fi, err := os.Lstat(filepath.Join(dir, "node_modules")); err == nil && fi.IsDir() {
		return "", ""
	}
	for _, l := range npmLockfiles {
		if fi, err := os.Lstat(filepath.Join(dir, l)); err == nil && fi.Mode().IsRegular() {
			return l, ""
		}
	}
	var p struct {
		Dependencies map[string]any `json:"dependencies"`
	}
	if json.Unmarshal(pkg, &p) != nil || len(p.Dependencies) == 0 {
		return "", ""
	}
	for _, other := range []string{"yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock"} {
		if _, err := os.Lstat(filepath.Join(dir, other)); err == nil {
			return "", fmt.Sprintf("dependencies are not installed: Kiln installs from package-lock.json only (found %s); deploy with node_modules or add package-lock.json", other)
		}
	}
	return "", "dependencies are not installed: there is no package-lock.json (run npm install and deploy package-lock.json) and no node_modules"
}

// scratchDir makes a private folder under the cache for one build.
func (b *Builder) scratchDir(prefix string) (string, error) {
	root := filepath.Join(b.cfg.CacheDir, "work")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("creating work dir: %w", err)
	}
	dir, err := os.MkdirTemp(root, prefix)
	if err != nil {
		return "", fmt.Errorf("creating work dir: %w", err)
	}
	return dir, nil
}

// sourceMapPrefix starts esbuild's inline source map.
const sourceMapPrefix = "//# sourceMappingURL=data:application/json;base64,"

// sourcesOutside lists the files of the bundle's inline source map that lie
// outside the project folder: a relative import climbing out of it, or a
// symlink in node_modules resolved to a file elsewhere on the build
// machine. Such files would be copied into the artifact.
func sourcesOutside(code []byte) []string {
	i := bytes.LastIndex(code, []byte(sourceMapPrefix))
	if i < 0 {
		return nil
	}
	data := code[i+len(sourceMapPrefix):]
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(data)))
	if err != nil {
		return nil
	}
	var m struct {
		Sources []string `json:"sources"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []string
	for _, s := range m.Sources {
		if s == ".." || strings.HasPrefix(s, "../") || strings.HasPrefix(s, "/") {
			out = append(out, s)
		}
	}
	return out
}
