package golang

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/kilnhq/kiln/builder/diag"
	"github.com/kilnhq/kiln/builder/gosdk"
)

// defaultModule is the module path given to source that has no go.mod.
const defaultModule = "function"

type modFile struct {
	Module  struct{ Path string }
	Go      string
	Require []struct{ Path, Version string }
	Replace []struct {
		Old struct{ Path, Version string }
	}
}

// prepareModule points the source's go.mod at the embedded SDK and returns
// the -mod flag to build with. Without vendor/ the go.mod gets a replace
// directive (and a require if missing). With vendor/ the SDK is also copied
// into vendor/ and recorded in vendor/modules.txt, as `go mod vendor` would
// have done, unless the project vendored an SDK itself, which is then used
// as is.
func (j *job) prepareModule(ctx context.Context) (string, error) {
	gomod := filepath.Join(j.src, "go.mod")
	if _, err := os.Stat(gomod); err != nil {
		body := fmt.Sprintf("module %s\n\ngo %s\n", defaultModule, j.b.goLang)
		if err := os.WriteFile(gomod, []byte(body), 0o644); err != nil {
			return "", fmt.Errorf("writing go.mod: %w", err)
		}
		j.warn(diag.Message{Text: fmt.Sprintf("no go.mod in the source: built as module %q with go %s", defaultModule, j.b.goLang)})
	}
	out, err := j.goQuick(ctx, "mod", "edit", "-json")
	if err != nil {
		return "", err
	}
	var mf modFile
	if err := json.Unmarshal(out, &mf); err != nil {
		return "", fmt.Errorf("reading go.mod: %w", err)
	}
	vendored := fileExists(filepath.Join(j.src, "vendor", "modules.txt"))
	vendoredSDK := filepath.Join(j.src, "vendor", filepath.FromSlash(gosdk.ModulePath))
	if vendored && fileExists(vendoredSDK) {
		j.logf("Using the Kiln Go SDK vendored in vendor/%s", gosdk.ModulePath)
		j.warn(diag.Message{File: "vendor/modules.txt", Text: "the project vendors its own copy of the Kiln Go SDK; it is used instead of the SDK shipped with this Kiln"})
		return "-mod=vendor", nil
	}

	version := "v0.0.0"
	args := []string{"mod", "edit"}
	required := false
	for _, r := range mf.Require {
		if r.Path == gosdk.ModulePath {
			required, version = true, r.Version
		}
	}
	if !required {
		args = append(args, "-require="+gosdk.ModulePath+"@"+version)
	}
	for _, r := range mf.Replace {
		if r.Old.Path == gosdk.ModulePath {
			old := r.Old.Path
			if r.Old.Version != "" {
				old += "@" + r.Old.Version
			}
			args = append(args, "-dropreplace="+old)
		}
	}
	args = append(args, "-replace="+gosdk.ModulePath+"="+j.sdk)
	if _, err := j.goQuick(ctx, args...); err != nil {
		return "", err
	}
	if !vendored {
		return "-mod=mod", nil
	}
	if err := vendorSDK(j.sdk, vendoredSDK, filepath.Join(j.src, "vendor", "modules.txt"), version); err != nil {
		return "", err
	}
	j.logf("Added the Kiln Go SDK to vendor/")
	return "-mod=vendor", nil
}

var goDirective = regexp.MustCompile(`(?m)^go\s+(\S+)`)

// vendorSDK copies the SDK's packages to dst and appends the records `go
// mod vendor` writes for a module replaced by a local folder.
func vendorSDK(sdkDir, dst, modulesTxt, version string) error {
	var pkgs []string
	err := filepath.WalkDir(sdkDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(sdkDir, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if d.Name() == "go.mod" || d.Name() == "go.sum" {
			return nil
		}
		if strings.HasSuffix(d.Name(), ".go") {
			pkg := gosdk.ModulePath
			if dir := filepath.ToSlash(filepath.Dir(rel)); dir != "." {
				pkg += "/" + dir
			}
			if len(pkgs) == 0 || pkgs[len(pkgs)-1] != pkg {
				pkgs = append(pkgs, pkg)
			}
		}
		return CopyFile(p, filepath.Join(dst, rel))
	})
	if err != nil {
		return fmt.Errorf("vendoring the SDK: %w", err)
	}
	sort.Strings(pkgs)
	pkgs = compactStrings(pkgs)
	goVersion := ""
	if b, err := os.ReadFile(filepath.Join(sdkDir, "go.mod")); err == nil {
		if m := goDirective.FindSubmatch(b); m != nil {
			goVersion = "; go " + string(m[1])
		}
	}
	old, err := os.ReadFile(modulesTxt)
	if err != nil {
		return fmt.Errorf("reading vendor/modules.txt: %w", err)
	}
	var b bytes.Buffer
	b.Write(old)
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "# %s %s => %s\n## explicit%s\n", gosdk.ModulePath, version, sdkDir, goVersion)
	for _, p := range pkgs {
		b.WriteString(p + "\n")
	}
	fmt.Fprintf(&b, "# %s => %s\n", gosdk.ModulePath, sdkDir)
	if err := os.WriteFile(modulesTxt, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing vendor/modules.txt: %w", err)
	}
	return nil
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
