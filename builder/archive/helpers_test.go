package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ent describes one archive entry for the builders below.
type ent struct {
	name string
	typ  byte // tar type flag; 0 means regular file
	body string
	link string
	mode int64
}

func tarBytes(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Linkname: e.link, Mode: mode, Format: tar.FormatPAX}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("tar header %s: %v", e.name, err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tgz(t testing.TB, ents ...ent) []byte { return gzipBytes(t, tarBytes(t, ents...)) }

func zipBytes(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range ents {
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		body := e.body
		switch e.typ {
		case tar.TypeDir:
			hdr.SetMode(fs.ModeDir | 0o755)
		case tar.TypeSymlink:
			hdr.SetMode(fs.ModeSymlink | 0o777)
			body = e.link
		case tar.TypeFifo:
			hdr.SetMode(fs.ModeNamedPipe | 0o644)
		default:
			m := fs.FileMode(e.mode)
			if m == 0 {
				m = 0o644
			}
			hdr.SetMode(m)
		}
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sandbox returns a destination inside an otherwise empty parent, so a test
// can check that nothing was written beside it.
func sandbox(t testing.TB) (parent, dst string) {
	parent = t.TempDir()
	return parent, filepath.Join(parent, "dst")
}

// checkContained fails if anything besides dst exists in parent or if any
// symlink under dst resolves outside dst.
func checkContained(t testing.TB, parent, dst string) {
	t.Helper()
	names, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n.Name() != filepath.Base(dst) {
			t.Fatalf("extraction wrote %s outside the destination", n.Name())
		}
	}
	_ = filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		if out, ok := resolveInside(dst, p); !ok {
			t.Fatalf("symlink %s resolves outside the destination (to %s)", p, out)
		}
		return nil
	})
}

// resolveInside follows p component by component (symlinks included, even
// dangling ones) and reports whether it stays within root.
func resolveInside(root, p string) (string, bool) {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return p, false
	}
	todo := strings.Split(filepath.ToSlash(rel), "/")
	var cur []string
	for hops := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return "..", false
			}
			cur = cur[:len(cur)-1]
			continue
		}
		full := filepath.Join(append([]string{root}, append(cur, c)...)...)
		fi, err := os.Lstat(full)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = append(cur, c)
			continue
		}
		if hops++; hops > 64 {
			return full, true // a loop: it never resolves anywhere
		}
		target, err := os.Readlink(full)
		if err != nil {
			return full, false
		}
		if filepath.IsAbs(target) {
			return target, false
		}
		todo = append(strings.Split(filepath.ToSlash(target), "/"), todo...)
	}
	return filepath.Join(append([]string{root}, cur...)...), true
}
