// Package sdkzip turns the sdk/go folder into the deterministic zip that
// builder/gosdk embeds; the generator and the freshness test share it so
// they cannot disagree.
package sdkzip

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// modTime is the fixed modification time of every zipped file.
var modTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Included reports whether a file of the SDK (slash path relative to its
// root) belongs in the zip: Go sources except tests, go.mod, go.sum and the
// LICENSE, README and ABI.md documents. Directories starting with "." or
// "_" and testdata are skipped, as the go command ignores them.
func Included(rel string) bool {
	for _, dir := range strings.Split(rel, "/")[:strings.Count(rel, "/")] {
		if strings.HasPrefix(dir, ".") || strings.HasPrefix(dir, "_") || dir == "testdata" {
			return false
		}
	}
	base := rel[strings.LastIndex(rel, "/")+1:]
	switch {
	case strings.HasSuffix(base, "_test.go"):
		return false
	case strings.HasSuffix(base, ".go"):
		return true
	case base == "go.mod" || base == "go.sum" || base == "ABI.md":
		return true
	case strings.HasPrefix(base, "LICENSE") || strings.HasPrefix(base, "README"):
		return true
	}
	return false
}

// Build zips the SDK in srcDir: files sorted by path, fixed times and modes,
// so the same sources always give the same bytes.
func Build(srcDir string) ([]byte, error) {
	var files []string
	err := filepath.WalkDir(srcDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(srcDir, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); Included(rel) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing SDK sources: %w", err)
	}
	sort.Strings(files)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, rel := range files {
		body, err := os.ReadFile(filepath.Join(srcDir, filepath.FromSlash(rel)))
		if err != nil {
			return nil, fmt.Errorf("reading SDK source: %w", err)
		}
		hdr := &zip.FileHeader{Name: rel, Method: zip.Deflate, Modified: modTime}
		hdr.SetMode(0o644)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return nil, fmt.Errorf("zipping %s: %w", rel, err)
		}
		if _, err := w.Write(body); err != nil {
			return nil, fmt.Errorf("zipping %s: %w", rel, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("finishing SDK zip: %w", err)
	}
	return buf.Bytes(), nil
}
