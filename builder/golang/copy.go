package golang

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kilnhq/kiln/builder/diag"
)

// CopySource copies a deployment's source into a build's private folder,
// so patching go.mod or installing dependencies never touches the
// caller's files. .git and a top-level kiln_data are left out. Symlinks are
// recreated if their target stays inside the source; one pointing out is a
// *diag.BuildError with ErrBadSource naming it.
func CopySource(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading source: %w", err)
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.Name() == ".git" || rel == "kiln_data" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		out := filepath.Join(dst, rel)
		switch t := d.Type(); {
		case t.IsDir():
			return os.MkdirAll(out, 0o755)
		case t&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return fmt.Errorf("reading source: %w", err)
			}
			if filepath.IsAbs(target) || !filepath.IsLocal(filepath.Join(filepath.Dir(rel), target)) {
				return &diag.BuildError{Err: ErrBadSource, Messages: []diag.Message{{
					File: filepath.ToSlash(rel), Text: fmt.Sprintf("symlink points outside the source folder (%s)", target),
				}}}
			}
			return os.Symlink(target, out)
		case t.IsRegular():
			return CopyFile(p, out)
		}
		return nil // sockets, devices: not source
	})
}

// CopyFile copies one regular file, keeping its permission bits (and
// making it writable by its owner).
func CopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("reading source: %w", err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return fmt.Errorf("reading source: %w", err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm()|0o600)
	if err != nil {
		return fmt.Errorf("copying source: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying source: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copying source: %w", err)
	}
	return nil
}
