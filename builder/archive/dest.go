package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

type kind uint8

const (
	kindDir kind = iota + 1
	kindFile
	kindSymlink
)

// dest materialises entries under an os.Root, so no write can leave the
// destination even if a check here were wrong, and keeps its own record of
// what it created: the destination starts empty, so that record is the
// whole truth and duplicates or writes through links are caught by lookup.
type dest struct {
	root    *os.Root
	lim     Limits
	kinds   map[string]kind
	entries int
	stats   Stats
	buf     []byte
}

func newDest(root *os.Root, lim Limits) *dest {
	return &dest{root: root, lim: lim, kinds: make(map[string]kind), buf: make([]byte, 32<<10)}
}

func (d *dest) count(orig string) error {
	d.entries++
	if d.entries > d.lim.MaxFiles {
		return entryErr(orig, ErrTooManyFiles, "archive holds more than %d entries", d.lim.MaxFiles)
	}
	return nil
}

// prepare checks that p is a new name whose parents are directories (never
// links or files) and creates missing parents.
func (d *dest) prepare(orig, p string, allowExistingDir bool) (exists bool, err error) {
	if p == "" {
		return false, entryErr(orig, ErrUnsafePath, "entry names the archive root")
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		parent := p[:i]
		switch d.kinds[parent] {
		case kindDir:
			continue
		case kindSymlink:
			return false, entryErr(orig, ErrUnsafePath, "path passes through symlink %q", parent)
		case kindFile:
			return false, entryErr(orig, ErrUnsafePath, "parent %q is a file", parent)
		}
		if err := d.count(orig); err != nil {
			return false, err
		}
		if err := d.root.Mkdir(parent, 0o755); err != nil {
			return false, fmt.Errorf("creating directory %s: %w", parent, err)
		}
		d.kinds[parent] = kindDir
		d.stats.Dirs++
	}
	switch k := d.kinds[p]; {
	case k == kindDir && allowExistingDir:
		return true, nil
	case k != 0:
		return false, entryErr(orig, ErrUnsafePath, "duplicate entry")
	}
	return false, d.count(orig)
}

func (d *dest) dir(orig, p string) error {
	if p == "" {
		return nil // "./" in archives made with `tar -C dir .`
	}
	exists, err := d.prepare(orig, p, true)
	if err != nil || exists {
		return err
	}
	if err := d.root.Mkdir(p, 0o755); err != nil {
		return fmt.Errorf("creating directory %s: %w", p, err)
	}
	d.kinds[p] = kindDir
	d.stats.Dirs++
	return nil
}

// errRead marks a failure of the archive reader (as opposed to the disk)
// while copying file content.
type errRead struct{ err error }

func (e errRead) Error() string { return e.err.Error() }
func (e errRead) Unwrap() error { return e.err }

// file writes r to p. declared is the size the archive header claims; it is
// checked up front to fail fast, but the bytes actually copied are what the
// limits are enforced on.
func (d *dest) file(orig, p string, mode fs.FileMode, declared int64, r io.Reader) error {
	if declared > d.lim.MaxFileBytes {
		return entryErr(orig, ErrTooLarge, "file is %d bytes, over the %d byte limit per file", declared, d.lim.MaxFileBytes)
	}
	if d.stats.Bytes+declared > d.lim.MaxTotalBytes {
		return entryErr(orig, ErrTooLarge, "archive content exceeds the %d byte limit", d.lim.MaxTotalBytes)
	}
	if _, err := d.prepare(orig, p, false); err != nil {
		return err
	}
	perm := fs.FileMode(0o644)
	if mode&0o111 != 0 {
		perm = 0o755
	}
	f, err := d.root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("creating %s: %w", p, err)
	}
	d.kinds[p] = kindFile
	d.stats.Files++
	n, err := d.copyCapped(f, r)
	d.stats.Bytes += n
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing %s: %w", p, cerr)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrTooLarge):
		if n > d.lim.MaxFileBytes {
			return entryErr(orig, ErrTooLarge, "file exceeds the %d byte limit per file", d.lim.MaxFileBytes)
		}
		if d.stats.Bytes > d.lim.MaxTotalBytes {
			return entryErr(orig, ErrTooLarge, "archive content exceeds the %d byte limit", d.lim.MaxTotalBytes)
		}
		return err
	case errors.As(err, new(errRead)):
		if errors.Is(err, ErrCorrupt) || isStop(err) {
			return err
		}
		return fmt.Errorf("%w: reading %s: %w", ErrCorrupt, orig, err)
	}
	return fmt.Errorf("writing %s: %w", p, err)
}

// copyCapped copies at most the bytes the limits still allow and reports
// ErrTooLarge as soon as one more byte arrives.
func (d *dest) copyCapped(w io.Writer, r io.Reader) (int64, error) {
	limit := min(d.lim.MaxFileBytes, d.lim.MaxTotalBytes-d.stats.Bytes)
	var n int64
	for {
		m, rerr := r.Read(d.buf)
		if m > 0 {
			if n+int64(m) > limit {
				return n + int64(m), ErrTooLarge
			}
			if _, err := w.Write(d.buf[:m]); err != nil {
				return n, err
			}
			n += int64(m)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			if errors.Is(rerr, ErrTooLarge) {
				return n, rerr
			}
			return n, errRead{rerr}
		}
	}
}

func (d *dest) symlink(orig, p, target string) error {
	clean, why := cleanLinkTarget(p, target)
	if why != "" {
		return entryErr(orig, ErrUnsafePath, "%s (target %q)", why, target)
	}
	if _, err := d.prepare(orig, p, false); err != nil {
		return err
	}
	if err := d.root.Symlink(clean, p); err != nil {
		return fmt.Errorf("creating symlink %s: %w", p, err)
	}
	d.kinds[p] = kindSymlink
	d.stats.Symlinks++
	return nil
}

// hardlink links p to an earlier regular file of the same archive; any
// other target (outside, a directory, a symlink, a later entry) is refused.
func (d *dest) hardlink(orig, p, target string) error {
	t, why := cleanName(target)
	if why != "" {
		return entryErr(orig, ErrUnsafePath, "hard link target: %s (target %q)", why, target)
	}
	if d.kinds[t] != kindFile {
		return entryErr(orig, ErrUnsafePath, "hard link target %q is not a regular file extracted earlier", target)
	}
	if _, err := d.prepare(orig, p, false); err != nil {
		return err
	}
	if err := d.root.Link(t, p); err != nil {
		return fmt.Errorf("creating hard link %s: %w", p, err)
	}
	d.kinds[p] = kindFile
	d.stats.Files++
	return nil
}

// checkEmpty creates dst if needed and refuses one that holds anything: the
// record in dest must describe everything under it.
func checkEmpty(dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("creating destination: %w", err)
	}
	f, err := os.Open(dst)
	if err != nil {
		return fmt.Errorf("opening destination: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if len(names) > 0 {
		return fmt.Errorf("%w: %s", ErrDestNotEmpty, dst)
	}
	if err != nil && err != io.EOF {
		return fmt.Errorf("reading destination: %w", err)
	}
	return nil
}

// isStop reports errors that end extraction as they are: a limit hit while
// streaming or the caller's context.
func isStop(err error) bool {
	return errors.Is(err, ErrTooLarge) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func unsupportedType(orig string, what string) error {
	return entryErr(orig, ErrUnsafePath, "%s entries are not allowed", strings.TrimSpace(what))
}
