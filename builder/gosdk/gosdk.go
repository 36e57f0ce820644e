// Package gosdk ships the Kiln Go guest SDK (module
// github.com/kilnhq/kiln/sdk/go) inside the kiln binary, so Go deployments
// build without network access. sdk/go is its own module, out of reach of
// go:embed from here, so `go generate ./builder/gosdk` copies it into
// sdk.zip; a test fails when that copy is stale.
package gosdk

//go:generate go run ./internal/gen -src ../../sdk/go -out sdk.zip

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ModulePath is the import path of the SDK module user code requires.
const ModulePath = "github.com/kilnhq/kiln/sdk/go"

//go:embed sdk.zip
var sdkZip []byte

var sdkHash = func() string {
	sum := sha256.Sum256(sdkZip)
	return hex.EncodeToString(sum[:])
}()

// Hash is the hex SHA-256 of the embedded SDK zip: it changes exactly when
// the SDK's shipped files change.
func Hash() string { return sdkHash }

// WriteTo writes the SDK's files into dir, creating it if needed. Existing
// files of the same names are replaced.
func WriteTo(dir string) error {
	zr, err := zip.NewReader(bytes.NewReader(sdkZip), int64(len(sdkZip)))
	if err != nil {
		return fmt.Errorf("reading embedded SDK: %w", err)
	}
	for _, f := range zr.File {
		if !filepath.IsLocal(f.Name) {
			return fmt.Errorf("embedded SDK holds a non-local path %q", f.Name)
		}
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(f.Name)), f); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(p string, f *zip.File) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("writing SDK: %w", err)
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("reading embedded SDK %s: %w", f.Name, err)
	}
	defer rc.Close()
	out, err := os.Create(p)
	if err != nil {
		return fmt.Errorf("writing SDK: %w", err)
	}
	if _, err := io.Copy(out, rc); err != nil {
		out.Close()
		return fmt.Errorf("writing SDK %s: %w", f.Name, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("writing SDK %s: %w", f.Name, err)
	}
	return nil
}

// Dir returns a folder under cacheDir holding the SDK, named after Hash,
// writing it on first use. Concurrent callers, in one process or several,
// get the same complete folder: it is written beside its final name and
// renamed into place.
func Dir(cacheDir string) (string, error) {
	dir := filepath.Join(cacheDir, "gosdk-"+sdkHash[:16])
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("creating SDK cache: %w", err)
	}
	tmp, err := os.MkdirTemp(cacheDir, ".gosdk-tmp-")
	if err != nil {
		return "", fmt.Errorf("creating SDK cache: %w", err)
	}
	if err := WriteTo(tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		// Another writer won the race; its folder is complete.
		if errors.Is(err, fs.ErrExist) || isNotEmpty(err) {
			return dir, nil
		}
		return "", fmt.Errorf("installing SDK: %w", err)
	}
	return dir, nil
}
