package archive

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// DataDirName is the local data directory of `kiln serve`; Pack leaves it
// out at the root of a folder, like ".git" at any depth.
const DataDirName = "kiln_data"

type packEntry struct {
	rel    string // slash-separated, relative to the packed folder
	mode   fs.FileMode
	size   int64
	target string // symlink target, cleaned
}

// Pack writes dir as a tar.gz to w. The output is deterministic: entries in
// lexical walk order, fixed modification times, no owners, modes reduced to
// 0644/0755. It leaves out ".git" directories, a top-level DataDirName and
// whatever the folder's IgnoreFile excludes; sockets and devices are
// skipped. Symlinks are kept if they resolve inside dir (the rule Extract
// enforces), otherwise Pack fails with ErrUnsafePath naming the link.
// progress, if not nil, is called with content bytes written so far and the
// total, first with done = 0.
func Pack(ctx context.Context, dir string, w io.Writer, progress func(done, total int64)) error {
	entries, total, err := collect(dir)
	if err != nil {
		return err
	}
	if progress == nil {
		progress = func(int64, int64) {}
	}
	progress(0, total)

	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("starting gzip: %w", err)
	}
	tw := tar.NewWriter(gz)
	pw := &progressWriter{ctx: ctx, w: tw, total: total, fn: progress}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := packEntryTo(tw, pw, dir, e); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("finishing tar: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("finishing gzip: %w", err)
	}
	return nil
}

// epoch is the modification time of every packed entry, so packing the
// same content twice yields the same bytes.
var epoch = time.Unix(0, 0)

func packEntryTo(tw *tar.Writer, pw *progressWriter, dir string, e packEntry) error {
	hdr := &tar.Header{Name: e.rel, ModTime: epoch, Mode: 0o644}
	switch {
	case e.mode.IsDir():
		hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, e.rel+"/", 0o755
	case e.mode&fs.ModeSymlink != 0:
		hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, e.target, 0o777
	default:
		hdr.Typeflag, hdr.Size = tar.TypeReg, e.size
		if e.mode&0o111 != 0 {
			hdr.Mode = 0o755
		}
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("packing %s: %w", e.rel, err)
	}
	if hdr.Typeflag != tar.TypeReg {
		return nil
	}
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(e.rel)))
	if err != nil {
		return fmt.Errorf("packing %s: %w", e.rel, err)
	}
	defer f.Close()
	n, err := io.CopyN(pw, f, e.size)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("packing %s: file shrank from %d to %d bytes while packing", e.rel, e.size, n)
		}
		return fmt.Errorf("packing %s: %w", e.rel, err)
	}
	return nil
}

// collect walks dir in lexical order and returns what Pack will write and
// the total content size.
func collect(dir string) ([]packEntry, int64, error) {
	var ign ignoreList
	if f, err := os.Open(filepath.Join(dir, IgnoreFile)); err == nil {
		ign, err = parseIgnore(f)
		f.Close()
		if err != nil {
			return nil, 0, fmt.Errorf("reading %s: %w", IgnoreFile, err)
		}
	}
	var entries []packEntry
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walking %s: %w", p, err)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		isDir := d.IsDir()
		if d.Name() == ".git" || isDir && rel == DataDirName || ign.ignored(rel, isDir) {
			if isDir {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("reading %s: %w", rel, err)
		}
		e := packEntry{rel: rel, mode: info.Mode()}
		switch {
		case isDir:
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return fmt.Errorf("reading link %s: %w", rel, err)
			}
			clean, why := cleanLinkTarget(rel, filepath.ToSlash(target))
			if why != "" {
				return entryErr(rel, ErrUnsafePath, "%s (target %q); replace the link with a copy or add it to %s", why, target, IgnoreFile)
			}
			e.target = clean
		case info.Mode().IsRegular():
			e.size = info.Size()
			total += e.size
		default:
			return nil // sockets, fifos, devices: not source
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return entries, total, nil
}

type progressWriter struct {
	ctx   context.Context
	w     io.Writer
	done  int64
	total int64
	fn    func(done, total int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.w.Write(b)
	p.done += int64(n)
	p.fn(p.done, p.total)
	return n, err
}
