package archive

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// maxLinkTarget bounds a zip symlink's target, which zip stores as content.
const maxLinkTarget = 4096

// extractZip spools the upload to a temporary file (zip needs random
// access; the spool is capped like the decompressed stream) and extracts it.
func extractZip(ctx context.Context, r io.Reader, in *countingReader, d *dest) error {
	spool, err := os.CreateTemp("", "kiln-upload-*.zip")
	if err != nil {
		return fmt.Errorf("spooling zip: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	limit := d.lim.streamCap()
	n, err := io.Copy(spool, io.LimitReader(r, limit+1))
	if err != nil {
		if isStop(err) {
			return err
		}
		return fmt.Errorf("spooling zip: %w", err)
	}
	if n > limit {
		return fmt.Errorf("%w: zip archive exceeds %d bytes", ErrTooLarge, limit)
	}
	zr, err := zip.NewReader(spool, n)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if len(zr.File) > d.lim.MaxFiles {
		return fmt.Errorf("%w: archive holds %d entries, limit %d", ErrTooManyFiles, len(zr.File), d.lim.MaxFiles)
	}
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := extractZipEntry(f, d, n); err != nil {
			return err
		}
	}
	return nil
}

func extractZipEntry(f *zip.File, d *dest, compressed int64) error {
	p, why := cleanName(f.Name)
	if why != "" {
		return entryErr(f.Name, ErrUnsafePath, "%s", why)
	}
	mode := f.Mode()
	switch {
	case mode.IsDir():
		return d.dir(f.Name, p)
	case mode&fs.ModeSymlink != 0:
		target, err := readZipLink(f)
		if err != nil {
			return err
		}
		return d.symlink(f.Name, p, target)
	case mode.IsRegular():
		if f.UncompressedSize64 > uint64(d.lim.MaxFileBytes) {
			return entryErr(f.Name, ErrTooLarge, "file is %d bytes, over the %d byte limit per file", f.UncompressedSize64, d.lim.MaxFileBytes)
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("%w: opening %s: %w", ErrCorrupt, f.Name, err)
		}
		defer rc.Close()
		var r io.Reader = rc
		if d.lim.MaxRatio > 0 {
			r = &ratioReader{r: rc, d: d, compressed: compressed}
		}
		return d.file(f.Name, p, mode, int64(f.UncompressedSize64), r)
	case mode&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return unsupportedType(f.Name, "device")
	case mode&fs.ModeNamedPipe != 0:
		return unsupportedType(f.Name, "fifo")
	}
	return unsupportedType(f.Name, fmt.Sprintf("mode %v", mode))
}

func readZipLink(f *zip.File) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", fmt.Errorf("%w: opening %s: %w", ErrCorrupt, f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxLinkTarget+1))
	if err != nil {
		return "", fmt.Errorf("%w: reading %s: %w", ErrCorrupt, f.Name, err)
	}
	if len(b) > maxLinkTarget {
		return "", entryErr(f.Name, ErrUnsafePath, "symlink target longer than %d bytes", maxLinkTarget)
	}
	return string(b), nil
}

// ratioReader applies Limits.MaxRatio to zip content: all bytes extracted so
// far against the size of the whole zip.
type ratioReader struct {
	r          io.Reader
	d          *dest
	compressed int64
	n          int64
}

func (r *ratioReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if r.d.stats.Bytes+r.n > int64(r.d.lim.MaxRatio)*r.compressed+ratioSlack {
		return 0, fmt.Errorf("%w: decompresses more than %d times its size", ErrTooLarge, r.d.lim.MaxRatio)
	}
	return n, err
}
